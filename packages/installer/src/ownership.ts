import { isDeepStrictEqual } from 'node:util';
import { isOwnedAnnotation, isOwnedLabel } from './constants.js';
import type { KubeObject } from './install-spec.js';

/**
 * The top-level fields Berth owns, per kind (besides its labels and
 * annotations). Everything else on a live object — status, server-filled
 * metadata, fields of kinds Berth doesn't configure — is left as it is.
 */
const OWNED_FIELDS: Record<string, string[]> = {
  Namespace: [],
  ServiceAccount: [],
  ClusterRole: ['rules', 'aggregationRule'],
  ClusterRoleBinding: ['roleRef', 'subjects'],
  Role: ['rules'],
  RoleBinding: ['roleRef', 'subjects'],
  ConfigMap: ['data', 'binaryData', 'immutable'],
  Secret: ['data', 'stringData', 'type', 'immutable'],
  Deployment: ['spec'],
  Service: ['spec'],
};

/** Kinds the API server fills defaults into: a dry-run PUT tells those defaults from drift. */
export const DEFAULTED_KINDS = new Set(['Deployment', 'Service']);

const pick = (map: Record<string, string> | undefined, keep: (key: string) => boolean): Record<string, string> =>
  Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => keep(k)));

/** Drops undefined, null, empty objects and empty arrays: the API server omits them, so they mean nothing. */
function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = prune(v);
      if (p === undefined || p === null) continue;
      if (typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0) continue;
      if (Array.isArray(p) && p.length === 0) continue;
      out[k] = p;
    }
    return out;
  }
  return value;
}

/** Server-allocated Service fields: never Berth's to set, never drift. */
function withoutAllocated(kind: string, field: string, value: unknown): unknown {
  if (kind !== 'Service' || field !== 'spec' || !value || typeof value !== 'object') return value;
  const spec = { ...(value as Record<string, unknown>) };
  for (const key of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'healthCheckNodePort']) delete spec[key];
  if (Array.isArray(spec.ports)) spec.ports = spec.ports.map(({ nodePort: _n, ...port }: Record<string, unknown>) => port);
  return spec;
}

/** What Berth owns of an object, normalized for comparison. */
function ownedView(obj: KubeObject): unknown {
  const fields = OWNED_FIELDS[obj.kind] ?? [];
  return prune({
    labels: pick(obj.metadata.labels, isOwnedLabel),
    annotations: pick(obj.metadata.annotations, isOwnedAnnotation),
    fields: Object.fromEntries(fields.map((f) => [f, withoutAllocated(obj.kind, f, obj[f])])),
  });
}

/** True when what Berth owns of `live` differs from `reference`. */
export function drifted(live: KubeObject, reference: KubeObject): boolean {
  return !isDeepStrictEqual(ownedView(live), ownedView(reference));
}

type Container = { name?: string; resources?: unknown };

function containersOf(obj: KubeObject | undefined): Container[] {
  return ((obj?.spec as any)?.template?.spec?.containers as Container[] | undefined) ?? [];
}

/**
 * The object to PUT: the live one, with what Berth owns replaced by the desired
 * one. Labels and annotations of others stay (e.g. the deployment controller's
 * revision); server-allocated Service fields stay; and containers' resource
 * requests and limits a user tuned stay (R12: the one edit Berth keeps).
 */
export function mergeForReplace(desired: KubeObject, live: KubeObject): KubeObject {
  const next = structuredClone(live);
  delete next.status;
  delete next.metadata.managedFields;
  next.apiVersion = desired.apiVersion;
  next.kind = desired.kind;
  next.metadata.labels = { ...pick(live.metadata.labels, (k) => !isOwnedLabel(k)), ...desired.metadata.labels };
  next.metadata.annotations = { ...pick(live.metadata.annotations, (k) => !isOwnedAnnotation(k)), ...desired.metadata.annotations };
  for (const field of OWNED_FIELDS[desired.kind] ?? []) {
    if (field in desired) next[field] = structuredClone(desired[field]);
    else delete next[field];
  }
  if (desired.kind === 'Deployment') {
    const liveContainers = containersOf(live);
    for (const container of containersOf(next)) {
      const tuned = liveContainers.find((c) => c.name === container.name);
      if (!tuned) continue;
      if (tuned.resources === undefined) delete container.resources;
      else container.resources = structuredClone(tuned.resources);
    }
  }
  if (desired.kind === 'Service') carryAllocated(next.spec as Record<string, any>, live.spec as Record<string, any> | undefined);
  return next;
}

/** Keeps the cluster IP(s), IP families and node ports the server gave the live Service. */
function carryAllocated(spec: Record<string, any>, before: Record<string, any> | undefined): void {
  if (!spec || !before) return;
  for (const key of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) {
    if (before[key] !== undefined && spec[key] === undefined) spec[key] = structuredClone(before[key]);
  }
  for (const port of (spec.ports ?? []) as Array<Record<string, any>>) {
    const previous = ((before.ports ?? []) as Array<Record<string, any>>).find(
      (p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'),
    );
    if (previous?.nodePort !== undefined && port.nodePort === undefined) port.nodePort = previous.nodePort;
  }
}
