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
