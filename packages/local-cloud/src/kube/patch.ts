// The three PATCH content types of the Kubernetes API: JSON merge patch (RFC 7386), JSON patch
// (RFC 6902) and strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch).
// Every function works on copies, so a failed patch can never leave a half-applied stored object.

// fast-json-patch is CommonJS without named-export hints, so Node only offers its default export.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';

/** A patch that cannot be applied; the message is meant for the Status returned to the client. */
export class PatchError extends Error {
  override name = 'PatchError';
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireObjectPatch(patch: unknown): JsonObject {
  if (!isObject(patch)) throw new PatchError('patch body must be a JSON object');
  return patch;
}

// ---------------------------------------------------------------------------------------------
// RFC 7386 JSON merge patch

function mergePatchValue(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatchValue(result[key], value);
  }
  return result;
}

/**
 * The patch must be an object: RFC 7386 would let a scalar or array replace the whole document,
 * which is never a valid Kubernetes object.
 */
export function applyMergePatch<T>(target: T, patch: unknown): T {
  return mergePatchValue(structuredClone(target), requireObjectPatch(patch)) as T;
}

// ---------------------------------------------------------------------------------------------
// RFC 6902 JSON patch

export function applyJsonPatch<T>(target: T, operations: unknown): T {
  if (!Array.isArray(operations)) throw new PatchError('json patch must be a JSON array of operations');
  // The library copies the target itself (mutateDocument=false) but inserts operation values by
  // reference, so clone those to keep the result independent of the request body.
  const ops = structuredClone(operations) as Operation[];
  try {
    return jsonpatch.applyPatch(target, ops, true, false, true).newDocument;
  } catch (err) {
    if (err instanceof jsonpatch.JsonPatchError) {
      // The library's message embeds the whole document; keep only its first line.
      const summary = err.message.split('\n')[0];
      const op = err.operation as { op?: unknown; path?: unknown } | undefined;
      const where = err.index === undefined ? '' : ` (operation ${err.index}: ${String(op?.op)} ${String(op?.path)})`;
      throw new PatchError(`json patch: ${summary}${where}`);
    }
    if (err instanceof TypeError) throw new PatchError(`json patch: ${err.message}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

/**
 * Patch metadata for one field, after the `patchStrategy`/`patchMergeKey` struct tags of
 * k8s.io/api. Lists without an entry are atomic (replaced by the patch).
 */
type FieldMeta = {
  /** List of objects merged element-wise by this key. */
  mergeKey?: string;
  /** List of scalars merged as an ordered set (patchStrategy "merge" without a key). */
  setMerge?: true;
  /** Metadata of the fields of this map, or of each element of a keyed list. */
  fields?: Schema;
};
type Schema = Record<string, FieldMeta>;

const CONTAINER: Schema = {
  ports: { mergeKey: 'containerPort' },
  env: { mergeKey: 'name' },
  volumeMounts: { mergeKey: 'mountPath' },
  volumeDevices: { mergeKey: 'devicePath' },
};

const POD_SPEC: Schema = {
  containers: { mergeKey: 'name', fields: CONTAINER },
  initContainers: { mergeKey: 'name', fields: CONTAINER },
  ephemeralContainers: { mergeKey: 'name', fields: CONTAINER },
  volumes: { mergeKey: 'name' },
  imagePullSecrets: { mergeKey: 'name' },
  hostAliases: { mergeKey: 'ip' },
};

const CONDITIONS: FieldMeta = { mergeKey: 'type' };

const OBJECT_META: FieldMeta = {
  fields: { ownerReferences: { mergeKey: 'uid' }, finalizers: { setMerge: true } },
};

/** Deployments and ReplicaSets: a pod template and status conditions. */
const WORKLOAD: Schema = {
  spec: { fields: { template: { fields: { spec: { fields: POD_SPEC } } } } },
  status: { fields: { conditions: CONDITIONS } },
};

const KIND_SCHEMAS: Record<string, Schema> = {
  Deployment: WORKLOAD,
  ReplicaSet: WORKLOAD,
  Pod: {
    spec: { fields: POD_SPEC },
    status: { fields: { conditions: CONDITIONS, podIPs: { mergeKey: 'ip' } } },
  },
  Service: { spec: { fields: { ports: { mergeKey: 'port' } } } },
  Node: {
    spec: { fields: { podCIDRs: { setMerge: true } } },
    status: { fields: { conditions: CONDITIONS, addresses: { mergeKey: 'type' } } },
  },
  ServiceAccount: { secrets: { mergeKey: 'name' } },
  Secret: {},
  ConfigMap: {},
  Namespace: {},
  Role: {},
  RoleBinding: {},
  ClusterRole: {},
  ClusterRoleBinding: {},
  Event: {},
};

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** Returned by mergeMap for `$patch: delete`: the enclosing key is removed. */
const DELETED = Symbol('deleted');

function describe(value: unknown): string {
  return JSON.stringify(value);
}

/** Identity of a list element: its merge-key value, or the scalar itself in a set-merged list. */
function identity(element: unknown, mergeKey: string | undefined): unknown {
  return mergeKey === undefined ? element : (element as JsonObject)[mergeKey];
}

function indexIn(list: unknown[], element: unknown, mergeKey: string | undefined): number {
  const id = identity(element, mergeKey);
  return list.findIndex((candidate) => (isObject(candidate) || mergeKey === undefined) && identity(candidate, mergeKey) === id);
}

/**
 * Orders a merged list the way strategicpatch.normalizeElementOrder does: items named by `order`
 * (the patch list or `$setElementOrder`) follow that order; server-only items keep their relative
 * order and are interleaved by their position in `serverOrder`. An item new to the server is
 * therefore placed before the server-only items that follow it, which is why Kubernetes puts
 * containers added by a patch at the front.
 */
function normalizeOrder(merged: unknown[], order: unknown[], serverOrder: unknown[], mergeKey: string | undefined): unknown[] {
  const inOrder = (item: unknown) => indexIn(order, item, mergeKey) >= 0;
  const patchItems = merged
    .filter(inOrder)
    .map((item, position) => ({ item, position, rank: indexIn(order, item, mergeKey) }))
    .sort((a, b) => a.rank - b.rank || a.position - b.position)
    .map(({ item }) => item);
  const serverOnly = merged.filter((item) => !inOrder(item));

  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) result.push(serverOnly[i++]);
    else if (i >= serverOnly.length) result.push(patchItems[j++]);
    else {
      const left = indexIn(serverOrder, serverOnly[i], mergeKey);
      const right = indexIn(serverOrder, patchItems[j], mergeKey);
      if (left >= 0 && right >= 0 && left < right) result.push(serverOnly[i++]);
      else result.push(patchItems[j++]);
    }
  }
  return result;
}

function requireList(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new PatchError(`${path}: expected a list, got ${describe(value)}`);
  return value;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function mergeKeyedList(original: unknown[], patch: unknown[], mergeKey: string, fields: Schema | undefined, path: string): unknown[] {
  for (const element of [...original, ...patch]) {
    if (!isObject(element)) throw new PatchError(`${path}: list elements must be objects, got ${describe(element)}`);
  }
  const keyOf = (element: JsonObject): unknown => {
    if (!(mergeKey in element)) {
      throw new PatchError(`${path}: map ${describe(element)} does not contain declared merge key: ${mergeKey}`);
    }
    return element[mergeKey];
  };
  let base = original as JsonObject[];
  const regular: JsonObject[] = [];
  let replace = false;
  for (const element of patch as JsonObject[]) {
    if (!(DIRECTIVE in element)) {
      regular.push(element);
      continue;
    }
    const directive = element[DIRECTIVE];
    if (directive === 'delete') {
      const key = keyOf(element);
      base = base.filter((candidate) => candidate[mergeKey] !== key);
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new PatchError(`${path}: merging lists cannot yet be specified in the patch`);
    } else {
      throw new PatchError(`${path}: unknown patch type: ${describe(directive)} in map: ${describe(element)}`);
    }
  }
  const elementPath = `${path}[]`;
  if (replace) return regular.map((element) => mergeFields({}, element, fields, elementPath));

  const merged: JsonObject[] = [...base];
  for (const element of regular) {
    const key = keyOf(element);
    const at = merged.findIndex((candidate) => candidate[mergeKey] === key);
    if (at >= 0) merged[at] = mergeFields(merged[at]!, element, fields, elementPath);
    else merged.push(mergeFields({}, element, fields, elementPath));
  }
  return normalizeOrder(merged, regular, base, mergeKey);
}

function mergeScalarSet(original: unknown[], patch: unknown[], path: string): unknown[] {
  for (const element of [...original, ...patch]) {
    if (typeof element === 'object' && element !== null) {
      throw new PatchError(`${path}: list elements must be scalars, got ${describe(element)}`);
    }
  }
  return normalizeOrder([...new Set([...original, ...patch])], patch, original, undefined);
}

function mergeList(original: unknown, patch: unknown[], meta: FieldMeta | undefined, path: string): unknown[] {
  const base = Array.isArray(original) ? original : [];
  if (meta?.mergeKey !== undefined) return mergeKeyedList(base, patch, meta.mergeKey, meta.fields, path);
  if (meta?.setMerge) return mergeScalarSet(base, patch, path);
  // Atomic lists are replaced wholesale, element contents included, as RFC 7386 does.
  return patch;
}

function applySetElementOrder(result: JsonObject, patch: JsonObject, directiveKey: string, schema: Schema | undefined, path: string): void {
  const field = directiveKey.slice(SET_ELEMENT_ORDER.length);
  const fieldPath = join(path, field);
  const order = requireList(patch[directiveKey], join(path, directiveKey));
  if (!(field in result) && !(field in patch)) return;
  const meta = schema?.[field];
  const original = field in result ? requireList(result[field], fieldPath) : [];
  const merged = field in patch ? mergeList(original, requireList(patch[field], fieldPath), meta, fieldPath) : original;
  const mergeKey = meta?.mergeKey;
  if (mergeKey !== undefined && !merged.every(isObject)) throw new PatchError(`${fieldPath}: list elements must be objects`);
  result[field] = normalizeOrder(merged, order, original, mergeKey);
}

/** Merges a patch map that carries no `$patch` directive of its own into a copy of `original`. */
function mergeFields(original: JsonObject, patch: JsonObject, schema: Schema | undefined, path: string): JsonObject {
  const result: JsonObject = { ...original };
  const handled = new Set<string>([DIRECTIVE]);

  if (RETAIN_KEYS in patch) {
    const retain = new Set(requireList(patch[RETAIN_KEYS], join(path, RETAIN_KEYS)));
    for (const key of Object.keys(result)) if (!retain.has(key)) delete result[key];
    handled.add(RETAIN_KEYS);
  }

  // Ordering directives go first and consume their list, as strategicpatch.mergePatchIntoOriginal does.
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    applySetElementOrder(result, patch, key, schema, path);
    handled.add(key).add(key.slice(SET_ELEMENT_ORDER.length));
  }

  for (const [key, value] of Object.entries(patch)) {
    if (handled.has(key)) continue;
    const fieldPath = join(path, key);

    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      const remove = requireList(value, fieldPath);
      if (field in result) {
        result[field] = requireList(result[field], join(path, field)).filter((item) => !remove.includes(item));
      }
      continue;
    }

    const meta = schema?.[key];
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const current = result[key];
      const merged = mergeMap(isObject(current) ? current : {}, value, meta?.fields, fieldPath);
      if (merged === DELETED) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, meta, fieldPath);
    } else {
      result[key] = value;
    }
  }
  return result;
}

/** strategicpatch.mergeMap: honours a `$patch` directive on the map itself, then merges its fields. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: Schema | undefined, path: string): JsonObject | typeof DELETED {
  if (!(DIRECTIVE in patch)) return mergeFields(original, patch, schema, path);
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return DELETED;
  if (directive === 'replace') return mergeFields({}, patch, schema, path);
  throw new PatchError(`${path || '<root>'}: unknown patch type: ${describe(directive)} in map: ${describe(patch)}`);
}

/**
 * Applies a strategic merge patch for `kind`. Kinds this table does not know behave as a JSON merge
 * patch (the real API server refuses strategic merge patches for custom resources altogether).
 */
export function applyStrategicMergePatch<T>(target: T, patch: unknown, kind: string): T {
  const objectPatch = requireObjectPatch(patch);
  const kindSchema = KIND_SCHEMAS[kind];
  if (!kindSchema) return applyMergePatch(target, objectPatch);
  const schema: Schema = { metadata: OBJECT_META, ...kindSchema };
  const original = structuredClone(target);
  const result = mergeMap(isObject(original) ? original : {}, structuredClone(objectPatch), schema, '');
  if (result === DELETED) throw new PatchError('$patch: delete cannot delete the whole object');
  return result as T;
}
