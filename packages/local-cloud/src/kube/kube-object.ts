/** A Kubernetes object as JSON. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A JSON object: not null, not an array. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** A JSON object whose values are all strings (labels, annotations, matchLabels). */
export const isStringMap = (value: unknown): value is Record<string, string> =>
  isPlainObject(value) && Object.values(value).every((v) => typeof v === 'string');

/** A plain object whose metadata is a plain object: what every Kubernetes object is at least. */
export const isKubeObject = (value: unknown): value is KubeObject => isPlainObject(value) && isPlainObject(value.metadata);

/** Parses the JSON text of a stored object, refusing text that is not a Kubernetes object rather than trusting it. */
export function parseKubeObject(text: string): KubeObject {
  const value: unknown = JSON.parse(text);
  if (!isKubeObject(value)) throw new Error('the stored text is not a Kubernetes object (an object with metadata)');
  return value;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
