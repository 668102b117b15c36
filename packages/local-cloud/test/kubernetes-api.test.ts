import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { freshPostgresDatabase, httpsRequest, startTestBerth, testStores, type TestBerth } from '../../../test-support/berth.js';
import { spawnBerthUp } from '../../../test-support/process.js';
import {
  clusterBody,
  clusterCredential,
  eventually,
  freePort,
  Kubectl,
  kubeApi,
  kubeconfigParts,
  managedClusterPath,
  putManagedCluster,
  type ArmCall,
} from '../../../test-support/kube.js';

const RG_API = 'api-version=2021-04-01';

const DEPLOYMENT_AND_SERVICE = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
`;

function internalService(name: string, subnet?: string): string {
  return `
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  annotations:
    service.beta.kubernetes.io/azure-load-balancer-internal: "true"
${subnet ? `    service.beta.kubernetes.io/azure-load-balancer-internal-subnet: "${subnet}"\n` : ''}spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 443, targetPort: 443}]
`;
}

/** The address of `ip` as a number, for range checks. */
const ipNumber = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const inCidr = (ip: string, cidr: string) => {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return ipNumber(ip) >= ipNumber(base) && ipNumber(ip) < ipNumber(base) + size;
};
const isPrivate = (ip: string) => ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].some((c) => inCidr(ip, c));

describe.each(testStores())('the Kubernetes API of a local cluster on %s', (store) => {
  let berth: TestBerth;
  let sub: string;
  let adminYaml: string;
  let userYaml: string;
  let kubectl: Kubectl;
  let userKubectl: Kubectl;
  let api: ReturnType<typeof kubeApi>;
  const call: ArmCall = (method, p, o) => berth.request(method, p, o);

  beforeAll(async () => {
    berth = await startTestBerth({ store, provisioningDelayMs: 0 });
    sub = berth.subscriptionId;
    expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/kube-rg?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
    const clusterPath = managedClusterPath(sub, 'kube-rg', 'kube-aks');
    expect((await putManagedCluster(call, clusterPath, clusterBody({ count: 3, vmSize: 'Standard_D3_v2' }))).operation.status).toBe('Succeeded');
    adminYaml = await clusterCredential(call, clusterPath, 'admin');
    userYaml = await clusterCredential(call, clusterPath, 'user');
    kubectl = await Kubectl.create(adminYaml);
    userKubectl = await Kubectl.create(userYaml);
    api = kubeApi(adminYaml);
  });
  afterAll(async () => {
    await kubectl?.close();
    await userKubectl?.close();
    await berth?.close();
  });

  it('kubectl get nodes shows the agent pool, with the VM size in capacity and the AKS labels', async () => {
    const table = await kubectl.ok(['get', 'nodes']);
    const rows = table.trim().split('\n');
    expect(rows[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(rows.slice(1)).toHaveLength(3);
    for (const row of rows.slice(1)) expect(row).toMatch(/^aks-nodepool1-\d{8}-vmss00000[0-2]\s+Ready\s+\S+\s+\S+\s+v1\.32\.6$/);

    const nodes = JSON.parse(await kubectl.ok(['get', 'nodes', '-o', 'json']));
    expect(nodes.kind).toBe('List');
    expect(nodes.items).toHaveLength(3);
    for (const node of nodes.items) {
      expect(node.status.capacity.cpu).toBe('4');
      // Standard_D3_v2: 14 GiB.
      expect(node.status.capacity.memory).toBe(`${14 * 1024 * 1024}Ki`);
      expect(node.metadata.labels).toMatchObject({
        'node.kubernetes.io/instance-type': 'Standard_D3_v2',
        'topology.kubernetes.io/region': 'westus',
        'kubernetes.azure.com/agentpool': 'nodepool1',
      });
      expect(node.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
      expect(inCidr(node.status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address, '10.224.0.0/16')).toBe(true);
    }
  });

  it('kubectl creates a generic secret and shows its data base64-encoded', async () => {
    expect(await kubectl.ok(['create', 'secret', 'generic', 'db-password', '--from-literal=user=admin', '--from-literal=password=s3cr3t!'])).toContain(
      'secret/db-password created',
    );
    const yaml = await kubectl.ok(['get', 'secret', 'db-password', '-o', 'yaml']);
    expect(yaml).toContain(`password: ${Buffer.from('s3cr3t!').toString('base64')}`);
    expect(yaml).toContain(`user: ${Buffer.from('admin').toString('base64')}`);
    expect(yaml).toMatch(/^type: Opaque$/m);
    expect(yaml).not.toContain('s3cr3t!');
    const again = await kubectl.run(['create', 'secret', 'generic', 'db-password', '--from-literal=user=other']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('secrets "db-password" already exists');
  });

  it('kubectl apply -f: the Deployment becomes ready and the LoadBalancer Service gets a public EXTERNAL-IP', async () => {
    const applied = await kubectl.ok(['apply', '-f', '-'], DEPLOYMENT_AND_SERVICE);
    expect(applied).toContain('deployment.apps/web created');
    expect(applied).toContain('service/web created');

    const ready = await eventually('deployment web READY 2/2', async () => {
      const out = await kubectl.ok(['get', 'deploy', 'web']);
      return /^web\s+2\/2\s+2\s+2\s/m.test(out) ? out : undefined;
    });
    expect(ready).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    const deployment = JSON.parse(await kubectl.ok(['get', 'deploy', 'web', '-o', 'json']));
    expect(deployment.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Available', status: 'True' })]));
    expect(deployment.status.readyReplicas).toBe(2);
    // Defaults filled in as the API server does.
    expect(deployment.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    const pods = JSON.parse(await kubectl.ok(['get', 'pods', '-l', 'app=web', '-o', 'json']));
    expect(pods.items).toHaveLength(2);
    expect(pods.items.every((p: any) => p.status.phase === 'Running')).toBe(true);
    expect(await kubectl.ok(['rollout', 'status', 'deploy/web', '--timeout=10s'])).toContain('successfully rolled out');

    const svc = await eventually('an EXTERNAL-IP for service web', async () => {
      const out = await kubectl.ok(['get', 'svc', 'web']);
      return /<pending>/.test(out) ? undefined : out;
    });
    const row = svc.split('\n').find((l) => l.startsWith('web '))!;
    const [, type, clusterIp, externalIp, ports] = row.split(/\s+/);
    expect(type).toBe('LoadBalancer');
    expect(inCidr(clusterIp, '10.0.0.0/16')).toBe(true);
    expect(externalIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(isPrivate(externalIp)).toBe(false);
    expect(ports).toMatch(/^80:3\d{4}\/TCP$/);

    // Applying the same file again changes nothing.
    const reapplied = await kubectl.ok(['apply', '-f', '-'], DEPLOYMENT_AND_SERVICE);
    expect(reapplied).toContain('deployment.apps/web unchanged');
    expect(reapplied).toContain('service/web unchanged');
  });

  it('gives internal load balancers a private address, in the annotated subnet when there is one', async () => {
    await kubectl.ok(
      ['apply', '-f', '-'],
      [internalService('ilb'), internalService('ilb-sub', 'mysubnet'), internalService('ilb-sub2', 'mysubnet')].join('---\n'),
    );
    const ipOf = (name: string) =>
      eventually(`a load-balancer address for ${name}`, async () => {
        const svc = JSON.parse(await kubectl.ok(['get', 'svc', name, '-o', 'json']));
        return svc.status.loadBalancer.ingress?.[0]?.ip as string | undefined;
      });
    const plain = await ipOf('ilb');
    expect(isPrivate(plain)).toBe(true);
    // Without a subnet annotation the load balancer sits in the node subnet.
    expect(inCidr(plain, '10.224.0.0/16')).toBe(true);
    const inSubnet = await ipOf('ilb-sub');
    const alsoInSubnet = await ipOf('ilb-sub2');
    expect(inSubnet.startsWith('10.')).toBe(true);
    expect(inCidr(inSubnet, '10.224.0.0/16')).toBe(false);
    // Both services of subnet "mysubnet" get addresses of the same /24, and different ones.
    expect(inSubnet.split('.').slice(0, 3)).toEqual(alsoInSubnet.split('.').slice(0, 3));
    expect(inSubnet).not.toBe(alsoInSubnet);
    const table = await kubectl.ok(['get', 'svc', 'ilb-sub']);
    expect(table).toContain(inSubnet);

    // A subnet's addresses go to one load balancer each, however many share it.
    const crowd = Array.from({ length: 30 }, (_, i) => `crowd-${i}`);
    await kubectl.ok(['apply', '-f', '-'], crowd.map((name) => internalService(name, 'mysubnet')).join('---\n'));
    const addresses = await eventually('distinct addresses for 30 internal load balancers', async () => {
      const list = JSON.parse(await kubectl.ok(['get', 'svc', '-o', 'json']));
      const ips: string[] = list.items.filter((svc: any) => svc.metadata.name.startsWith('crowd-')).map((svc: any) => svc.status.loadBalancer.ingress?.[0]?.ip);
      return ips.length === 30 && ips.every(Boolean) && new Set([...ips, inSubnet, alsoInSubnet]).size === 32 ? ips : undefined;
    });
    for (const ip of addresses) expect(ip.split('.').slice(0, 3)).toEqual(inSubnet.split('.').slice(0, 3));

    // Dropping the annotation makes the load balancer public.
    await kubectl.ok(['annotate', 'svc', 'ilb', 'service.beta.kubernetes.io/azure-load-balancer-internal-']);
    const now = await eventually('a public address for ilb', async () => {
      const svc = JSON.parse(await kubectl.ok(['get', 'svc', 'ilb', '-o', 'json']));
      const ip = svc.status.loadBalancer.ingress?.[0]?.ip as string | undefined;
      return ip && !isPrivate(ip) ? ip : undefined;
    });
    expect(now).not.toBe(plain);
  });

  it('kubectl patch --type merge changes an object and kubectl delete removes it', async () => {
    await kubectl.ok(['create', 'configmap', 'settings', '--from-literal=mode=slow']);
    expect(await kubectl.ok(['patch', 'configmap', 'settings', '--type', 'merge', '-p', '{"data":{"mode":"fast","extra":"yes"}}'])).toContain(
      'configmap/settings patched',
    );
    const cm = JSON.parse(await kubectl.ok(['get', 'configmap', 'settings', '-o', 'json']));
    expect(cm.data).toEqual({ mode: 'fast', extra: 'yes' });
    // A patch that changes nothing writes nothing, and kubectl says so.
    expect(await kubectl.ok(['patch', 'configmap', 'settings', '--type', 'merge', '-p', '{"data":{"mode":"fast"}}'])).toContain(
      'configmap/settings patched (no change)',
    );
    expect(JSON.parse(await kubectl.ok(['get', 'configmap', 'settings', '-o', 'json'])).metadata.resourceVersion).toBe(cm.metadata.resourceVersion);

    await kubectl.ok(['patch', 'deployment', 'web', '--type', 'merge', '-p', '{"spec":{"replicas":3}}']);
    await eventually('deployment web READY 3/3', async () => ((await kubectl.ok(['get', 'deploy', 'web'])).match(/^web\s+3\/3\s/m) ? true : undefined));

    expect(await kubectl.ok(['delete', 'configmap', 'settings'])).toContain('configmap "settings" deleted');
    const missing = await kubectl.run(['get', 'configmap', 'settings']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('Error from server (NotFound): configmaps "settings" not found');
  });

  it('kubectl get deploy -w sees a change made through the REST API', async () => {
    const scale = (replicas: number) =>
      api('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', {
        rawBody: JSON.stringify({ spec: { replicas } }),
        headers: { 'content-type': 'application/merge-patch+json' },
      });
    expect((await scale(2)).status).toBe(200);
    await eventually('deployment web READY 2/2', async () => ((await kubectl.ok(['get', 'deploy', 'web'])).match(/^web\s+2\/2\s/m) ? true : undefined));
    const watch = kubectl.stream(['get', 'deploy', 'web', '-w']);
    try {
      await watch.waitFor(/^web\s+2\/2\s/m);
      const patched = await scale(1);
      expect(patched.status).toBe(200);
      expect(patched.body.spec.replicas).toBe(1);
      // The controller's status update shows the deployment scaled down.
      await watch.waitFor(/^web\s+1\/1\s/m);
    } finally {
      await watch.stop();
    }
    const pods = await eventually('one pod of web', async () => {
      const list = JSON.parse(await kubectl.ok(['get', 'pods', '-l', 'app=web', '-o', 'json']));
      return list.items.length === 1 ? list.items : undefined;
    });
    // Pods belong to the Deployment's ReplicaSet, as on a real cluster.
    expect(pods[0].metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ReplicaSet', name: `web-${pods[0].metadata.labels['pod-template-hash']}`, controller: true }),
    ]);
  });

  it('kubectl delete of a deployment removes it and its pods', async () => {
    await kubectl.ok(['apply', '-f', '-'], DEPLOYMENT_AND_SERVICE.replace(/\bweb\b/g, 'doomed'));
    await eventually('pods of doomed', async () =>
      JSON.parse(await kubectl.ok(['get', 'pods', '-l', 'app=doomed', '-o', 'json'])).items.length === 2 ? true : undefined,
    );
    const out = await kubectl.ok(['delete', 'deployment', 'doomed']);
    expect(out).toContain('deployment.apps "doomed" deleted');
    expect((await kubectl.run(['get', 'deployment', 'doomed'])).code).not.toBe(0);
    await eventually('no pods of doomed', async () =>
      JSON.parse(await kubectl.ok(['get', 'pods', '-l', 'app=doomed', '-o', 'json'])).items.length === 0 ? true : undefined,
    );
  });

  it('the user credential reads everything but may not write to kube-system', async () => {
    const nodes = await userKubectl.ok(['get', 'nodes']);
    expect(nodes.trim().split('\n')).toHaveLength(4);
    expect((await userKubectl.run(['get', 'configmaps', '-n', 'kube-system'])).code).toBe(0);
    const denied = await userKubectl.run(['create', 'configmap', 'sneaky', '-n', 'kube-system', '--from-literal=a=b']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/forbidden/i);
    expect(denied.stderr).toContain('kube-system');
    const label = await userKubectl.run(['label', 'node', '--all', 'hacked=true']);
    expect(label.code).not.toBe(0);
    expect(label.stderr).toMatch(/forbidden/i);
    // Nothing was written.
    expect((await kubectl.run(['get', 'configmap', 'sneaky', '-n', 'kube-system'])).code).not.toBe(0);
    expect(await kubectl.ok(['get', 'nodes', '-l', 'hacked=true', '-o', 'name'])).toBe('');
    // Nor through the cluster-wide path of a namespaced kind, which only lists and watches.
    const userApi = kubeApi(userYaml);
    await kubectl.ok(['create', 'configmap', 'precious', '-n', 'kube-system', '--from-literal=a=b']);
    const wipe = await userApi('DELETE', '/api/v1/configmaps');
    expect(wipe.status).toBe(405);
    expect(wipe.body).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed' });
    expect((await api('POST', '/api/v1/configmaps', { body: { metadata: { name: 'nowhere', namespace: 'default' } } })).status).toBe(405);
    expect(await kubectl.ok(['get', 'configmap', 'precious', '-n', 'kube-system', '-o', 'name'])).toBe('configmap/precious\n');
    expect((await userApi('GET', '/api/v1/configmaps')).body.items.map((c: any) => c.metadata.name)).toContain('precious');
    // Writes elsewhere are allowed.
    expect(await userKubectl.ok(['create', 'configmap', 'user-made', '--from-literal=a=b'])).toContain('configmap/user-made created');
  });

  it('@kubernetes/client-node: a Watch on configmaps receives ADDED, MODIFIED and DELETED', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(adminYaml);
    const core = kc.makeApiClient(CoreV1Api);
    const events: string[] = [];
    let ended: unknown = 'open';
    const controller = await new Watch(kc).watch(
      '/api/v1/namespaces/default/configmaps',
      {},
      (phase, obj) => {
        if (obj?.metadata?.name === 'watched') events.push(`${phase} ${obj.data?.step ?? ''}`.trim());
      },
      (err) => (ended = err),
    );
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'watched' }, data: { step: 'one' } } });
      const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      const patched = await core.patchNamespacedConfigMap({ namespace: 'default', name: 'watched', body: { data: { step: 'two' } } }, merge);
      // Patching to what is already there is no change: no new resourceVersion, no event.
      const again = await core.patchNamespacedConfigMap({ namespace: 'default', name: 'watched', body: { data: { step: 'two' } } }, merge);
      expect(again.metadata!.resourceVersion).toBe(patched.metadata!.resourceVersion);
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'watched' });
      await eventually('ADDED, MODIFIED and DELETED of configmap watched', async () => (events.length >= 3 ? true : undefined));
      expect(events).toEqual(['ADDED one', 'MODIFIED two', 'DELETED two']);
      expect(ended).toBe('open');
    } finally {
      controller.abort();
    }
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    expect(list.items.map((c) => c.metadata!.name)).not.toContain('watched');
  });

  it('@kubernetes/client-node: a Watch with a label selector sees objects leave it as DELETED and enter it as ADDED', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(adminYaml);
    const core = kc.makeApiClient(CoreV1Api);
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'leaves', labels: { tier: 'web' } }, data: { v: '1' } } });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'joins' }, data: { v: '1' } } });
    // The informer pattern: list with the selector, then watch from the list's resourceVersion.
    const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'tier=web' });
    expect(list.items.map((c) => c.metadata!.name)).toEqual(['leaves']);
    const events: string[] = [];
    const controller = await new Watch(kc).watch(
      '/api/v1/namespaces/default/configmaps',
      { labelSelector: 'tier=web', resourceVersion: list.metadata!.resourceVersion },
      (phase, obj) => events.push(`${phase} ${obj.metadata.name} ${obj.metadata.labels?.tier ?? '-'}`),
      () => undefined,
    );
    try {
      await core.patchNamespacedConfigMap({ namespace: 'default', name: 'leaves', body: { metadata: { labels: { tier: 'db' } } } }, merge);
      await core.patchNamespacedConfigMap({ namespace: 'default', name: 'joins', body: { metadata: { labels: { tier: 'web' } } } }, merge);
      await core.patchNamespacedConfigMap({ namespace: 'default', name: 'joins', body: { data: { v: '2' } } }, merge);
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'leaves' });
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'joins' });
      await eventually('four events', async () => (events.length >= 4 ? true : undefined));
      // The DELETED of an object leaving the selector carries its last matching content.
      expect(events).toEqual(['DELETED leaves web', 'ADDED joins web', 'MODIFIED joins web', 'DELETED joins web']);
    } finally {
      controller.abort();
    }
  });

  it('answers bad requests with Status objects', async () => {
    const status = (res: { status: number; body: any }, code: number, reason: string) => {
      expect(res.status).toBe(code);
      expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
      expect(typeof res.body.message).toBe('string');
    };
    status(await api('GET', '/api/v1/namespaces/default/configmaps', { token: 'admin.not-a-valid-mac' }), 401, 'Unauthorized');
    status(await api('GET', '/api/v1/namespaces/default/configmaps', { token: null }), 401, 'Unauthorized');
    // A token of one cluster is worthless on another's API path: 401, whether that cluster exists or not.
    const otherCluster = kubeconfigParts(adminYaml).server.replace(/[0-9a-f]{32}$/, '0'.repeat(32));
    const other = await httpsRequest(`${otherCluster}/api/v1/namespaces`, berth.ca, 'GET', { token: kubeconfigParts(adminYaml).token });
    status(other, 401, 'Unauthorized');

    const nameless = await api('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } } });
    status(nameless, 422, 'Invalid');
    expect(nameless.body.details.causes).toEqual([expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueRequired' })]);

    const created = await api('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'versioned' }, data: { v: '1' } } });
    expect(created.status).toBe(201);
    const stale = created.body.metadata.resourceVersion;
    const updated = await api('PUT', '/api/v1/namespaces/default/configmaps/versioned', { body: { ...created.body, data: { v: '2' } } });
    expect(updated.status).toBe(200);
    expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(Number(stale));
    const same = await api('PUT', '/api/v1/namespaces/default/configmaps/versioned', { body: updated.body });
    expect(same.status).toBe(200);
    expect(same.body.metadata.resourceVersion).toBe(updated.body.metadata.resourceVersion);
    const conflict = await api('PUT', '/api/v1/namespaces/default/configmaps/versioned', { body: { ...created.body, data: { v: '3' } } });
    status(conflict, 409, 'Conflict');
    expect(conflict.body.message).toContain('the object has been modified');
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/versioned')).body.data).toEqual({ v: '2' });

    const selector = await api('GET', '/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(x');
    status(selector, 400, 'BadRequest');

    const duplicate = await api('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'versioned' }, data: { v: 'dup' } } });
    status(duplicate, 409, 'AlreadyExists');
    expect(duplicate.body.details).toMatchObject({ name: 'versioned', kind: 'configmaps' });

    const missing = await api('GET', '/api/v1/namespaces/default/configmaps/no-such-thing');
    status(missing, 404, 'NotFound');
    expect(missing.body.message).toBe('configmaps "no-such-thing" not found');

    const noNamespace = await api('POST', '/api/v1/namespaces/nowhere/configmaps', { body: { metadata: { name: 'lost' } } });
    status(noNamespace, 404, 'NotFound');

    // A PUT creates a missing object only for the kinds whose API allows it (Services, Events, RBAC), as the API server does.
    status(await api('PUT', '/api/v1/namespaces/default/configmaps/put-made', { body: { metadata: { name: 'put-made' }, data: { a: 'b' } } }), 404, 'NotFound');
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/put-made')).status).toBe(404);
    const putService = await api('PUT', '/api/v1/namespaces/default/services/put-made', {
      body: { metadata: { name: 'put-made' }, spec: { ports: [{ port: 80 }] } },
    });
    expect(putService.status).toBe(201);
    expect(putService.body.spec.clusterIP).toMatch(/^10\.0\./);
  });

  it('refuses every request with 403 once the authorized IP ranges exclude the client, and serves again when they include it', async () => {
    const lockedPath = managedClusterPath(sub, 'kube-rg', 'locked-aks');
    const standard = { networkProfile: { loadBalancerSku: 'standard' } };
    expect((await putManagedCluster(call, lockedPath, clusterBody({ count: 1, properties: standard }))).operation.status).toBe('Succeeded');
    const yaml = await clusterCredential(call, lockedPath, 'admin');
    const locked = kubeApi(yaml);
    expect((await locked('GET', '/api/v1/namespaces')).status).toBe(200);

    const restrict = await putManagedCluster(
      call,
      lockedPath,
      clusterBody({ count: 1, properties: { ...standard, apiServerAccessProfile: { authorizedIPRanges: ['203.0.113.0/24'] } } }),
    );
    expect(restrict.operation.status).toBe('Succeeded');
    expect((await berth.request('GET', lockedPath)).body.properties.apiServerAccessProfile.authorizedIPRanges).toEqual(['203.0.113.0/24']);
    const refused = await locked('GET', '/api/v1/namespaces');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
    expect(refused.body.message).toContain('203.0.113.0/24');
    const lockedKubectl = await Kubectl.create(yaml);
    try {
      const denied = await lockedKubectl.run(['get', 'pods']);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/forbidden|Forbidden/);

      const allow = await putManagedCluster(
        call,
        lockedPath,
        clusterBody({ count: 1, properties: { ...standard, apiServerAccessProfile: { authorizedIPRanges: ['203.0.113.0/24', '127.0.0.1/32'] } } }),
      );
      expect(allow.operation.status).toBe('Succeeded');
      expect((await locked('GET', '/api/v1/namespaces')).status).toBe(200);
      expect(await lockedKubectl.ok(['get', 'nodes', '-o', 'name'])).toMatch(/^node\/aks-nodepool1-/);
    } finally {
      await lockedKubectl.close();
    }
    // The main cluster was never restricted.
    expect((await api('GET', '/api/v1/namespaces')).status).toBe(200);
  });
});

describe.each(testStores())('local clusters across a restart of berth up on %s', (store) => {
  it('keeps clusters, their objects and their credentials', async () => {
    const home = await mkdtemp(join(tmpdir(), 'berth-restart-'));
    const pg = store === 'postgres' ? await freshPostgresDatabase() : undefined;
    const port = await freePort();
    const args = ['--home', home, '--port', String(port), '--provisioning-delay-ms', '0', ...(pg ? ['--store', pg.url] : [])];
    let kubectl: Kubectl | undefined;
    let berth = await spawnBerthUp(args);
    try {
      const token = (await readFile(join(home, 'token'), 'utf8')).trim();
      const ca = await readFile(join(home, 'ca.pem'), 'utf8');
      const call: ArmCall = (method, p, o = {}) =>
        httpsRequest(new URL(p, berth.url).toString(), ca, method, { ...o, token: o.token === undefined ? token : o.token });
      const sub = (await call('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId;
      expect((await call('PUT', `/subscriptions/${sub}/resourcegroups/keep-rg?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
      const clusterPath = managedClusterPath(sub, 'keep-rg', 'kept');
      expect((await putManagedCluster(call, clusterPath, clusterBody({ count: 2 }))).operation.status).toBe('Succeeded');
      const yaml = await clusterCredential(call, clusterPath, 'admin');
      kubectl = await Kubectl.create(yaml);
      await kubectl.ok(['create', 'configmap', 'kept-config', '--from-literal=color=blue']);
      await kubectl.ok(['create', 'secret', 'generic', 'kept-secret', '--from-literal=key=value']);
      await kubectl.ok(['apply', '-f', '-'], DEPLOYMENT_AND_SERVICE);
      const externalIp = await eventually('an external IP before the restart', async () => {
        const svc = JSON.parse(await kubectl!.ok(['get', 'svc', 'web', '-o', 'json']));
        return svc.status.loadBalancer.ingress?.[0]?.ip as string | undefined;
      });

      berth.child.kill('SIGTERM');
      expect((await berth.exited).code).toBe(0);
      expect((await kubectl.run(['get', 'configmap', 'kept-config'])).code).not.toBe(0);

      berth = await spawnBerthUp(args);
      expect(berth.url).toBe(`https://127.0.0.1:${port}`);
      // The kubeconfig fetched before the restart still works.
      const cm = JSON.parse(await kubectl.ok(['get', 'configmap', 'kept-config', '-o', 'json']));
      expect(cm.data).toEqual({ color: 'blue' });
      const secret = JSON.parse(await kubectl.ok(['get', 'secret', 'kept-secret', '-o', 'json']));
      expect(Buffer.from(secret.data.key, 'base64').toString()).toBe('value');
      expect((await kubectl.ok(['get', 'nodes', '-o', 'name'])).trim().split('\n')).toHaveLength(2);
      expect(await kubectl.ok(['get', 'deploy', 'web'])).toMatch(/^web\s+2\/2\s/m);
      expect(JSON.parse(await kubectl.ok(['get', 'svc', 'web', '-o', 'json'])).status.loadBalancer.ingress[0].ip).toBe(externalIp);
      const cluster = await call('GET', clusterPath);
      expect(cluster.body.properties.provisioningState).toBe('Succeeded');
      expect(kubeconfigParts(await clusterCredential(call, clusterPath, 'admin')).token).toBe(kubeconfigParts(yaml).token);
      // The simulated controllers run again after the restart.
      await kubectl.ok(['scale', 'deploy', 'web', '--replicas=3']);
      await eventually('deployment web READY 3/3 after the restart', async () =>
        (await kubectl!.ok(['get', 'deploy', 'web'])).match(/^web\s+3\/3\s/m) ? true : undefined,
      );
    } finally {
      berth.child.kill('SIGTERM');
      await berth.exited;
      await kubectl?.close();
      await pg?.drop();
      await rm(home, { recursive: true, force: true });
    }
  });
});
