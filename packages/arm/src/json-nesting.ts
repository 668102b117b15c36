/** Deepest nesting of objects and arrays a request body may have (as Kubernetes' JSON decoder allows). */
export const MAX_JSON_NESTING = 100;

/**
 * Whether JSON text nests objects and arrays deeper than `max`, found by a scan
 * before parsing: the steps after parsing (validation, cloning, patching,
 * serializing) recurse, and a deep enough body would exhaust the stack.
 * Brackets inside strings do not count.
 */
export function jsonNestedDeeperThan(text: string, max = MAX_JSON_NESTING): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

/**
 * The same limit for a value already parsed (YAML, say). Iterative, so any depth
 * is safe to check; a node shared through YAML aliases is walked again only when
 * reached deeper than before, so shared nodes cost no blow-up and a cycle ends
 * as too deep.
 */
export function valueNestedDeeperThan(value: unknown, max = MAX_JSON_NESTING): boolean {
  const deepest = new Map<object, number>();
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return true;
    if ((deepest.get(current) ?? 0) >= depth) continue;
    deepest.set(current, depth);
    for (const child of Object.values(current)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
