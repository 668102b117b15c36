import type { FastifyRequest } from 'fastify';
import { matchesFields, parseFieldSelector } from '../field-selector.js';
import { isKubeObject, isPlainObject, isStringMap, type KubeObject } from '../kube-object.js';
import { matchesLabels, parseLabelSelector } from '../label-selector.js';
import { findResourceType, type ResourceType } from '../resource-types.js';
import { badRequest } from '../status.js';

export const PATCH_TYPES = ['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json'];
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** What a resource path names: a type, and maybe a namespace, an object and a subresource of it. */
export interface ResourceTarget {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** The query, one string per parameter (dryRun apart). */
export type Query = Record<string, string | undefined>;

/** Splits the raw path after `/clusters/{id}`: decoding each segment on its own keeps an encoded `/` inside its segment. */
export function segmentsOf(url: string): string[] {
  const path = url.split('?')[0];
  try {
    return path.split('/').filter(Boolean).slice(2).map(decodeURIComponent);
  } catch {
    throw badRequest('the request path holds a malformed percent-encoding');
  }
}

/** The resource a path (`/api/v1/...` or `/apis/{group}/v1/...`) addresses, or undefined if it addresses none. */
export function resourceTargetOf(segments: string[]): ResourceTarget | undefined {
  const [root, a, b, ...rest] = segments;
  let group: string;
  let version: string;
  let tail: string[];
  if (root === 'api') {
    if (a === undefined) return undefined;
    group = '';
    version = a;
    tail = b === undefined ? [] : [b, ...rest];
  } else if (root === 'apis') {
    if (a === undefined || b === undefined) return undefined;
    group = a;
    version = b;
    tail = rest;
  } else {
    return undefined;
  }
  if (tail.length === 0) return undefined;
  // namespaces/{ns}/{plural}/... addresses a namespaced resource; namespaces/{name}[/status] the namespace itself.
  const namespaced = tail[0] === 'namespaces' && tail.length >= 3 ? findResourceType(group, version, tail[2]) : undefined;
  if (namespaced?.namespaced) {
    if (tail.length > 5) return undefined;
    return { type: namespaced, namespace: tail[1], name: tail[3], subresource: tail[4] };
  }
  const type = findResourceType(group, version, tail[0]);
  if (!type || tail.length > 3) return undefined;
  return { type, name: tail[1], subresource: tail[2] };
}

/** Query parameters a list or watch reads as a count; Kubernetes takes them as int64. */
const COUNT_PARAMETERS = ['limit', 'timeoutSeconds'];

/**
 * The query, one string per parameter. A repeated parameter is refused: read as
 * one value it could widen a selector (and a delete of a collection). dryRun is a
 * list in Kubernetes: repeats are fine, and every value must be All.
 */
export function queryOf(request: FastifyRequest): { query: Query; dryRun: boolean } {
  const raw = (request.query ?? {}) as Record<string, string | string[] | undefined>;
  const query: Query = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'dryRun') continue;
    if (Array.isArray(value)) throw badRequest(`the query parameter "${key}" may be given only once`);
    query[key] = value;
  }
  for (const key of COUNT_PARAMETERS) {
    const value = query[key];
    if (value !== undefined && (!/^\d{1,20}$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER)) {
      throw badRequest(`${key}: Invalid value: "${value}": must be a non-negative integer`);
    }
  }
  return { query, dryRun: dryRunOf(raw.dryRun) };
}

/** Whether a dryRun value (query parameter or DeleteOptions field) asks for a dry run; only All is known. */
export function dryRunOf(value: unknown): boolean {
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  const bad = values.find((v) => v !== 'All');
  if (bad !== undefined) throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(bad)}: supported values: "All"`);
  return true;
}

export const isWatch = (query: Query): boolean => query.watch === 'true' || query.watch === '1';

/** The objects `labelSelector` and `fieldSelector` pick. */
export function selectorOf(query: Query): (obj: KubeObject) => boolean {
  const labels = parseLabelSelector(query.labelSelector ?? '');
  const fields = parseFieldSelector(query.fieldSelector ?? '');
  return (obj) => matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, obj);
}

/** The media type of the body, without parameters. */
export function contentTypeOf(request: FastifyRequest): string {
  return String(request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim();
}

export function wantsTable(request: FastifyRequest): boolean {
  return /as=Table/.test(String(request.headers.accept ?? ''));
}

/**
 * The body as an object whose metadata has the types the API server's decoder
 * demands (a wrong type is a 400 there, before any validation).
 */
export function asObject(body: unknown): KubeObject {
  if (!isPlainObject(body)) throw badRequest('the request body must be a JSON object');
  if (body.metadata === undefined) body.metadata = {};
  if (!isKubeObject(body)) throw badRequest('metadata must be an object');
  for (const field of ['apiVersion', 'kind'] as const) {
    if (body[field] !== undefined && typeof body[field] !== 'string') throw badRequest(`${field} must be a string`);
  }
  for (const field of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid']) {
    if (body.metadata[field] !== undefined && typeof body.metadata[field] !== 'string') throw badRequest(`metadata.${field} must be a string`);
  }
  for (const field of ['labels', 'annotations']) {
    const map = body.metadata[field];
    if (map !== undefined && map !== null && !isStringMap(map)) {
      throw badRequest(`metadata.${field} must be a map of strings`);
    }
  }
  return body;
}

export interface DeleteOptions {
  preconditions?: { resourceVersion?: string; uid?: string };
  dryRun?: string[];
}

/** A DELETE body: no body, or DeleteOptions (kubectl sends `dryRun` for `--dry-run=server` here rather than in the query). */
export function deleteOptionsOf(body: unknown): DeleteOptions {
  if (body === undefined || body === null) return {};
  if (!isPlainObject(body)) throw badRequest('the body of a delete must be a DeleteOptions object');
  const { preconditions, dryRun } = body;
  const options: DeleteOptions = {};
  if (preconditions !== undefined && preconditions !== null) {
    if (!isPlainObject(preconditions)) throw badRequest('preconditions must be an object of uid and resourceVersion strings');
    const { uid, resourceVersion } = preconditions;
    if ((uid !== undefined && typeof uid !== 'string') || (resourceVersion !== undefined && typeof resourceVersion !== 'string')) {
      throw badRequest('preconditions must be an object of uid and resourceVersion strings');
    }
    options.preconditions = { uid, resourceVersion };
  }
  if (dryRun !== undefined && dryRun !== null) {
    if (!Array.isArray(dryRun)) throw badRequest('dryRun must be a list');
    options.dryRun = dryRun;
  }
  return options;
}
