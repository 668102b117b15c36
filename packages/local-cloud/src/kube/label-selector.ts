// Label selectors, parsed and matched the way k8s.io/apimachinery/pkg/labels does, so that
// `kubectl get -l ...` and controllers see the same objects (and the same errors) as on a real cluster.

export class SelectorParseError extends Error {
  override name = 'SelectorParseError';
}

export type Requirement = {
  key: string;
  operator: 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
};

export type LabelSelector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
};

type TokenKind = 'identifier' | 'in' | 'notin' | '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<' | 'end';

type Token = { kind: TokenKind; literal: string };

const SYMBOLS: readonly string[] = ['!=', '==', '=', '!', '(', ')', ',', '>', '<'];
const SPECIAL_CHARS = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (WHITESPACE.has(ch)) {
      i++;
      continue;
    }
    if (SPECIAL_CHARS.has(ch)) {
      // Longest match first, so `!=` is not read as `!` followed by `=`.
      const symbol = SYMBOLS.find((s) => input.startsWith(s, i))!;
      tokens.push({ kind: symbol as TokenKind, literal: symbol });
      i += symbol.length;
      continue;
    }
    let end = i;
    while (end < input.length && !WHITESPACE.has(input[end]!) && !SPECIAL_CHARS.has(input[end]!)) end++;
    const word = input.slice(i, end);
    tokens.push({ kind: word === 'in' || word === 'notin' ? word : 'identifier', literal: word });
    i = end;
  }
  tokens.push({ kind: 'end', literal: '' });
  return tokens;
}

const BINARY_OPERATORS = 'in, notin, =, ==, !=';

/** Recursive-descent parser mirroring labels.Parser; error texts follow its wording. */
class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  /** In value position the keywords `in`/`notin` are plain identifiers (e.g. `a=in`). */
  private peekValue(): Token {
    const token = this.tokens[this.position]!;
    return token.kind === 'in' || token.kind === 'notin' ? { kind: 'identifier', literal: token.literal } : token;
  }

  private nextValue(): Token {
    const token = this.peekValue();
    this.position++;
    return token;
  }

  private nextRaw(): Token {
    return this.tokens[this.position++]!;
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const token = this.peekValue();
      if (token.kind === 'end') return requirements;
      if (token.kind !== 'identifier' && token.kind !== '!') {
        throw new SelectorParseError(`found '${token.literal}', expected: !, identifier, or 'end of string'`);
      }
      try {
        requirements.push(this.parseRequirement());
      } catch (err) {
        if (err instanceof SelectorParseError) throw new SelectorParseError(`unable to parse requirement: ${err.message}`);
        throw err;
      }
      const separator = this.nextValue();
      if (separator.kind === 'end') return requirements;
      if (separator.kind !== ',') {
        throw new SelectorParseError(`found '${separator.literal}', expected: ',' or 'end of string'`);
      }
      const following = this.peekValue();
      if (following.kind !== 'identifier' && following.kind !== '!') {
        throw new SelectorParseError(`found '${following.literal}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): Requirement {
    let token = this.nextValue();
    const negated = token.kind === '!';
    if (negated) token = this.nextValue();
    if (token.kind !== 'identifier') throw new SelectorParseError(`found '${token.literal}', expected: identifier`);
    const key = token.literal;
    validateLabelKey(key);
    const following = this.peekValue().kind;
    if (negated) return { key, operator: 'DoesNotExist', values: [] };
    if (following === 'end' || following === ',') return { key, operator: 'Exists', values: [] };

    const operatorToken = this.nextRaw();
    switch (operatorToken.kind) {
      case 'in':
        return makeRequirement(key, 'In', this.parseValueSet());
      case 'notin':
        return makeRequirement(key, 'NotIn', this.parseValueSet());
      case '=':
      case '==':
        return makeRequirement(key, 'Equals', [this.parseExactValue()]);
      case '!=':
        return makeRequirement(key, 'NotEquals', [this.parseExactValue()]);
      case '>':
      case '<':
        // Gt/Lt exist in Kubernetes but only for numeric node-affinity style selectors; the
        // Requirement model here has no place for them.
        throw new SelectorParseError(`operator '${operatorToken.literal}' is not supported, expected: ${BINARY_OPERATORS}`);
      default:
        throw new SelectorParseError(`found '${operatorToken.literal}', expected: ${BINARY_OPERATORS}`);
    }
  }

  private parseValueSet(): string[] {
    const open = this.nextValue();
    if (open.kind !== '(') throw new SelectorParseError(`found '${open.literal}' expected: '('`);
    const first = this.peekValue();
    if (first.kind === ')') {
      this.nextValue();
      return [''];
    }
    if (first.kind !== 'identifier' && first.kind !== ',') {
      throw new SelectorParseError(`found '${first.literal}', expected: ',', ')' or identifier`);
    }
    const values = this.parseIdentifierList();
    this.nextValue(); // the ')' that parseIdentifierList stopped at
    return values;
  }

  /** Empty entries (`(,a)`, `(a,)`, `(a,,b)`) stand for the empty value, as in Kubernetes. */
  private parseIdentifierList(): string[] {
    const values: string[] = [];
    for (;;) {
      const token = this.nextValue();
      if (token.kind === 'identifier') {
        values.push(token.literal);
        const following = this.peekValue();
        if (following.kind === ')') return values;
        if (following.kind !== ',') throw new SelectorParseError(`found '${following.literal}', expected: ',' or ')'`);
      } else if (token.kind === ',') {
        if (values.length === 0) values.push('');
        const following = this.peekValue();
        if (following.kind === ')') {
          values.push('');
          return values;
        }
        if (following.kind === ',') {
          this.nextValue();
          values.push('');
        }
      } else {
        throw new SelectorParseError(`found '${token.literal}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string {
    const following = this.peekValue();
    if (following.kind === 'end' || following.kind === ',') return '';
    const token = this.nextValue();
    if (token.kind !== 'identifier') throw new SelectorParseError(`found '${token.literal}', expected: identifier`);
    return token.literal;
  }
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateLabelKey(key: string): void {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      throw new SelectorParseError(`invalid label key "${key}": prefix part must be a lowercase RFC 1123 subdomain of at most 253 characters`);
    }
    name = rest;
  } else if (parts.length > 2) {
    throw new SelectorParseError(`invalid label key "${key}": a qualified name must consist of an optional DNS subdomain prefix and '/' followed by a name`);
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    throw new SelectorParseError(
      `invalid label key "${key}": name part must be at most 63 characters, consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

function validateLabelValue(value: string): void {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new SelectorParseError(
      `invalid label value "${value}": a valid label must be an empty string or at most 63 characters consisting of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

/** Validates values and normalises them to a sorted set, as labels.NewRequirement does. */
function makeRequirement(key: string, operator: Requirement['operator'], values: string[]): Requirement {
  validateLabelKey(key);
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) throw new SelectorParseError("for 'in', 'notin' operators, values set can't be empty");
      break;
    case 'Equals':
    case 'NotEquals':
      if (values.length !== 1) throw new SelectorParseError('exact-match compatibility requires one single value');
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) throw new SelectorParseError('values set must be empty for exists and does not exist');
      break;
  }
  values.forEach(validateLabelValue);
  return { key, operator, values: [...new Set(values)].sort() };
}

/** Parses the string form (`?labelSelector=`, `kubectl -l`). The empty selector selects everything. */
export function parseLabelSelector(selector: string): Requirement[] {
  return new Parser(tokenize(selector)).parse();
}

const EXPRESSION_OPERATORS: Record<string, Requirement['operator']> = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
};

/**
 * Converts the object form (Deployment `spec.selector`). Kubernetes maps an absent selector to
 * "nothing"; Requirement[] cannot express that, so callers must reject a missing selector themselves
 * (apps/v1 validation requires it) — here it yields [] like the empty selector `{}`.
 */
export function selectorFromLabelSelector(sel: LabelSelector | undefined): Requirement[] {
  if (!sel) return [];
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    requirements.push(makeRequirement(key, 'Equals', [value]));
  }
  for (const expression of sel.matchExpressions ?? []) {
    if (
      !expression ||
      typeof expression !== 'object' ||
      typeof expression.key !== 'string' ||
      (expression.values !== undefined && !Array.isArray(expression.values))
    ) {
      throw new SelectorParseError(`invalid label selector expression: ${JSON.stringify(expression)}`);
    }
    const operator = EXPRESSION_OPERATORS[expression.operator];
    if (!operator) throw new SelectorParseError(`"${expression.operator}" is not a valid label selector operator`);
    requirements.push(makeRequirement(expression.key, operator, [...(expression.values ?? [])]));
  }
  return requirements;
}

function matchesRequirement(requirement: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.operator) {
    case 'Equals':
    case 'In':
      return has && requirement.values.includes(value!);
    case 'NotEquals':
    case 'NotIn':
      // Absent keys satisfy negative requirements, as in Kubernetes.
      return !has || !requirement.values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

export function matchesLabels(requirements: Requirement[], labels: Record<string, string> | undefined): boolean {
  return requirements.every((requirement) => matchesRequirement(requirement, labels ?? {}));
}

/** Renders requirements in the canonical string form (labels.Selector.String()), sorted by key. */
export function formatLabelSelector(requirements: Requirement[]): string {
  return [...requirements]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => {
      switch (r.operator) {
        case 'Equals':
          return `${r.key}=${r.values[0] ?? ''}`;
        case 'NotEquals':
          return `${r.key}!=${r.values[0] ?? ''}`;
        case 'In':
          return `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
      }
    })
    .join(',');
}
