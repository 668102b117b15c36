// Inference clusters, through the ARM front door of a `berth up` child (--provisioning-delay-ms 0):
// (a) PUT to Succeeded for a create (DevTest, 1 x Standard_D2_v2) and for an attach, median over 20
// each (the original takes ~10 and ~5 minutes); (b) 200 attaches submitted at once on 200 existing
// clusters, until all have finished; (c) how long a drift (the front end scaled to 7) lasts before
// Berth reverts it; (d) what running the front ends for real costs: their processes and memory.
// The front ends run as workloads, as `berth up` runs them; BENCH_NO_WORKLOADS=1 simulates them.
import { performance } from 'node:perf_hooks';
import { armOf, kubeOf, podMemory, pool, rssMiB, startBerth } from './lib.js';

const DEVTEST = { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ms = (value) => Math.round(value);

/** `berth up`'s own memory, and its child processes that run a front end (azureml-fe.mjs): how many, and their memory. */
function frontEndMemory(pid) {
  const frontEnds = podMemory(pid, 'azureml-fe.mjs');
  const total = frontEnds.reduce((sum, pod) => sum + pod.treeRssMiB, 0);
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
  let kube;
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
    kube = kubeOf(await arm.adminKubeconfig('create-0'), berth.ca);
    const deployment = '/apis/apps/v1/namespaces/azureml/deployments/azureml-fe';
    const driftMs = [];
    for (let i = 0; i < drifts; i++) {
      const start = performance.now();
      await kube.call('PATCH', deployment, { spec: { replicas: 7 } }, 'application/merge-patch+json');
      while ((await kube.call('GET', deployment)).spec.replicas !== 1) await sleep(2);
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
    await kube?.close();
    await berth.stop();
  }
}
