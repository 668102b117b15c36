import jmespath from 'jmespath';
import { stringify as toYaml } from 'yaml';
import { CliError } from './errors.js';

export const outputFormats = ['json', 'jsonc', 'table', 'tsv', 'yaml', 'none'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** A command's own table layout (like the Azure CLI's table transformers), used when no --query reshapes the result. */
export type TableTransformer = (value: unknown) => Array<Record<string, unknown>>;

export interface OutputOptions {
  output: OutputFormat;
  query?: string;
  table?: TableTransformer;
  /** Colour JSON (jsonc) only on a terminal. */
  color?: boolean;
}

/** Applies a JMESPath query (as `--query` does); a bad expression is a usage error. */
export function applyQuery(value: unknown, query: string): unknown {
  try {
    return jmespath.search(value as object, query);
  } catch (err) {
    throw new CliError(`--query '${query}' is not a valid JMESPath expression: ${(err as Error).message}`, 2);
  }
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function headerOf(key: string): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/** Rows for the generic table: top-level scalar fields of each object, or one `Result` column for scalars. */
function rowsOf(value: unknown): Array<Record<string, unknown>> {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return { Result: item };
    return Object.fromEntries(
      Object.entries(item as Record<string, unknown>)
        .filter(([, v]) => v === null || typeof v !== 'object')
        .map(([k, v]) => [headerOf(k), v]),
    );
  });
}

/** The Azure CLI's table layout: each column as wide as its widest cell and at least its header plus two, two spaces apart. */
export function formatTable(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => columns.map((c) => scalarText(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length + 2, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

function formatTsv(value: unknown): string {
  const items = Array.isArray(value) ? value : [value];
  return (
    items
      .map((item) => {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
          return Object.values(item as Record<string, unknown>)
            .filter((v) => v === null || typeof v !== 'object')
            .map(scalarText)
            .join('\t');
        }
        return Array.isArray(item) ? item.map(scalarText).join('\t') : scalarText(item);
      })
      .join('\n') + '\n'
  );
}

function colorJson(text: string): string {
  return text.replace(/("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (m, str, colon, lit, num) => {
    if (str) return colon ? `\x1b[36m${str}\x1b[0m${colon}` : `\x1b[32m${str}\x1b[0m`;
    if (lit) return `\x1b[33m${lit}\x1b[0m`;
    return num ? `\x1b[35m${num}\x1b[0m` : m;
  });
}

/** Renders a command's result as the Azure CLI does for `-o` and `--query`. */
export function formatOutput(value: unknown, options: OutputOptions): string {
  const result = options.query ? applyQuery(value, options.query) : value;
  if (result === undefined) return '';
  switch (options.output) {
    case 'none':
      return '';
    case 'json':
      return `${JSON.stringify(result, null, 2)}\n`;
    case 'jsonc': {
      const text = JSON.stringify(result, null, 2);
      return `${options.color ? colorJson(text) : text}\n`;
    }
    case 'yaml':
      return toYaml(result);
    case 'tsv':
      return formatTsv(result);
    case 'table':
      return formatTable(options.table && !options.query ? options.table(result) : rowsOf(result));
  }
}
