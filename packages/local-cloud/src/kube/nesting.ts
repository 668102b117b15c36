import { jsonNestedDeeperThan, MAX_JSON_NESTING, valueNestedDeeperThan } from '@berth/arm';
import { badRequest } from './status.js';

const tooDeep = () => badRequest(`the request body is nested deeper than ${MAX_JSON_NESTING} levels`);

/** Refuses JSON text nested too deep, before it is parsed (later steps recurse). */
export function checkJsonNesting(text: string): void {
  if (jsonNestedDeeperThan(text)) throw tooDeep();
}

/** Refuses a parsed value (YAML, or a patch's result) nested too deep. */
export function checkNesting(value: unknown): void {
  if (valueNestedDeeperThan(value)) throw tooDeep();
}

/**
 * Refuses YAML values that are not JSON data (`!!binary`, `!!set`, `!!timestamp` give
 * typed objects the API server never sees). Run after checkNesting, which ends cycles.
 */
export function checkPlainData(value: unknown): void {
  const seen = new WeakSet<object>();
  const stack = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const proto = Object.getPrototypeOf(current);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
      throw badRequest(
        `the YAML body holds a ${proto?.constructor?.name ?? 'typed'} value; only JSON data (maps, lists, strings, numbers, booleans, null) is accepted`,
      );
    }
    stack.push(...Object.values(current));
  }
}
