// Inference clusters, through the ARM front door of a `berth up` child (--provisioning-delay-ms 0):
// (a) PUT to Succeeded for a create (DevTest, 1 x Standard_D2_v2) and for an attach, median over 20
// each (the original takes ~10 and ~5 minutes); (b) 200 attaches submitted at once on 200 existing
// clusters, until all have finished; (c) how long a drift (the front end scaled to 7) lasts before
// Berth reverts it; (d) what running the front ends for real costs: their processes and memory.
// The front ends run as workloads, as `berth up` runs them; BENCH_NO_WORKLOADS=1 simulates them.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { pool, startBerth } from './lib.js';

const ML_API = 'api-version=2022-10-01';
const AKS_API = 'api-version=2024-08-01';
const DEVTEST = { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ms = (value) => Math.round(value);

/** ARM calls on one `berth up`: groups, a workspace, managed clusters and computes, each awaited by polling its operation. */
async function armOf(berth) {
  const sub = (await berth.call('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId;
  const group = (rg) => `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`;
  const clusterPath = (rg, name) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
  const workspacePath = `/subscriptions/${sub}/resourceGroups/bench/providers/Microsoft.MachineLearningServices/workspaces/bench-ws`;
  const computePath = (name) => `${workspacePath}/computes/${name}`;

  /** Polls an Azure-AsyncOperation URL every few milliseconds (not the Retry-After a client honours) until the operation ends. */
  async function finished(put, what) {
    const status = new URL(put.headers['azure-asyncoperation']);
    for (;;) {
      const op = await berth.call('GET', status.pathname + status.search);
      if (op.body.status === 'Succeeded') return;
      if (op.body.status !== 'InProgress') throw new Error(`${what}: ${JSON.stringify(op.body)}`);
      await sleep(5);
    }
  }

  async function put(path, body, what) {
    const res = await berth.call('PUT', path, body);
    if (res.status !== 201) throw new Error(`PUT ${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  }

  for (const rg of ['bench', 'bench-clusters']) {
    const res = await berth.call('PUT', group(rg), { location: 'westus' });
    if (res.status !== 201) throw new Error(`resource group ${rg}: ${res.status}`);
  }
  await finished(await put(`${workspacePath}?${ML_API}`, { location: 'westus' }, 'workspace'), 'workspace');

  return {
    async createCluster(name) {
      const body = { location: 'westus', properties: { agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_D2_v2', mode: 'System' }] } };
      await finished(await put(`${clusterPath('bench-clusters', name)}?${AKS_API}`, body, name), name);
      return clusterPath('bench-clusters', name);
    },
    /** PUTs a compute; resolves with the PUT's answer once the compute's operation has succeeded. */
    async compute(name, properties) {
      const res = await put(`${computePath(name)}?${ML_API}`, { properties: { computeType: 'AKS', ...properties } }, name);
      await finished(res, name);
      return res;
    },
    submitCompute: (name, properties) => put(`${computePath(name)}?${ML_API}`, { properties: { computeType: 'AKS', ...properties } }, name),
    finished,
    async adminKubeconfig(name) {
      const res = await berth.call('POST', `${computePath(name)}/listKeys?${ML_API}`);
      const config = parseYaml(res.body.adminKubeConfig);
      return { server: config.clusters[0].cluster.server, token: config.users[0].user.token };
    },
  };
}

/** Resident memory of a process, in MiB, from /proc. */
function rssMiB(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/** `berth up`'s own memory, and its child processes that run a front end (azureml-fe.mjs): how many, and their memory. */
function frontEndMemory(pid) {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  const frontEnds = children.filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('azureml-fe.mjs');
    } catch {
      return false;
    }
  });
  const rss = frontEnds.map(rssMiB);
  const total = rss.reduce((a, b) => a + b, 0);
  return {
    berthRssMiB: Math.round(rssMiB(pid)),
    frontEndProcesses: frontEnds.length,
    frontEndRssTotalMiB: Math.round(total),
    frontEndRssPerReplicaMiB: frontEnds.length ? Math.round((total / frontEnds.length) * 10) / 10 : 0,
  };
}

export async function computes({ runs = 20, attaches = 200, drifts = 5 } = {}) {
  const results = { name: 'inference clusters: create and attach to Succeeded, 200 attaches at once, drift repair' };
  const workloads = !process.env.BENCH_NO_WORKLOADS;
  results.workloads = workloads ? 'front ends run as processes' : 'simulated (--no-run-workloads)';
  const berth = await startBerth(workloads ? [] : ['--no-run-workloads']);
  const kubeDispatcher = new Agent({ connect: { ca: berth.ca }, connections: 16 });
  try {
    const arm = await armOf(berth);

    const createMs = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await arm.compute(`create-${i}`, { properties: DEVTEST });
      createMs.push(performance.now() - start);
    }
    results.createDevTestMedianMs = ms(median(createMs));

    const clusterIds = [];
    await pool(
      Array.from({ length: runs + attaches }, (_, i) => `cluster-${String(i).padStart(3, '0')}`),
      32,
      async (name) => {
        clusterIds.push(await arm.createCluster(name));
      },
    );
    const attachMs = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await arm.compute(`attach-${i}`, { resourceId: clusterIds[i], properties: { clusterPurpose: 'DevTest' } });
      attachMs.push(performance.now() - start);
    }
    results.attachMedianMs = ms(median(attachMs));

    // Drift: the front end of one compute scaled to 7 through its Kubernetes API, until Berth puts 1 back.
    const kube = await arm.adminKubeconfig('create-0');
    const deployment = `${kube.server}/apis/apps/v1/namespaces/azureml/deployments/azureml-fe`;
    const kubeCall = async (method, url, body, contentType) => {
      const res = await request(url, {
        method,
        dispatcher: kubeDispatcher,
        headers: { authorization: `Bearer ${kube.token}`, ...(contentType ? { 'content-type': contentType } : {}) },
        body,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${text}`);
      return JSON.parse(text);
    };
    const driftMs = [];
    for (let i = 0; i < drifts; i++) {
      const start = performance.now();
      await kubeCall('PATCH', deployment, JSON.stringify({ spec: { replicas: 7 } }), 'application/merge-patch+json');
      while ((await kubeCall('GET', deployment)).spec.replicas !== 1) await sleep(2);
      driftMs.push(performance.now() - start);
      await sleep(300);
    }
    results.driftRevertedMedianMs = ms(median(driftMs));
    results.driftRevertedMaxMs = ms(Math.max(...driftMs));

    const start = performance.now();
    const submitted = await Promise.all(
      clusterIds
        .slice(runs)
        .map((id, i) => arm.submitCompute(`many-${String(i).padStart(3, '0')}`, { resourceId: id, properties: { clusterPurpose: 'DevTest' } })),
    );
    const submitMs = performance.now() - start;
    await Promise.all(submitted.map((res, i) => arm.finished(res, `many-${i}`)));
    results.attachesAtOnce = attaches;
    results.attachesAtOnceSubmittedMs = ms(submitMs);
    results.attachesAtOnceAllSucceededMs = ms(performance.now() - start);
    results.computesTracked = runs * 2 + attaches;
    Object.assign(results, frontEndMemory(berth.child.pid));
    results.original = { createMinutes: 10, attachMinutes: 5 };
    return results;
  } finally {
    await kubeDispatcher.close();
    await berth.stop();
  }
}
