import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, testStores, type TestBerth } from '../../../test-support/berth.js';
import {
  clusterBody,
  clusterCredential,
  eventually,
  Kubectl,
  kubeApi,
  managedClusterPath,
  putManagedCluster,
  type ArmCall,
} from '../../../test-support/kube.js';

const RG_API = 'api-version=2021-04-01';
const NS = 'shop';

function shopDeployment(image: string, replicas = 3): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {app: shop}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: shop
          image: ${image}
          ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  selector: {app: shop}
  ports: [{port: 80, targetPort: 8080}]
`;
}

/** The rows of one kind in `kubectl get all` output: its block starts with a header line and ends at a blank line. */
function block(output: string, header: RegExp): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

describe.each(testStores())('Deployments, ReplicaSets and pods through kubectl on %s', (store) => {
  let berth: TestBerth;
  let kubectl: Kubectl;
  let api: ReturnType<typeof kubeApi>;
  const call: ArmCall = (method, p, o) => berth.request(method, p, o);

  beforeAll(async () => {
    berth = await startTestBerth({ store, provisioningDelayMs: 0 });
    const sub = berth.subscriptionId;
    expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/rs-rg?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
    const clusterPath = managedClusterPath(sub, 'rs-rg', 'rs-aks');
    expect((await putManagedCluster(call, clusterPath, clusterBody({ count: 2, vmSize: 'Standard_D3_v2' }))).operation.status).toBe('Succeeded');
    const yaml = await clusterCredential(call, clusterPath, 'admin');
    kubectl = await Kubectl.create(yaml);
    api = kubeApi(yaml);
    await kubectl.ok(['create', 'namespace', NS]);
  });
  afterAll(async () => {
    await kubectl?.close();
    await berth?.close();
  });

  it('kubectl get all shows the Deployment, its ReplicaSet and its pods; rollout status waits for them', async () => {
    await kubectl.ok(['apply', '-n', NS, '-f', '-'], shopDeployment('nginx:1.27'));
    expect(await kubectl.ok(['rollout', 'status', 'deploy/shop', '-n', NS, '--timeout=20s'])).toContain('deployment "shop" successfully rolled out');

    const all = await kubectl.ok(['get', 'all', '-n', NS]);
    const rs = block(all, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/);
    expect(rs).toHaveLength(1);
    const [, rsName, hash] = /^replicaset\.apps\/(shop-([a-z0-9]+))\s+3\s+3\s+3\s+\S+$/.exec(rs[0])!;
    const pods = block(all, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(pods).toHaveLength(3);
    for (const row of pods) expect(row).toMatch(new RegExp(`^pod/${rsName}-[a-z0-9]{5}\\s+1/1\\s+Running\\s+0\\s+\\S+$`));
    expect(block(all, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/)).toEqual([expect.stringMatching(/^deployment\.apps\/shop\s+3\/3\s+3\s+3\s+\S+$/)]);
    expect(block(all, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/)).toEqual([
      expect.stringMatching(/^service\/shop\s+ClusterIP\s+10\.0\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+$/),
    ]);

    // The ReplicaSet is the Deployment's, and the pods are the ReplicaSet's.
    const replicaSet = JSON.parse(await kubectl.ok(['get', 'rs', rsName, '-n', NS, '-o', 'json']));
    expect(replicaSet.metadata.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop', controller: true }),
    ]);
    expect(replicaSet.metadata.labels).toEqual({ app: 'shop', 'pod-template-hash': hash });
    expect(replicaSet.metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
    expect(replicaSet.spec.selector.matchLabels).toEqual({ app: 'shop', 'pod-template-hash': hash });
    const podList = JSON.parse(await kubectl.ok(['get', 'pods', '-n', NS, '-l', `pod-template-hash=${hash}`, '-o', 'json']));
    expect(podList.items).toHaveLength(3);
    for (const pod of podList.items) {
      expect(pod.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'ReplicaSet', name: rsName, uid: replicaSet.metadata.uid, controller: true }),
      ]);
    }
    const deployment = JSON.parse(await kubectl.ok(['get', 'deploy', 'shop', '-n', NS, '-o', 'json']));
    expect(deployment.metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
    expect(deployment.status).toMatchObject({
      observedGeneration: deployment.metadata.generation,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(deployment.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }),
        expect.objectContaining({
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${rsName}" has successfully progressed.`,
        }),
      ]),
    );
  });

  it('kubectl describe deploy shows the replica counts and the new ReplicaSet', async () => {
    const described = await kubectl.ok(['describe', 'deploy', 'shop', '-n', NS]);
    expect(described).toMatch(/^Name:\s+shop$/m);
    expect(described).toMatch(/^Annotations:\s+deployment\.kubernetes\.io\/revision: 1$/m);
    expect(described).toMatch(/^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m);
    expect(described).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(described).toMatch(/^\s+Available\s+True\s+MinimumReplicasAvailable$/m);
    expect(described).toMatch(/^\s+Progressing\s+True\s+NewReplicaSetAvailable$/m);
    expect(described).toMatch(/^OldReplicaSets:\s+<none>$/m);
    expect(described).toMatch(/^NewReplicaSet:\s+shop-[a-z0-9]+ \(3\/3 replicas created\)$/m);
    expect(described).toMatch(/^Events:\s+<none>$/m);

    const rsDescribed = await kubectl.ok(['describe', 'rs', '-n', NS, '-l', 'app=shop']);
    expect(rsDescribed).toMatch(/^Controlled By:\s+Deployment\/shop$/m);
    expect(rsDescribed).toMatch(/^Replicas:\s+3 current \/ 3 desired$/m);
    expect(rsDescribed).toMatch(/^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
  });

  it('a new pod template rolls out a new ReplicaSet and scales the old one to 0; undo brings the old template back', async () => {
    const before = JSON.parse(await kubectl.ok(['get', 'rs', '-n', NS, '-l', 'app=shop', '-o', 'json'])).items;
    expect(before).toHaveLength(1);
    const oldName = before[0].metadata.name;

    await kubectl.ok(['set', 'image', 'deploy/shop', 'shop=nginx:1.28', '-n', NS]);
    expect(await kubectl.ok(['rollout', 'status', 'deploy/shop', '-n', NS, '--timeout=20s'])).toContain('deployment "shop" successfully rolled out');
    const rows = await eventually('the old ReplicaSet at 0 and the new one at 3', async () => {
      const out = await kubectl.ok(['get', 'rs', '-n', NS, '--no-headers']);
      const lines = out.trim().split('\n');
      return lines.length === 2 &&
        lines.some((l) => new RegExp(`^${oldName}\\s+0\\s+0\\s+0\\s`).test(l)) &&
        lines.some((l) => /^shop-\S+\s+3\s+3\s+3\s/.test(l))
        ? lines
        : undefined;
    });
    const newName = rows.find((l) => !l.startsWith(`${oldName} `))!.split(/\s+/)[0];
    const pods = await eventually('three pods, all of the new ReplicaSet', async () => {
      const list = JSON.parse(await kubectl.ok(['get', 'pods', '-n', NS, '-l', 'app=shop', '-o', 'json'])).items;
      return list.length === 3 && list.every((p: any) => p.metadata.ownerReferences[0].name === newName) ? list : undefined;
    });
    expect(pods.every((p: any) => p.spec.containers[0].image === 'nginx:1.28')).toBe(true);

    const described = await kubectl.ok(['describe', 'deploy', 'shop', '-n', NS]);
    expect(described).toMatch(/^Annotations:\s+deployment\.kubernetes\.io\/revision: 2$/m);
    expect(described).toContain(`NewReplicaSet:   ${newName} (3/3 replicas created)`);
    expect(described).toMatch(/^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m);

    const history = await kubectl.ok(['rollout', 'history', 'deploy/shop', '-n', NS]);
    expect(history).toMatch(/^1\s+<none>$/m);
    expect(history).toMatch(/^2\s+<none>$/m);

    // Undo: the first template comes back, and with it the first ReplicaSet, at revision 3.
    await kubectl.ok(['rollout', 'undo', 'deploy/shop', '-n', NS]);
    expect(await kubectl.ok(['rollout', 'status', 'deploy/shop', '-n', NS, '--timeout=20s'])).toContain('successfully rolled out');
    const back = await eventually(`${oldName} at 3 replicas again`, async () => {
      const rs = JSON.parse(await kubectl.ok(['get', 'rs', oldName, '-n', NS, '-o', 'json']));
      return rs.status.readyReplicas === 3 ? rs : undefined;
    });
    expect(back.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
    expect(JSON.parse(await kubectl.ok(['get', 'deploy', 'shop', '-n', NS, '-o', 'json'])).spec.template.spec.containers[0].image).toBe('nginx:1.27');
  });

  it('kubectl scale works on a ReplicaSet, and its Deployment scales it back', async () => {
    const [rs] = JSON.parse(await kubectl.ok(['get', 'rs', '-n', NS, '-l', 'app=shop', '-o', 'json'])).items.filter((r: any) => r.spec.replicas > 0);
    expect(await kubectl.ok(['scale', 'rs', rs.metadata.name, '-n', NS, '--replicas=1'])).toContain(`replicaset.apps/${rs.metadata.name} scaled`);
    await eventually('the ReplicaSet back at 3, with 3 ready pods', async () => {
      const now = (await api('GET', `/apis/apps/v1/namespaces/${NS}/replicasets/${rs.metadata.name}`)).body;
      return now.spec.replicas === 3 && now.status.readyReplicas === 3 ? true : undefined;
    });
  });

  it('a Deployment deleted and made anew at once ends with the new ReplicaSet and its pods only', async () => {
    const deployments = `/apis/apps/v1/namespaces/${NS}/deployments`;
    const old = (await api('GET', `${deployments}/shop`)).body;
    expect((await api('DELETE', `${deployments}/shop`)).status).toBe(200);
    // Same name, same template: the new ReplicaSet has the old one's name too.
    const created = await api('POST', deployments, { body: { metadata: { name: 'shop' }, spec: old.spec } });
    expect(created.status, created.text).toBe(201);
    const uid = created.body.metadata.uid;
    await eventually('one ReplicaSet of the new Deployment, with its 3 pods and no others', async () => {
      const replicaSets = (await api('GET', `/apis/apps/v1/namespaces/${NS}/replicasets`)).body.items;
      const pods = (await api('GET', `/api/v1/namespaces/${NS}/pods`)).body.items;
      const ready = replicaSets.length === 1 && replicaSets[0].metadata.ownerReferences[0].uid === uid && replicaSets[0].status.readyReplicas === 3;
      return ready && pods.length === 3 && pods.every((p: any) => p.metadata.ownerReferences[0].uid === replicaSets[0].metadata.uid) ? true : undefined;
    });
  });

  it('pods a Deployment owned itself (as Berth made them before it simulated ReplicaSets) give way to its ReplicaSet', async () => {
    const legacyPod = {
      metadata: {
        name: 'legacy-abc12',
        labels: { app: 'legacy' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'legacy', uid: 'from-an-older-berth', controller: true }],
      },
      spec: { containers: [{ name: 'legacy', image: 'nginx:1.27' }] },
    };
    expect((await api('POST', `/api/v1/namespaces/${NS}/pods`, { body: legacyPod })).status).toBe(201);
    await kubectl.ok(['apply', '-n', NS, '-f', '-'], shopDeployment('nginx:1.27', 2).replace(/shop/g, 'legacy'));
    expect(await kubectl.ok(['rollout', 'status', 'deploy/legacy', '-n', NS, '--timeout=20s'])).toContain('successfully rolled out');
    const pods = await eventually('the 2 pods of the ReplicaSet only', async () => {
      const items = JSON.parse(await kubectl.ok(['get', 'pods', '-n', NS, '-l', 'app=legacy', '-o', 'json'])).items;
      return items.length === 2 ? items : undefined;
    });
    expect(pods.map((p: any) => p.metadata.ownerReferences[0].kind)).toEqual(['ReplicaSet', 'ReplicaSet']);
    expect(await kubectl.ok(['delete', 'deploy,svc', 'legacy', '-n', NS])).toContain('deployment.apps "legacy" deleted');
  });

  it('deleting the Deployment deletes its ReplicaSets and their pods', async () => {
    expect(await kubectl.ok(['delete', 'deploy', 'shop', '-n', NS])).toContain('deployment.apps "shop" deleted');
    await eventually('no ReplicaSets nor pods left', async () => {
      const out = await kubectl.ok(['get', 'rs,pods', '-n', NS, '-o', 'name']);
      return out.trim() === '' ? true : undefined;
    });
    expect(await kubectl.ok(['get', 'all', '-n', NS, '-o', 'name'])).toBe('service/shop\n');
  });
});
