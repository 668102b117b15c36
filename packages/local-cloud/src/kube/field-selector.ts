// Field selectors as k8s.io/apimachinery/pkg/fields parses them: comma-separated `path=value`,
// `path==value` or `path!=value` terms, where `\`, `,` and `=` in values are backslash-escaped.

import { SelectorParseError } from './label-selector.js';

export type FieldRequirement = { path: string; operator: '=' | '!='; value: string };

/** Splits on commas that are not escaped with a backslash. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    if (selector[i] === '\\') i++;
    else if (selector[i] === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

/** The first operator occurrence wins; at each position `!=` and `==` are preferred over `=`. */
function splitTerm(term: string): { path: string; operator: '=' | '==' | '!='; rest: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const operator of ['!=', '==', '='] as const) {
      if (term.startsWith(operator, i)) {
        return { path: term.slice(0, i), operator, rest: term.slice(i + operator.length) };
      }
    }
  }
  return undefined;
}

function unescapeValue(value: string, selector: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\') {
      const next = value[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') {
        throw new SelectorParseError(`invalid field selector: '${selector}'; invalid escape sequence in value '${value}'`);
      }
      out += next;
      i++;
    } else if (ch === ',' || ch === '=') {
      throw new SelectorParseError(`invalid field selector: '${selector}'; unescaped '${ch}' in value '${value}'`);
    } else {
      out += ch;
    }
  }
  return out;
}

/** Parses `?fieldSelector=`; the empty selector selects everything. */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  for (const rawTerm of splitTerms(selector)) {
    const term = rawTerm.trim();
    if (term === '') continue;
    const parts = splitTerm(term);
    if (!parts) throw new SelectorParseError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const path = parts.path.trim();
    if (path === '') throw new SelectorParseError(`invalid selector: '${selector}'; missing field name in '${term}'`);
    requirements.push({
      path,
      operator: parts.operator === '!=' ? '!=' : '=',
      value: unescapeValue(parts.rest.trim(), selector),
    });
  }
  return requirements;
}

/** Only scalars have a field-selector value; absent fields, null and objects compare as ''. */
function fieldValue(object: object, path: string): string {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, segment)) {
      return '';
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return typeof current === 'string' || typeof current === 'number' || typeof current === 'boolean' ? String(current) : '';
}

export function matchesFields(requirements: FieldRequirement[], object: object): boolean {
  return requirements.every((requirement) => {
    const equal = fieldValue(object, requirement.path) === requirement.value;
    return requirement.operator === '=' ? equal : !equal;
  });
}
