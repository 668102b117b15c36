// The local cloud, through its front doors: (a) how long a 3-node cluster takes from PUT to
// Succeeded, (b) the Kubernetes API's GET / LIST / PATCH throughput on a cluster holding 1,000
// ConfigMaps (GET also by a service account, through RBAC), (c) the memory of a `berth up` holding 100 clusters. Berth runs as a child process.
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { load, pool, rssMiB, startBerth, summary } from './lib.js';

const AKS_API = 'api-version=2024-08-01';

const clusterBody = (count) => ({
  location: 'westus',
  properties: { agentPoolProfiles: [{ name: 'nodepool1', count, vmSize: 'Standard_D3_v2', mode: 'System' }] },
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** ARM helpers on one `berth up`: a resource group, and managed clusters created and awaited as a client would. */
async function armOf(berth) {
  const sub = (await berth.call('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId;
  const group = await berth.call('PUT', `/subscriptions/${sub}/resourcegroups/bench?api-version=2021-04-01`, { location: 'westus' });
  if (group.status !== 201) throw new Error(`resource group: ${group.status}`);
  const clusterPath = (name) => `/subscriptions/${sub}/resourceGroups/bench/providers/Microsoft.ContainerService/managedClusters/${name}`;
  return {
    /** PUTs a cluster and polls its operation until Succeeded; resolves with the milliseconds it took. */
    async createCluster(name, count) {
      const start = performance.now();
      const put = await berth.call('PUT', `${clusterPath(name)}?${AKS_API}`, clusterBody(count));
      if (put.status !== 201) throw new Error(`PUT ${name}: ${put.status} ${JSON.stringify(put.body)}`);
      const status = new URL(put.headers['azure-asyncoperation']);
      for (;;) {
        const op = await berth.call('GET', status.pathname + status.search);
        if (op.body.status === 'Succeeded') return performance.now() - start;
        if (op.body.status !== 'InProgress') throw new Error(`create ${name}: ${JSON.stringify(op.body)}`);
        await sleep(2);
      }
    },
    async adminKubeconfig(name) {
      const res = await berth.call('POST', `${clusterPath(name)}/listClusterAdminCredential?${AKS_API}`);
      const config = parseYaml(Buffer.from(res.body.kubeconfigs[0].value, 'base64').toString('utf8'));
      return { server: config.clusters[0].cluster.server, token: config.users[0].user.token };
    },
  };
}

export async function localCloud({ duration = 10, createRuns = 5, configMaps = 1000, clusters = 100 } = {}) {
  const results = { name: 'local cloud: cluster create, Kubernetes API on 1,000 ConfigMaps, memory with 100 clusters' };

  const berth = await startBerth();
  const kubeDispatcher = new Agent({ connect: { ca: berth.ca }, connections: 64 });
  try {
    const arm = await armOf(berth);

    // (a) PUT to Succeeded of a 3 x Standard_D3_v2 cluster, one at a time.
    const createMs = [];
    for (let i = 0; i < createRuns; i++) createMs.push(await arm.createCluster(`create-${i}`, 3));
    results.createThreeNodeClusterMs = { median: +median(createMs).toFixed(1), runs: createMs.map((ms) => +ms.toFixed(1)) };

    // (b) One cluster with `configMaps` ConfigMaps, loaded through its Kubernetes API.
    const kube = await arm.adminKubeconfig('create-0');
    const base = `${kube.server}/api/v1/namespaces/default/configmaps`;
    const names = Array.from({ length: configMaps }, (_, i) => `cm-${String(i).padStart(5, '0')}`);
    const seedStart = performance.now();
    await pool(names, 32, async (name, i) => {
      const res = await request(base, {
        method: 'POST',
        dispatcher: kubeDispatcher,
        headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name, labels: { bench: 'true' } }, data: { index: String(i), payload: 'x'.repeat(200) } }),
      });
      await res.body.text();
      if (res.statusCode !== 201) throw new Error(`seeding ${name}: ${res.statusCode}`);
    });
    const seedMs = performance.now() - seedStart;
    const listed = await request(base, { dispatcher: kubeDispatcher, headers: { authorization: `Bearer ${kube.token}` } });
    const listBody = await listed.body.text();
    if (JSON.parse(listBody).items.length !== configMaps) throw new Error('the list does not hold every ConfigMap');

    const opts = { token: kube.token, ca: berth.ca, duration };
    const middle = names[configMaps >> 1];
    const get = summary(await load(`${base}/${middle}`, opts));
    const list = summary(await load(base, opts));
    // Each PATCH changes a different ConfigMap (round robin), so each is a real write.
    let n = 0;
    const basePath = new URL(base).pathname;
    const patch = summary(
      await load(`${base}/${middle}`, {
        ...opts,
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        setupRequest: (req) => {
          n++;
          return { ...req, path: `${basePath}/${names[n % configMaps]}`, body: JSON.stringify({ data: { counter: String(n) } }) };
        },
      }),
    );
    // The same GET by a workload's service account, judged by RBAC: a ClusterRole bound among 20 other bindings.
    const rbac = `${kube.server}/apis/rbac.authorization.k8s.io/v1`;
    const asAdmin = async (method, url, body) => {
      const res = await request(url, {
        method,
        dispatcher: kubeDispatcher,
        headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.body.text();
      if (res.statusCode !== 201) throw new Error(`${method} ${url}: ${res.statusCode} ${text}`);
      return JSON.parse(text);
    };
    const binding = (name, subject, role) => ({
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: subject, namespace: 'default' }],
    });
    await asAdmin('POST', `${rbac}/clusterroles`, { metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] });
    for (let i = 0; i < 20; i++) await asAdmin('POST', `${rbac}/clusterrolebindings`, binding(`other-${i}`, `other-${i}`, 'view'));
    await asAdmin('POST', `${rbac}/clusterrolebindings`, binding('cm-reader', 'default', 'cm-reader'));
    const saToken = (await asAdmin('POST', `${kube.server}/api/v1/namespaces/default/serviceaccounts/default/token`, { spec: {} })).status.token;
    const getAsServiceAccount = summary(await load(`${base}/${middle}`, { ...opts, token: saToken }));

    // Failed requests count as errors in autocannon's figures; a Berth that died under load must not pass for a slow one.
    if (berth.child.exitCode !== null || berth.child.signalCode !== null)
      throw new Error(`berth up exited (${berth.child.exitCode ?? berth.child.signalCode}) during the Kubernetes API load`);
    results.kubernetesApi = {
      configMaps,
      seedCreatesPerSecond: Math.round((configMaps * 1000) / seedMs),
      get,
      getAsServiceAccount: { ...getAsServiceAccount, ratioToAdmin: +(getAsServiceAccount.requestsPerSecond / get.requestsPerSecond).toFixed(2) },
      list: { ...list, responseBytes: Buffer.byteLength(listBody) },
      patch,
    };
  } finally {
    await kubeDispatcher.close();
    await berth.stop();
  }

  // (c) A fresh `berth up`: resident memory idle, then holding `clusters` 3-node clusters.
  const fresh = await startBerth();
  try {
    const arm = await armOf(fresh);
    const idleMiB = rssMiB(fresh.child.pid);
    const start = performance.now();
    await pool(
      Array.from({ length: clusters }, (_, i) => `c-${String(i).padStart(3, '0')}`),
      8,
      (name) => arm.createCluster(name, 3),
    );
    const createSeconds = (performance.now() - start) / 1000;
    results.memory = {
      clusters,
      nodesPerCluster: 3,
      rssIdleMiB: idleMiB,
      rssWithClustersMiB: rssMiB(fresh.child.pid),
      clustersCreatedPerSecond: +(clusters / createSeconds).toFixed(1),
    };
  } finally {
    await fresh.stop();
  }
  return results;
}
