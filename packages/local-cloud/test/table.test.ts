import { describe, expect, it } from 'vitest';
import { humanDuration, toTable, type KubeObject } from '../src/kube/table.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

type Table = {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string };
  columnDefinitions: Array<{ name: string; type: string; format: string; description: string; priority: number }>;
  rows: Array<{ cells: unknown[]; object?: Record<string, any> }>;
};

function table(kind: string, objects: KubeObject[], includeObject?: 'None' | 'Object' | 'Metadata'): Table {
  return toTable(kind, objects, { resourceVersion: '42', now: NOW, includeObject }) as Table;
}

/** Cells keyed by column name, the way kubectl lines them up. */
function row(kind: string, object: KubeObject): Record<string, unknown> {
  const t = table(kind, [object]);
  return Object.fromEntries(t.columnDefinitions.map((c, i) => [c.name, t.rows[0]!.cells[i]]));
}

function columns(kind: string, priority: number): string[] {
  return table(kind, [])
    .columnDefinitions.filter((c) => c.priority === priority)
    .map((c) => c.name);
}

describe('humanDuration', () => {
  it.each([
    [-5, '<invalid>'],
    [-1.5, '0s'],
    [0, '0s'],
    [45, '45s'],
    [119, '119s'],
    [120, '2m'],
    [312, '5m12s'],
    [599, '9m59s'],
    [600, '10m'],
    [42 * 60 + 30, '42m'],
    [3 * 3600 - 1, '179m'],
    [3 * 3600, '3h'],
    [3 * 3600 + 5 * 60, '3h5m'],
    [8 * 3600 - 1, '7h59m'],
    [8 * 3600, '8h'],
    [47 * 3600 + 59 * 60, '47h'],
    [48 * 3600, '2d'],
    [(2 * 24 + 3) * 3600, '2d3h'],
    [8 * 24 * 3600 - 1, '7d23h'],
    [8 * 24 * 3600, '8d'],
    [729 * 24 * 3600, '729d'],
    [730 * 24 * 3600, '2y'],
    [(3 * 365 + 10) * 24 * 3600, '3y10d'],
    [8 * 365 * 24 * 3600, '8y'],
  ])('%d seconds is %s', (seconds, expected) => {
    expect(humanDuration(seconds * 1000)).toBe(expected);
  });
});

describe('toTable', () => {
  it('builds a meta.k8s.io/v1 Table with PartialObjectMetadata rows by default', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default', creationTimestamp: ago(30) },
      data: { a: '1', b: '2' },
      binaryData: { c: 'AA==' },
    };
    const t = table('ConfigMap', [cm]);
    expect(t.kind).toBe('Table');
    expect(t.apiVersion).toBe('meta.k8s.io/v1');
    expect(t.metadata).toEqual({ resourceVersion: '42' });
    expect(t.columnDefinitions[0]).toMatchObject({ name: 'Name', type: 'string', format: 'name', priority: 0 });
    expect(t.columnDefinitions.every((c) => typeof c.description === 'string' && c.description.length > 0)).toBe(true);
    expect(t.rows).toEqual([{ cells: ['cfg', 3, '30s'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm.metadata } }]);
  });

  it('includes the whole object or nothing on request', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', creationTimestamp: ago(90) }, status: { phase: 'Active' } };
    expect(table('Namespace', [ns], 'Object').rows[0]).toEqual({ cells: ['default', 'Active', '90s'], object: ns });
    expect(table('Namespace', [ns], 'None').rows[0]).toEqual({ cells: ['default', 'Active', '90s'] });
  });

  it('shows <unknown> age without a creation timestamp', () => {
    expect(row('Secret', { metadata: { name: 's' } })).toEqual({ Name: 's', Type: 'Opaque', Data: 0, Age: '<unknown>' });
  });

  describe('Service', () => {
    const service = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', creationTimestamp: ago(312) },
      spec: {
        ports: [
          { name: 'http', port: 80, nodePort: 31234, protocol: 'TCP' },
          { name: 'https', port: 443, nodePort: 31235, protocol: 'TCP' },
        ],
        selector: { tier: 'front', app: 'web' },
        ...spec,
      },
      status,
    });

    it('has the kubectl columns', () => {
      expect(columns('Service', 0)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age']);
      expect(columns('Service', 1)).toEqual(['Selector']);
    });

    it('shows <pending> for a LoadBalancer without an ingress address', () => {
      expect(row('Service', service({ type: 'LoadBalancer', clusterIP: '10.0.0.10', clusterIPs: ['10.0.0.10'] }))).toEqual({
        Name: 'web',
        Type: 'LoadBalancer',
        'Cluster-IP': '10.0.0.10',
        'External-IP': '<pending>',
        'Port(s)': '80:31234/TCP,443:31235/TCP',
        Age: '5m12s',
        Selector: 'app=web,tier=front',
      });
    });

    it('shows the ingress addresses of a LoadBalancer', () => {
      const svc = service(
        { type: 'LoadBalancer', clusterIPs: ['10.0.0.10'] },
        { loadBalancer: { ingress: [{ ip: '20.1.2.3' }, { hostname: 'lb.example.com' }, { ip: '20.1.2.3' }] } },
      );
      expect(row('Service', svc)['External-IP']).toBe('20.1.2.3,lb.example.com');
    });

    it('shows <none> for ClusterIP services and external IPs when set', () => {
      const plain = row('Service', service({ type: 'ClusterIP', clusterIP: '10.0.0.11', ports: [{ port: 53, protocol: 'UDP' }], selector: undefined }));
      expect(plain).toMatchObject({ Type: 'ClusterIP', 'Cluster-IP': '10.0.0.11', 'External-IP': '<none>', 'Port(s)': '53/UDP', Selector: '<none>' });
      expect(row('Service', service({ type: 'NodePort', externalIPs: ['1.2.3.4'] }))['External-IP']).toBe('1.2.3.4');
      expect(row('Service', service({ type: 'ClusterIP', clusterIP: 'None', ports: [] }))).toMatchObject({ 'Cluster-IP': 'None', 'Port(s)': '<none>' });
      expect(row('Service', service({ type: 'ExternalName', externalName: 'db.example.com' }))['External-IP']).toBe('db.example.com');
    });
  });

  describe('Deployment', () => {
    const dep: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: ago(42 * 60) },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'app:1' },
              { name: 'sidecar', image: 'sidecar:1' },
            ],
          },
        },
      },
      status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };

    it('shows 2/3 ready and the wide cells', () => {
      expect(columns('Deployment', 0)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
      expect(row('Deployment', dep)).toEqual({
        Name: 'web',
        Ready: '2/3',
        'Up-to-date': 3,
        Available: 2,
        Age: '42m',
        Containers: 'app,sidecar',
        Images: 'app:1,sidecar:1',
        Selector: 'app=web,tier in (front)',
      });
    });

    it('counts missing status as zero', () => {
      expect(row('Deployment', { metadata: { name: 'new' }, spec: { replicas: 2 } })).toMatchObject({ Ready: '0/2', 'Up-to-date': 0, Available: 0 });
    });
  });

  describe('ReplicaSet', () => {
    it('shows desired, current and ready counts and the wide cells', () => {
      expect(columns('ReplicaSet', 0)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Age']);
      const rs: KubeObject = {
        metadata: { name: 'web-7d8b49557c', creationTimestamp: ago(90) },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d8b49557c' } },
          template: { spec: { containers: [{ name: 'app', image: 'app:1' }] } },
        },
        status: { replicas: 3, readyReplicas: 1 },
      };
      expect(row('ReplicaSet', rs)).toEqual({
        Name: 'web-7d8b49557c',
        Desired: 3,
        Current: 3,
        Ready: 1,
        Age: '90s',
        Containers: 'app',
        Images: 'app:1',
        Selector: 'app=web,pod-template-hash=7d8b49557c',
      });
    });

    it('counts missing status as zero and missing replicas as one', () => {
      expect(row('ReplicaSet', { metadata: { name: 'new' }, spec: {} })).toMatchObject({ Desired: 1, Current: 0, Ready: 0 });
    });
  });

  describe('Node', () => {
    const node = (labels: Record<string, string>, ready: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'aks-nodepool1-0', labels, creationTimestamp: ago((2 * 24 + 3) * 3600) },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: ready },
        ],
        addresses: [
          { type: 'Hostname', address: 'aks-nodepool1-0' },
          { type: 'InternalIP', address: '10.224.0.4' },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.29.4',
          osImage: 'Ubuntu 22.04.4 LTS',
          kernelVersion: '5.15.0-1064-azure',
          containerRuntimeVersion: 'containerd://1.7.15-1',
        },
      },
    });

    it('shows a Ready node with roles <none>', () => {
      expect(columns('Node', 0)).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version']);
      expect(columns('Node', 1)).toEqual(['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
      expect(row('Node', node({ 'kubernetes.azure.com/role': 'agent' }, 'True'))).toEqual({
        Name: 'aks-nodepool1-0',
        Status: 'Ready',
        Roles: '<none>',
        Age: '2d3h',
        Version: 'v1.29.4',
        'Internal-IP': '10.224.0.4',
        'External-IP': '<none>',
        'OS-Image': 'Ubuntu 22.04.4 LTS',
        'Kernel-Version': '5.15.0-1064-azure',
        'Container-Runtime': 'containerd://1.7.15-1',
      });
    });

    it('derives roles from labels and NotReady from the Ready condition', () => {
      const cells = row(
        'Node',
        node({ 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'agent' }, 'Unknown'),
      );
      expect(cells).toMatchObject({ Status: 'NotReady', Roles: 'agent,control-plane,worker' });
      expect(row('Node', { metadata: { name: 'bare' }, spec: { unschedulable: true } })).toMatchObject({
        Status: 'Unknown,SchedulingDisabled',
        'OS-Image': '<unknown>',
      });
    });
  });

  describe('Pod', () => {
    it('shows readiness, phase, restarts and wide cells', () => {
      const pod: KubeObject = {
        metadata: { name: 'web-1', creationTimestamp: ago(3 * 3600 + 5 * 60) },
        spec: { nodeName: 'node-0', containers: [{ name: 'a' }, { name: 'b' }] },
        status: {
          phase: 'Running',
          podIP: '10.244.0.5',
          containerStatuses: [
            { name: 'a', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { finishedAt: ago(600) } } },
            { name: 'b', ready: false, restartCount: 2, state: { running: {} } },
          ],
        },
      };
      expect(columns('Pod', 0)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
      expect(row('Pod', pod)).toEqual({
        Name: 'web-1',
        Ready: '1/2',
        Status: 'Running',
        Restarts: '3 (10m ago)',
        Age: '3h5m',
        IP: '10.244.0.5',
        Node: 'node-0',
        'Nominated Node': '<none>',
        'Readiness Gates': '<none>',
      });
    });

    it('prefers a waiting reason and reports Terminating', () => {
      const waiting: KubeObject = {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'a' }] },
        status: { phase: 'Pending', containerStatuses: [{ name: 'a', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
      };
      expect(row('Pod', waiting)).toMatchObject({ Ready: '0/1', Status: 'ContainerCreating', Restarts: '0', IP: '<none>', Node: '<none>' });
      expect(row('Pod', { ...waiting, metadata: { name: 'p', deletionTimestamp: ago(1) } }).Status).toBe('Terminating');
    });
  });

  it('prints Secrets, ServiceAccounts and Namespaces', () => {
    expect(
      row('Secret', { metadata: { name: 'tls', creationTimestamp: ago(45) }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }),
    ).toEqual({
      Name: 'tls',
      Type: 'kubernetes.io/tls',
      Data: 2,
      Age: '45s',
    });
    expect(row('ServiceAccount', { metadata: { name: 'default', creationTimestamp: ago(10) }, secrets: [{ name: 't' }] })).toEqual({
      Name: 'default',
      Secrets: 1,
      Age: '10s',
    });
    expect(row('Namespace', { metadata: { name: 'kube-system', creationTimestamp: ago(8 * 24 * 3600) }, status: { phase: 'Active' } })).toEqual({
      Name: 'kube-system',
      Status: 'Active',
      Age: '8d',
    });
  });

  it('prints Events', () => {
    const event: KubeObject = {
      metadata: { name: 'web.17c', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' },
      reason: 'Pulled',
      message: '  Successfully pulled image  ',
      type: 'Normal',
      source: { component: 'kubelet', host: 'node-0' },
      firstTimestamp: ago(300),
      lastTimestamp: ago(60),
      count: 4,
    };
    expect(columns('Event', 0)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
    expect(row('Event', event)).toEqual({
      'Last Seen': '60s',
      Type: 'Normal',
      Reason: 'Pulled',
      Object: 'pod/web-1',
      Subobject: 'spec.containers{app}',
      Source: 'kubelet, node-0',
      Message: 'Successfully pulled image',
      'First Seen': '5m',
      Count: 4,
      Name: 'web.17c',
    });
    expect(row('Event', { metadata: { name: 'e' }, involvedObject: { kind: 'Node' }, eventTime: ago(5), reportingController: 'ctl' })).toMatchObject({
      'Last Seen': '5s',
      Object: 'node',
      Source: 'ctl',
      Count: 1,
    });
  });

  it('prints RBAC objects', () => {
    const created = '2024-04-01T08:30:00.123Z';
    expect(row('Role', { metadata: { name: 'reader', creationTimestamp: created } })).toEqual({ Name: 'reader', 'Created At': '2024-04-01T08:30:00Z' });
    expect(table('ClusterRole', []).columnDefinitions[1]).toMatchObject({ name: 'Created At', type: 'date' });
    const binding: KubeObject = {
      metadata: { name: 'read', creationTimestamp: ago(7200) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'Group', name: 'devs' },
        { kind: 'ServiceAccount', name: 'bot', namespace: 'ci' },
        { kind: 'User', name: 'bob' },
      ],
    };
    expect(row('RoleBinding', binding)).toEqual({
      Name: 'read',
      Role: 'ClusterRole/view',
      Age: '120m',
      Users: 'alice, bob',
      Groups: 'devs',
      ServiceAccounts: 'ci/bot',
    });
    expect(columns('ClusterRoleBinding', 0)).toEqual(['Name', 'Role', 'Age']);
  });

  it('falls back to Name and Age for other kinds', () => {
    const t = table('Widget', [{ metadata: { name: 'w', creationTimestamp: ago(5 * 3600) } }]);
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Age']);
    expect(t.rows[0]!.cells).toEqual(['w', '5h']);
  });
});
