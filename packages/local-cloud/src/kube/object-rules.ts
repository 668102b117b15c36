import { isDeepStrictEqual } from 'node:util';
import { createHash } from 'node:crypto';
import type { KubeObject } from './kube-object.js';
import { clone, isPlainObject, isStringMap } from './kube-object.js';
import type { ResourceType } from './resource-types.js';
import { RBAC_GROUP } from './resource-types.js';
import { invalid, type StatusCause } from './status.js';
import { selectorFromLabelSelector, matchesLabels } from './label-selector.js';
import { addressAt, parseCidr, type Cidr } from '@berth/arm';
import { parseQuantity } from './quantity.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAMES = new Set(['namespaces', 'services']);

/** What the object rules need to know of the cluster. */
export interface RuleContext {
  serviceCidr: string;
  dnsServiceIP: string;
  /** Cluster IPs already taken, to allocate a free one. */
  takenClusterIps(): Promise<Set<string>>;
}

/** Kinds whose `status` only the status subresource (or the cluster's controllers) may change. */
const HAS_STATUS = new Set(['core/namespaces', 'core/nodes', 'core/services', 'core/pods', 'apps/deployments', 'apps/replicasets']);

export function checkName(t: ResourceType, name: string | undefined): StatusCause[] {
  if (!name) return [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }];
  if (t.group === RBAC_GROUP) {
    return /[/%]/.test(name) || name === '.' || name === '..'
      ? [{ field: 'metadata.name', message: `Invalid value: "${name}": may not contain '/' or '%'` }]
      : [];
  }
  const label = LABEL_NAMES.has(t.plural);
  const ok = label ? DNS_LABEL.test(name) && name.length <= 63 : DNS_SUBDOMAIN.test(name) && name.length <= 253;
  if (ok) return [];
  return [
    {
      field: 'metadata.name',
      message: label
        ? `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc'), at most 63 characters`
        : `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')`,
    },
  ];
}

function isBase64(value: unknown): boolean {
  return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0;
}

/** Kubernetes' words for a value that is no DNS-1123 label (apimachinery's IsDNS1123Label). */
const DNS_LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MESSAGE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

const invalidValue = (field: string, value: unknown, detail: string): StatusCause => ({
  field,
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
});

function dnsLabelCauses(value: string, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (value.length > 63) causes.push(invalidValue(field, value, 'must be no more than 63 characters'));
  if (!DNS_LABEL.test(value)) causes.push(invalidValue(field, value, DNS_LABEL_MESSAGE));
  return causes;
}

/** A ConfigMap's or Secret's key becomes a file name in the volumes that hold it (apimachinery's IsConfigMapKey). */
function configKeyCauses(key: string, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (key.length > 253) causes.push(invalidValue(field, key, 'must be no more than 253 characters'));
  if (!CONFIG_KEY.test(key)) causes.push(invalidValue(field, key, CONFIG_KEY_MESSAGE));
  if (key === '.' || key === '..') causes.push(invalidValue(field, key, `must not be '${key}'`));
  else if (key.startsWith('..')) causes.push(invalidValue(field, key, "must not start with '..'"));
  return causes;
}

/** A path the kubelet lays out under a volume: relative, with no `..` element (Kubernetes' validateLocalDescendingPath). */
function descendingPathCauses(path: string, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (path.startsWith('/')) causes.push(invalidValue(field, path, 'must be a relative path'));
  if (path.split('/').includes('..')) causes.push(invalidValue(field, path, "must not contain '..'"));
  return causes;
}

/** An item's path in a ConfigMap or Secret volume: also not starting with `..`, which the kubelet keeps for itself (validateLocalNonReservedPath). */
function itemPathCauses(path: string, field: string): StatusCause[] {
  const causes = descendingPathCauses(path, field);
  if (path.startsWith('..') && !path.startsWith('../')) causes.push(invalidValue(field, path, "must not start with '..'"));
  return causes;
}

function itemsCauses(items: unknown, field: string): StatusCause[] {
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) return [{ field, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a list of objects' }];
  return items.flatMap((item: any, i: number): StatusCause[] => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(item)) return [{ field: at, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be an object' }];
    const causes: StatusCause[] = [];
    if (!item.key || typeof item.key !== 'string') causes.push({ field: `${at}.key`, reason: 'FieldValueRequired', message: 'Required value' });
    if (!item.path || typeof item.path !== 'string') causes.push({ field: `${at}.path`, reason: 'FieldValueRequired', message: 'Required value' });
    else causes.push(...itemPathCauses(item.path, `${at}.path`));
    return causes;
  });
}

/** A volume's name (a folder of the pod's) and the paths of the files it lays out. */
function volumeCauses(volume: any, field: string): StatusCause[] {
  if (!isPlainObject(volume)) return [{ field, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be an object' }];
  const causes: StatusCause[] = [];
  if (!volume.name || typeof volume.name !== 'string') causes.push({ field: `${field}.name`, reason: 'FieldValueRequired', message: 'Required value' });
  else causes.push(...dnsLabelCauses(volume.name, `${field}.name`));
  for (const kind of ['configMap', 'secret']) {
    if (isPlainObject(volume[kind])) causes.push(...itemsCauses(volume[kind].items, `${field}.${kind}.items`));
  }
  const sources = isPlainObject(volume.projected) ? volume.projected.sources : undefined;
  if (Array.isArray(sources)) {
    sources.forEach((source: any, i: number) => {
      for (const kind of ['configMap', 'secret']) {
        if (isPlainObject(source) && isPlainObject(source[kind]))
          causes.push(...itemsCauses(source[kind].items, `${field}.projected.sources[${i}].${kind}.items`));
      }
    });
  }
  return causes;
}

/** A container's mounts name the pod's volumes; a subPath stays inside its volume. */
function volumeMountCauses(mounts: unknown, volumeNames: Set<string>, field: string): StatusCause[] {
  if (mounts === undefined || mounts === null) return [];
  if (!Array.isArray(mounts) || !mounts.every(isPlainObject))
    return [{ field, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a list of objects' }];
  return mounts.flatMap((mount: any, i: number): StatusCause[] => {
    const at = `${field}[${i}]`;
    const causes: StatusCause[] = [];
    if (!mount.name || typeof mount.name !== 'string') causes.push({ field: `${at}.name`, reason: 'FieldValueRequired', message: 'Required value' });
    else if (!volumeNames.has(mount.name))
      causes.push({ field: `${at}.name`, reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(mount.name)}` });
    if (!mount.mountPath || typeof mount.mountPath !== 'string')
      causes.push({ field: `${at}.mountPath`, reason: 'FieldValueRequired', message: 'Required value' });
    if (mount.subPath !== undefined && mount.subPath !== '') {
      // Kubernetes names the field without the mount's index: `volumeMounts.subPath`.
      if (typeof mount.subPath !== 'string')
        causes.push({ field: `${field}.subPath`, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a string' });
      else causes.push(...descendingPathCauses(mount.subPath, `${field}.subPath`));
    }
    return causes;
  });
}

function podSpecCauses(spec: any, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push({ field: `${field}.containers`, reason: 'FieldValueRequired', message: 'Required value' });
    return causes;
  }
  const volumeNames = new Set<string>();
  const volumes = spec.volumes;
  if (volumes !== undefined && volumes !== null && !Array.isArray(volumes)) {
    causes.push({ field: `${field}.volumes`, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a list of objects' });
  } else {
    (volumes ?? []).forEach((volume: any, i: number) => {
      causes.push(...volumeCauses(volume, `${field}.volumes[${i}]`));
      const name = volume?.name;
      if (typeof name !== 'string' || !name) return;
      if (volumeNames.has(name))
        causes.push({ field: `${field}.volumes[${i}].name`, reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(name)}` });
      volumeNames.add(name);
    });
  }
  containers.forEach((c: any, i: number) => {
    const at = `${field}.containers[${i}]`;
    if (!isPlainObject(c)) {
      causes.push({ field: at, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be an object' });
      return;
    }
    if (!c.name || typeof c.name !== 'string') causes.push({ field: `${at}.name`, reason: 'FieldValueRequired', message: 'Required value' });
    if (!c.image || typeof c.image !== 'string') causes.push({ field: `${at}.image`, reason: 'FieldValueRequired', message: 'Required value' });
    if (c.ports !== undefined && (!Array.isArray(c.ports) || !c.ports.every(isPlainObject))) {
      causes.push({ field: `${at}.ports`, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a list of objects' });
    }
    causes.push(...resourcesCauses(c.resources, `${at}.resources`));
    causes.push(...volumeMountCauses(c.volumeMounts, volumeNames, `${at}.volumeMounts`));
  });
  return causes;
}

/** `resources.requests` and `resources.limits`: maps of resource names to non-negative quantities. */
function resourcesCauses(resources: any, field: string): StatusCause[] {
  if (resources === undefined) return [];
  if (!isPlainObject(resources)) return [{ field, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be an object' }];
  const causes: StatusCause[] = [];
  for (const kind of ['requests', 'limits']) {
    const map = resources[kind];
    if (map === undefined) continue;
    if (!isPlainObject(map)) {
      causes.push({ field: `${field}.${kind}`, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a map of quantities' });
      continue;
    }
    for (const [name, value] of Object.entries(map)) {
      const quantity = parseQuantity(value);
      if (quantity === undefined)
        causes.push({
          field: `${field}.${kind}[${name}]`,
          message: `Invalid value: ${JSON.stringify(value)}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
        });
      else if (quantity < 0)
        causes.push({ field: `${field}.${kind}[${name}]`, message: `Invalid value: ${JSON.stringify(value)}: must be greater than or equal to 0` });
    }
  }
  return causes;
}

function configMapCauses(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['data', 'binaryData']) {
    const map = obj[field];
    if (map === undefined || map === null) continue;
    if (!isPlainObject(map)) {
      causes.push({ field, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a map of strings' });
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      causes.push(...configKeyCauses(k, `${field}[${k}]`));
      if (typeof v !== 'string') causes.push({ field: `${field}[${k}]`, message: 'Invalid value: must be a string' });
    }
  }
  return causes;
}

function hashOf(value: string): number {
  return createHash('sha256').update(value).digest().readUInt32BE(0);
}

async function allocateClusterIp(ctx: RuleContext, seed: string): Promise<string> {
  const cidr: Cidr = parseCidr(ctx.serviceCidr)!;
  const taken = await ctx.takenClusterIps();
  taken.add(ctx.dnsServiceIP);
  const size = Math.min(cidr.size, 65536);
  // Hash then probe: deterministic per service, never the network address or the first one (kubernetes' own).
  for (let i = 0; i < size; i++) {
    const offset = 2 + ((hashOf(seed) + i) % (size - 3));
    const ip = addressAt(cidr, offset);
    if (!taken.has(ip)) return ip;
  }
  throw invalid({ kind: 'Service', plural: 'services', group: '' } as ResourceType, seed, [
    { field: 'spec.clusterIP', message: 'no free address in the service CIDR' },
  ]);
}

/** Validates and defaults an object about to be created, as the API server's admission would. */
export async function prepareNew(t: ResourceType, input: KubeObject, ctx: RuleContext): Promise<KubeObject> {
  const obj = clone(input);
  obj.apiVersion = t.apiVersion;
  obj.kind = t.kind;
  const name = obj.metadata.name!;
  const causes: StatusCause[] = [];
  switch (t.key) {
    case 'core/namespaces':
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
      break;
    case 'core/secrets': {
      obj.type ??= 'Opaque';
      normalizeSecret(obj, causes);
      break;
    }
    case 'core/configmaps':
      causes.push(...configMapCauses(obj));
      break;
    case 'apps/deployments':
    case 'apps/replicasets':
      causes.push(...workloadCauses(obj));
      if (causes.length === 0) defaultWorkload(t, obj);
      obj.metadata.generation = 1;
      obj.status = {};
      break;
    case 'core/services':
      causes.push(...serviceCauses(obj));
      if (causes.length === 0) await defaultService(obj, ctx, `${obj.metadata.namespace}/${name}`);
      break;
    case 'core/pods':
      causes.push(...podSpecCauses(obj.spec, 'spec'));
      obj.status = { phase: 'Pending' };
      break;
  }
  if (causes.length > 0) throw invalid(t, name, causes);
  return obj;
}

/**
 * Validates an update of `existing` to `input` (the main resource, or the `status`
 * subresource when `subresource` is 'status'): immutable fields stay, status only
 * changes through its subresource, and `generation` follows spec changes.
 */
export function prepareUpdate(t: ResourceType, existing: KubeObject, input: KubeObject, subresource?: string): KubeObject {
  let obj = clone(input);
  obj.apiVersion = t.apiVersion;
  obj.kind = t.kind;
  if (subresource === 'status') {
    obj = { ...clone(existing), status: obj.status };
  } else if (HAS_STATUS.has(t.key)) {
    obj.status = clone(existing.status);
  }
  const name = existing.metadata.name!;
  const causes: StatusCause[] = [];
  switch (t.key) {
    case 'core/secrets':
      obj.type ??= existing.type;
      if (obj.type !== existing.type) causes.push({ field: 'type', message: 'Invalid value: field is immutable' });
      normalizeSecret(obj, causes);
      if (existing.immutable === true && !isDeepStrictEqual(obj.data, existing.data))
        causes.push({ field: 'data', message: 'Forbidden: field is immutable when `immutable` is set' });
      break;
    case 'apps/deployments':
    case 'apps/replicasets':
      causes.push(...workloadCauses(obj));
      if (causes.length === 0) {
        defaultWorkload(t, obj);
        if (!isDeepStrictEqual((obj.spec as any).selector, (existing.spec as any)?.selector)) {
          causes.push({ field: 'spec.selector', message: 'Invalid value: field is immutable' });
        }
      }
      break;
    case 'core/services': {
      causes.push(...serviceCauses(obj));
      const spec = obj.spec as any;
      const before = existing.spec as any;
      if (spec && before) {
        if (!spec.clusterIP) spec.clusterIP = before.clusterIP;
        if (spec.clusterIP !== before.clusterIP) causes.push({ field: 'spec.clusterIP', message: 'Invalid value: field is immutable' });
        spec.clusterIPs = [spec.clusterIP];
        spec.type ??= 'ClusterIP';
        spec.sessionAffinity ??= 'None';
        assignNodePorts(spec, before);
      }
      break;
    }
    case 'core/configmaps':
      causes.push(...configMapCauses(obj));
      break;
    case 'core/pods':
      causes.push(...podSpecCauses(obj.spec, 'spec'));
      break;
  }
  if (causes.length > 0) throw invalid(t, name, causes);
  const specChanged = !isDeepStrictEqual(obj.spec, existing.spec);
  obj.metadata.generation =
    (existing.metadata.generation ?? 1) + (subresource !== 'status' && specChanged && existing.metadata.generation !== undefined ? 1 : 0);
  if (existing.metadata.generation === undefined) delete obj.metadata.generation;
  return obj;
}

function normalizeSecret(obj: KubeObject, causes: StatusCause[]): void {
  for (const field of ['data', 'stringData']) {
    const map = obj[field];
    if (map !== undefined && map !== null && !isPlainObject(map)) {
      causes.push({ field, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a map of strings' });
      return;
    }
  }
  const data: Record<string, string> = { ...((obj.data as Record<string, string>) ?? {}) };
  for (const [k, v] of Object.entries(data)) {
    causes.push(...configKeyCauses(k, `data[${k}]`));
    if (!isBase64(v)) causes.push({ field: `data[${k}]`, message: 'Invalid value: must be base64-encoded' });
  }
  for (const [k, v] of Object.entries((obj.stringData as Record<string, unknown>) ?? {})) {
    if (!(k in data)) causes.push(...configKeyCauses(k, `data[${k}]`));
    data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  delete obj.stringData;
  if (Object.keys(data).length > 0 || obj.data !== undefined) obj.data = data;
  if (obj.type === 'kubernetes.io/tls' && (!data['tls.crt'] || !data['tls.key'])) {
    causes.push({ field: 'data', message: 'Required value: kubernetes.io/tls secrets need tls.crt and tls.key' });
  }
}

/** A Deployment's or ReplicaSet's spec: a selector that matches the pod template's labels, a replica count, a valid pod spec. */
function workloadCauses(obj: KubeObject): StatusCause[] {
  const spec = obj.spec as any;
  if (!spec || typeof spec !== 'object') return [{ field: 'spec', reason: 'FieldValueRequired', message: 'Required value' }];
  const causes: StatusCause[] = [];
  const isMap = (v: unknown) => v === undefined || isStringMap(v);
  const selector = spec.selector;
  if (
    selector !== undefined &&
    (!selector ||
      typeof selector !== 'object' ||
      !isMap(selector.matchLabels) ||
      (selector.matchExpressions !== undefined && !Array.isArray(selector.matchExpressions)))
  ) {
    return [{ field: 'spec.selector', reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a label selector' }];
  }
  if (
    !spec.template ||
    typeof spec.template !== 'object' ||
    (spec.template.metadata !== undefined && (typeof spec.template.metadata !== 'object' || !isMap(spec.template.metadata?.labels)))
  ) {
    return [{ field: 'spec.template', reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a pod template' }];
  }
  if (!spec.selector || (!spec.selector.matchLabels && !spec.selector.matchExpressions)) {
    causes.push({ field: 'spec.selector', reason: 'FieldValueRequired', message: 'Required value' });
  } else if (!matchesLabels(selectorFromLabelSelector(spec.selector), spec.template?.metadata?.labels)) {
    causes.push({
      field: 'spec.template.metadata.labels',
      message: `Invalid value: ${JSON.stringify(spec.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``,
    });
  }
  if (spec.replicas !== undefined && !isReplicaCount(spec.replicas)) {
    causes.push({ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(spec.replicas)}: must be an integer from 0 to ${MAX_REPLICAS}` });
  }
  causes.push(...podSpecCauses(spec.template?.spec, 'spec.template.spec'));
  return causes;
}

/** Kubernetes holds replica counts in an int32. */
export const MAX_REPLICAS = 2_147_483_647;

export function isReplicaCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_REPLICAS;
}

function defaultWorkload(t: ResourceType, obj: KubeObject): void {
  const spec = obj.spec as any;
  spec.replicas ??= 1;
  if (t.kind === 'Deployment') {
    spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
  }
  for (const c of spec.template.spec.containers) {
    c.imagePullPolicy ??= String(c.image).endsWith(':latest') || !String(c.image).includes(':') ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    // The API server defaults each container port's protocol, as it does a Service port's.
    for (const port of c.ports ?? []) port.protocol ??= 'TCP';
  }
  spec.template.spec.restartPolicy ??= 'Always';
  spec.template.spec.dnsPolicy ??= 'ClusterFirst';
  spec.template.spec.schedulerName ??= 'default-scheduler';
  spec.template.spec.terminationGracePeriodSeconds ??= 30;
}

function serviceCauses(obj: KubeObject): StatusCause[] {
  const spec = obj.spec as any;
  if (!spec || typeof spec !== 'object') return [{ field: 'spec.ports', reason: 'FieldValueRequired', message: 'Required value' }];
  const causes: StatusCause[] = [];
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (spec.type !== undefined && !types.includes(spec.type))
    causes.push({
      field: 'spec.type',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${spec.type}": supported values: "${types.join('", "')}"`,
    });
  if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && (!Array.isArray(spec.ports) || spec.ports.length === 0)) {
    causes.push({ field: 'spec.ports', reason: 'FieldValueRequired', message: 'Required value' });
  }
  (spec.ports ?? []).forEach((p: any, i: number) => {
    if (!Number.isInteger(p?.port) || p.port < 1 || p.port > 65535)
      causes.push({ field: `spec.ports[${i}].port`, message: `Invalid value: ${p?.port}: must be between 1 and 65535, inclusive` });
  });
  return causes;
}

function assignNodePorts(spec: any, before?: any): void {
  if (spec.type !== 'LoadBalancer' && spec.type !== 'NodePort') return;
  const used = new Set<number>((spec.ports ?? []).map((p: any) => p.nodePort).filter(Boolean));
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
    if (p.nodePort) continue;
    const previous = before?.ports?.find((q: any) => q.port === p.port && q.protocol === p.protocol)?.nodePort;
    let port = previous ?? 30000 + (hashOf(`${p.port}/${p.protocol}`) % 2768);
    while (used.has(port)) port = port >= 32767 ? 30000 : port + 1;
    used.add(port);
    p.nodePort = port;
  }
}

async function defaultService(obj: KubeObject, ctx: RuleContext, seed: string): Promise<void> {
  const spec = obj.spec as any;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  if (spec.type !== 'ExternalName') {
    if (!spec.clusterIP) spec.clusterIP = await allocateClusterIp(ctx, seed);
    spec.clusterIPs = [spec.clusterIP];
    spec.ipFamilies = ['IPv4'];
    spec.ipFamilyPolicy = 'SingleStack';
  }
  if (spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  assignNodePorts(spec);
  obj.status = { loadBalancer: {} };
}
