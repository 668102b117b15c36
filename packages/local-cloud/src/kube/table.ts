// Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` requests. Columns and cells
// follow the kube-apiserver's printers (kubernetes/pkg/printers/internalversion). Like the real
// server, every row carries the `-o wide` (priority 1) cells too; kubectl hides them unless asked.

import { formatLabelSelector, selectorFromLabelSelector, type LabelSelector } from './label-selector.js';

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

export type TableOptions = {
  resourceVersion: string;
  /** What each row's `object` holds; Kubernetes defaults to Metadata. */
  includeObject?: 'None' | 'Object' | 'Metadata';
  /** The instant ages are measured to; defaults to the current time. */
  now?: Date;
};

type Column = { name: string; type: string; format: string; description: string; priority: number };
type Cell = string | number;

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const CREATED_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.';

function column(name: string, description: string, extra: { type?: string; format?: string; priority?: number } = {}): Column {
  return { name, type: extra.type ?? 'string', format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}
const nameColumn = (priority = 0) => column('Name', NAME_DESCRIPTION, { format: 'name', priority });
const ageColumn = () => column('Age', CREATED_DESCRIPTION);
const createdAtColumn = () => column('Created At', CREATED_DESCRIPTION, { type: 'date' });
const wide = (name: string, description: string) => column(name, description, { priority: 1 });

// ---------------------------------------------------------------------------------------------
// Formatting helpers

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration: about two significant figures. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  // Up to two seconds in the future is clock skew, not an error.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

function since(timestamp: unknown, now: Date): string {
  const time = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  return Number.isNaN(time) ? '<unknown>' : humanDuration(now.getTime() - time);
}

/** RFC 3339 in UTC without fractional seconds, as Go's time.RFC3339; a missing time is Go's zero time. */
function rfc3339(timestamp: unknown): string {
  const time = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  return Number.isNaN(time) ? '0001-01-01T00:00:00Z' : new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(obj) : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function int(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function orNone(value: string): string {
  return value === '' ? '<none>' : value;
}

function nameOf(o: KubeObject): string {
  return o.metadata?.name ?? '';
}

/** labels.FormatLabels: sorted `k=v` pairs, `<none>` when empty. */
function formatLabels(labels: unknown): string {
  const entries = Object.entries(obj(labels)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return orNone(entries.map(([k, v]) => `${k}=${str(v)}`).join(','));
}

// ---------------------------------------------------------------------------------------------
// Printers

type Printer = { columns: Column[]; cells: (o: KubeObject, now: Date) => Cell[] };

function nodeCells(o: KubeObject, now: Date): Cell[] {
  const status = obj(o.status);
  const ready = list(status.conditions).find((c) => c.type === 'Ready');
  const states = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (obj(o.spec).unschedulable === true) states.push('SchedulingDisabled');

  const roles = new Set<string>();
  for (const [key, value] of Object.entries(o.metadata?.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length) {
      roles.add(key.slice('node-role.kubernetes.io/'.length));
    } else if (key === 'kubernetes.io/role' && value !== '') {
      roles.add(value);
    }
  }

  const info = obj(status.nodeInfo);
  const address = (type: string) => orNone(str(list(status.addresses).find((a) => a.type === type)?.address));
  const orUnknown = (value: unknown) => str(value) || '<unknown>';
  return [
    nameOf(o),
    states.join(','),
    orNone([...roles].sort().join(',')),
    since(o.metadata?.creationTimestamp, now),
    str(info.kubeletVersion),
    address('InternalIP'),
    address('ExternalIP'),
    orUnknown(info.osImage),
    orUnknown(info.kernelVersion),
    orUnknown(info.containerRuntimeVersion),
  ];
}

function serviceExternalIp(spec: Json, status: Json): string {
  const externalIps = Array.isArray(spec.externalIPs) ? spec.externalIPs.map(str) : [];
  switch (str(spec.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return orNone(externalIps.join(','));
    case 'LoadBalancer': {
      const ingress = list(obj(status.loadBalancer).ingress)
        .map((i) => str(i.ip) || str(i.hostname))
        .filter((address) => address !== '');
      const addresses = [...[...new Set(ingress)].sort(), ...externalIps];
      return addresses.length > 0 ? addresses.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function serviceCells(o: KubeObject, now: Date): Cell[] {
  const spec = obj(o.spec);
  const clusterIps = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.map(str) : [];
  const ports = list(spec.ports).map((p) => {
    const protocol = str(p.protocol) || 'TCP';
    return int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${protocol}` : `${int(p.port)}/${protocol}`;
  });
  return [
    nameOf(o),
    str(spec.type) || 'ClusterIP',
    orNone(clusterIps[0] ?? str(spec.clusterIP)),
    serviceExternalIp(spec, obj(o.status)),
    orNone(ports.join(',')),
    since(o.metadata?.creationTimestamp, now),
    formatLabels(spec.selector),
  ];
}

function selectorCell(selector: unknown): string {
  try {
    return formatLabelSelector(selectorFromLabelSelector(obj(selector) as LabelSelector));
  } catch {
    // Stored objects passed validation; a broken selector should not fail the whole listing.
    return '<invalid>';
  }
}

function deploymentCells(o: KubeObject, now: Date): Cell[] {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const containers = list(obj(obj(spec.template).spec).containers);
  const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
  return [
    nameOf(o),
    `${int(status.readyReplicas)}/${desired}`,
    int(status.updatedReplicas),
    int(status.availableReplicas),
    since(o.metadata?.creationTimestamp, now),
    containers.map((c) => str(c.name)).join(','),
    containers.map((c) => str(c.image)).join(','),
    selectorCell(spec.selector),
  ];
}

function replicaSetCells(o: KubeObject, now: Date): Cell[] {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const containers = list(obj(obj(spec.template).spec).containers);
  return [
    nameOf(o),
    typeof spec.replicas === 'number' ? spec.replicas : 1,
    int(status.replicas),
    int(status.readyReplicas),
    since(o.metadata?.creationTimestamp, now),
    containers.map((c) => str(c.name)).join(','),
    containers.map((c) => str(c.image)).join(','),
    selectorCell(spec.selector),
  ];
}

/** The pod status kubectl prints: phase, overridden by the most telling container state. */
function podCells(o: KubeObject, now: Date): Cell[] {
  const spec = obj(o.spec);
  const status = obj(o.status);
  let reason = str(status.reason) || str(status.phase);
  let restarts = 0;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  // Reversed, as kubectl does, so the first container's state wins.
  for (const container of list(status.containerStatuses).reverse()) {
    restarts += int(container.restartCount);
    const finishedAt = Date.parse(str(obj(obj(container.lastState).terminated).finishedAt));
    if (!Number.isNaN(finishedAt) && (lastRestart === undefined || finishedAt > lastRestart)) lastRestart = finishedAt;
    const state = obj(container.state);
    const waiting = obj(state.waiting);
    const terminated = state.terminated === undefined ? undefined : obj(state.terminated);
    if (str(waiting.reason)) reason = str(waiting.reason);
    else if (terminated && str(terminated.reason)) reason = str(terminated.reason);
    else if (terminated) reason = int(terminated.signal) !== 0 ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
    else if (container.ready === true && state.running !== undefined) readyContainers++;
  }
  if (o.metadata?.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';

  const gates = list(spec.readinessGates);
  const trueConditions = new Set(
    list(status.conditions)
      .filter((c) => c.status === 'True')
      .map((c) => str(c.type)),
  );
  const readyGates = gates.filter((g) => trueConditions.has(str(g.conditionType))).length;

  return [
    nameOf(o),
    `${readyContainers}/${list(spec.containers).length}`,
    reason,
    restarts > 0 && lastRestart !== undefined ? `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)` : `${restarts}`,
    since(o.metadata?.creationTimestamp, now),
    orNone(str(status.podIP)),
    orNone(str(spec.nodeName)),
    orNone(str(status.nominatedNodeName)),
    gates.length > 0 ? `${readyGates}/${gates.length}` : '<none>',
  ];
}

function eventCells(o: KubeObject, now: Date): Cell[] {
  const involved = obj(o.involvedObject);
  const source = obj(o.source);
  const series = o.series === undefined ? undefined : obj(o.series);
  const firstSeen = o.firstTimestamp ? since(o.firstTimestamp, now) : since(o.eventTime, now);
  const lastSeen = series ? since(series.lastObservedTime, now) : o.lastTimestamp ? since(o.lastTimestamp, now) : firstSeen;
  const count = series ? int(series.count) : int(o.count) || 1;
  const kind = str(involved.kind).toLowerCase();
  const component = str(source.component) || str(o.reportingController);
  const instance = str(source.host) || str(o.reportingInstance);
  return [
    lastSeen,
    str(o.type),
    str(o.reason),
    str(involved.name) ? `${kind}/${str(involved.name)}` : kind,
    str(involved.fieldPath),
    instance ? `${component}, ${instance}` : component,
    str(o.message).trim(),
    firstSeen,
    count,
    nameOf(o),
  ];
}

function bindingCells(o: KubeObject, now: Date): Cell[] {
  const roleRef = obj(o.roleRef);
  const subjects = list(o.subjects);
  const named = (kind: string, format: (s: Json) => string) =>
    subjects
      .filter((s) => s.kind === kind)
      .map(format)
      .join(', ');
  return [
    nameOf(o),
    `${str(roleRef.kind)}/${str(roleRef.name)}`,
    since(o.metadata?.creationTimestamp, now),
    named('User', (s) => str(s.name)),
    named('Group', (s) => str(s.name)),
    named('ServiceAccount', (s) => `${str(s.namespace)}/${str(s.name)}`),
  ];
}

const roleColumns = [nameColumn(), createdAtColumn()];
const roleCells = (o: KubeObject): Cell[] => [nameOf(o), rfc3339(o.metadata?.creationTimestamp)];

const bindingColumns = [
  nameColumn(),
  column('Role', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
  ageColumn(),
  wide('Users', 'Users in the roleBinding'),
  wide('Groups', 'Groups in the roleBinding'),
  wide('ServiceAccounts', 'ServiceAccounts in the roleBinding'),
];

const PRINTERS: Record<string, Printer> = {
  Node: {
    columns: [
      nameColumn(),
      column('Status', 'The status of the node'),
      column('Roles', 'The roles of the node'),
      ageColumn(),
      column('Version', 'Kubelet Version reported by the node.'),
      wide('Internal-IP', 'List of addresses reachable to the node.'),
      wide('External-IP', 'List of addresses reachable to the node.'),
      wide('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
      wide('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
      wide('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
    ],
    cells: nodeCells,
  },
  Service: {
    columns: [
      nameColumn(),
      column('Type', 'type determines how the Service is exposed.'),
      column('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      column('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      column('Port(s)', 'The list of ports that are exposed by this service.'),
      ageColumn(),
      wide('Selector', 'Route service traffic to pods with label keys and values matching this selector.'),
    ],
    cells: serviceCells,
  },
  Deployment: {
    columns: [
      nameColumn(),
      column('Ready', 'Number of the pod with ready state'),
      column('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      column('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      ageColumn(),
      wide('Containers', 'Names of each container in the template.'),
      wide('Images', 'Images referenced by each container in the template.'),
      wide('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.'),
    ],
    cells: deploymentCells,
  },
  ReplicaSet: {
    columns: [
      nameColumn(),
      column(
        'Desired',
        'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works',
        { type: 'integer' },
      ),
      column(
        'Current',
        'Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works',
        { type: 'integer' },
      ),
      column('Ready', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.', { type: 'integer' }),
      ageColumn(),
      wide('Containers', 'Names of each container in the template.'),
      wide('Images', 'Images referenced by each container in the template.'),
      wide(
        'Selector',
        "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
      ),
    ],
    cells: replicaSetCells,
  },
  Pod: {
    columns: [
      nameColumn(),
      column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'The aggregate status of the containers in this pod.'),
      column('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      ageColumn(),
      wide('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'),
      wide('Node', 'NodeName indicates in which node this pod is scheduled.'),
      wide('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.'),
      wide('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.'),
    ],
    cells: podCells,
  },
  Secret: {
    columns: [
      nameColumn(),
      column('Type', 'Used to facilitate programmatic handling of secret data.'),
      column('Data', 'Data contains the secret data.'),
      ageColumn(),
    ],
    cells: (o, now) => [nameOf(o), str(o.type) || 'Opaque', Object.keys(obj(o.data)).length, since(o.metadata?.creationTimestamp, now)],
  },
  ConfigMap: {
    columns: [nameColumn(), column('Data', 'Data contains the configuration data.'), ageColumn()],
    cells: (o, now) => [nameOf(o), Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length, since(o.metadata?.creationTimestamp, now)],
  },
  Namespace: {
    columns: [nameColumn(), column('Status', 'The status of the namespace'), ageColumn()],
    cells: (o, now) => [nameOf(o), str(obj(o.status).phase), since(o.metadata?.creationTimestamp, now)],
  },
  ServiceAccount: {
    columns: [
      nameColumn(),
      column('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
      ageColumn(),
    ],
    cells: (o, now) => [nameOf(o), list(o.secrets).length, since(o.metadata?.creationTimestamp, now)],
  },
  Event: {
    columns: [
      column('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
      column('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
      column('Reason', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
      column('Object', 'The object that this event is about.'),
      wide('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.'),
      wide('Source', 'The component reporting this event.'),
      column('Message', 'A human-readable description of the status of this operation.'),
      wide('First Seen', 'The time at which the event was first recorded.'),
      wide('Count', 'The number of times this event has occurred.'),
      nameColumn(1),
    ],
    cells: eventCells,
  },
  Role: { columns: roleColumns, cells: roleCells },
  ClusterRole: { columns: roleColumns, cells: roleCells },
  RoleBinding: { columns: bindingColumns, cells: bindingCells },
  ClusterRoleBinding: { columns: bindingColumns, cells: bindingCells },
};

const DEFAULT_PRINTER: Printer = {
  columns: [nameColumn(), ageColumn()],
  cells: (o, now) => [nameOf(o), since(o.metadata?.creationTimestamp, now)],
};

function rowObject(o: KubeObject, includeObject: TableOptions['includeObject']): object | undefined {
  switch (includeObject ?? 'Metadata') {
    case 'None':
      return undefined;
    case 'Object':
      return o;
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} };
  }
}

export function toTable(kind: string, objects: KubeObject[], options: TableOptions): object {
  const printer = PRINTERS[kind] ?? DEFAULT_PRINTER;
  const now = options.now ?? new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: options.resourceVersion },
    // Copies, so a caller decorating one table cannot alter the shared definitions.
    columnDefinitions: printer.columns.map((c) => ({ ...c })),
    rows: objects.map((o) => {
      const object = rowObject(o, options.includeObject);
      return object === undefined ? { cells: printer.cells(o, now) } : { cells: printer.cells(o, now), object };
    }),
  };
}
