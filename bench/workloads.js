// What the workload sandbox costs: the same figures from a `berth up` whose pods run sandboxed (bubblewrap, a network
// namespace of their own, every connection through the pod's bridge socket in berth up) and from one whose pods run
// unsandboxed (--run-workloads=unsandboxed: child processes on the machine's network), with sandboxed/unsandboxed ratios:
// (a) scoring a node:20-alpine echo pod through the compute's front end (its local endpoint → the azureml-fe router pod →
//     the scoring pod), and the same pod directly at its pod address: saturation with 10 connections, and one request at
//     a time on one kept-alive connection; the CPU berth up, the router pod and the scoring pod spend per request;
// (b) pod start: a Deployment of `pods` node pods created through the Kubernetes API until all are Ready (readiness
//     probed over HTTP; the kubelet probes every 100 ms until first ready); one pod deleted until its replacement is
//     Ready; a rollout restart until every new pod is Ready and the old ones are gone;
// (c) memory with those pods running: berth up's RSS, and each pod's (its node process, and its whole process tree).
import { performance } from 'node:perf_hooks';
import { armOf, cpuMs, figures, kubeOf, podMemory, postLoad, rssMiB, sequential, startBerth } from './lib.js';

const DEVTEST = { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' };
const ML_API = 'api-version=2022-10-01';
const SCORE_PATH = '/api/v1/service/echo/score';
const BODY = '{"data":[[1,2,3,4]]}'; // postLoad's and sequential's body

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (value) => Math.round(value);

// One script for every pod: a keep-alive server answering a small JSON body, as frontend.js's backend does.
const SCRIPT = `import { createServer } from 'node:http';
const body = JSON.stringify({ result: [0.1, 0.2, 0.7] });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
});
server.keepAliveTimeout = 65000;
server.listen(8080);`;

/** A Deployment of node:20-alpine pods running `file` (the script, from the ConfigMap `bench-app`), Ready when they answer. */
function deployment(name, replicas, file) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name,
              image: 'node:20-alpine',
              command: ['node', `/app/${file}`],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
              volumeMounts: [{ name: 'app', mountPath: '/app' }],
            },
          ],
          volumes: [{ name: 'app', configMap: { name: 'bench-app' } }],
        },
      },
    },
  };
}

// No ratio where the unsandboxed figure is 0 (berth up is not on the way to an unsandboxed pod's address).
const ratio = (a, b) => (b ? +(a / b).toFixed(2) : undefined);

/** The same shape as `a` and `b`, each number replaced by a/b. */
function ratios(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return ratio(a, b);
  if (a && typeof a === 'object' && b && typeof b === 'object') {
    const out = {};
    for (const key of Object.keys(a)) {
      if (['runs', 'pods', 'errors', 'podProcesses', 'nodePid'].includes(key)) continue;
      const r = ratios(a[key], b[key]);
      if (r !== undefined) out[key] = r;
    }
    return out;
  }
  return undefined;
}

/** Every figure of one `berth up` whose pods run `mode` ('sandboxed' or 'unsandboxed'). */
async function measure(mode, { duration, pods, runs }) {
  const berth = await startBerth([`--run-workloads=${mode}`]);
  let kube;
  try {
    const arm = await armOf(berth);
    await arm.compute('scoring', { properties: DEVTEST });
    const compute = await berth.call('GET', `${arm.computePath('scoring')}?${ML_API}`);
    const endpoint = compute.body.properties.properties.systemServices[0].localEndpoints.find((url) => url.startsWith('http:'));
    kube = kubeOf(await arm.adminKubeconfig('scoring'), berth.ca);
    const deployments = '/apis/apps/v1/namespaces/default/deployments';
    const podsOf = async (app) => (await kube.call('GET', `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`)).items;

    /** Until the Deployment has `replicas` pods, all of its latest template and Ready, and no other (polled every 20 ms). */
    const rolledOut = async (name, replicas) => {
      for (;;) {
        const d = await kube.call('GET', `${deployments}/${name}`);
        const s = d.status ?? {};
        if ((s.observedGeneration ?? 0) >= d.metadata.generation && s.updatedReplicas === replicas && s.readyReplicas === replicas && s.replicas === replicas)
          return;
        await sleep(20);
      }
    };
    const gone = async (app) => {
      while ((await podsOf(app)).length) await sleep(50);
    };

    await kube.call('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'bench-app' },
      data: { 'score.mjs': SCRIPT, 'pod.mjs': SCRIPT },
    });

    // (a) Scoring.
    await kube.call('POST', deployments, deployment('echo', 1, 'score.mjs'));
    await kube.call('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'echo', labels: { 'berth.dev/scoring-service': 'echo' } },
      spec: { selector: { app: 'echo' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    await rolledOut('echo', 1);
    const [echoPod] = await podsOf('echo');
    const targets = { frontEnd: `${endpoint}${SCORE_PATH}`, podDirect: `http://${echoPod.status.podIP}:8080/score` };
    for (let i = 0; ; i++) {
      const answered = await fetch(targets.frontEnd, { method: 'POST', body: BODY }).then(
        (res) => res.status === 200,
        () => false,
      );
      if (answered) break;
      if (i > 600) throw new Error(`the front end at ${endpoint} does not route to the echo pod`);
      await sleep(50);
    }
    const scoring = {};
    // The CPU each process on the way spends per request at saturation: where the sandbox's cost goes, steadier than throughput.
    const [router] = podMemory(berth.child.pid, 'azureml-fe.mjs');
    const [scorer] = podMemory(berth.child.pid, '/app/score.mjs');
    const cpu = { berthUp: () => cpuMs(berth.child.pid, { children: false }), router: () => cpuMs(router.nodePid), scoringPod: () => cpuMs(scorer.nodePid) };
    for (const [name, url] of Object.entries(targets)) {
      await postLoad(url, berth.ca, { connections: 10, duration: 2 }); // warm-up: the router's and the bridge's JIT
      const before = Object.fromEntries(Object.entries(cpu).map(([key, of]) => [key, of()]));
      const saturation = await postLoad(url, berth.ca, { connections: 10, duration });
      const cpuMicrosPerRequest = Object.fromEntries(
        Object.entries(cpu).map(([key, of]) => [key, Math.round(((of() - before[key]) * 1000) / saturation.requests.total)]),
      );
      scoring[name] = { saturation: { ...figures(saturation), cpuMicrosPerRequest }, sequential: await sequential(url, berth.ca, 2000) };
    }

    // (b) Pod start, replacement and rollout restart.
    const memoryBefore = rssMiB(berth.child.pid);
    const startMs = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await kube.call('POST', deployments, deployment('bench', pods, 'pod.mjs'));
      await rolledOut('bench', pods);
      startMs.push(performance.now() - start);
      if (i === runs - 1) break;
      await kube.call('DELETE', `${deployments}/bench`);
      await gone('bench');
    }
    // (c) Memory, with the Deployment's pods running (and the front end's and the echo pod).
    await sleep(1000);
    const podRss = podMemory(berth.child.pid, '/app/pod.mjs');
    if (podRss.length !== pods) throw new Error(`${podRss.length} processes of ${pods} pods found under berth up`);
    const memory = {
      berthRssBeforeMiB: memoryBefore,
      berthRssWithPodsMiB: rssMiB(berth.child.pid),
      podNodeRssMiB: +median(podRss.map((p) => p.nodeRssMiB)).toFixed(1),
      podTreeRssMiB: +median(podRss.map((p) => p.treeRssMiB)).toFixed(1),
      podProcesses: median(podRss.map((p) => p.processes)),
    };
    memory.berthRssPerPodMiB = +((memory.berthRssWithPodsMiB - memory.berthRssBeforeMiB) / pods).toFixed(2);

    const replaceMs = [];
    for (let i = 0; i < runs; i++) {
      const [victim] = await podsOf('bench');
      const start = performance.now();
      await kube.call('DELETE', `/api/v1/namespaces/default/pods/${victim.metadata.name}`);
      for (;;) {
        const current = await podsOf('bench');
        const ready = current.filter(
          (p) => p.metadata.name !== victim.metadata.name && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        if (ready.length === pods) break;
        await sleep(20);
      }
      replaceMs.push(performance.now() - start);
      while ((await podsOf('bench')).some((p) => p.metadata.name === victim.metadata.name)) await sleep(50);
    }
    const restartStart = performance.now();
    await kube.call(
      'PATCH',
      `${deployments}/bench`,
      { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } },
      'application/strategic-merge-patch+json',
    );
    await rolledOut('bench', pods);
    while ((await podsOf('bench')).length !== pods) await sleep(20);
    const rolloutRestartMs = performance.now() - restartStart;

    // A figure from a berth up that silently simulated its pods would be meaningless.
    const sandboxed = podRss.every((p) => p.processes > 1);
    if (sandboxed !== (mode === 'sandboxed')) throw new Error(`berth up --run-workloads ${mode} ran its pods ${sandboxed ? 'in' : 'outside'} sandboxes`);
    return {
      scoring,
      podStart: {
        pods,
        allReadyMs: { median: ms(median(startMs)), runs: startMs.map(ms) },
        deletedPodReplacedMs: { median: ms(median(replaceMs)), runs: replaceMs.map(ms) },
        rolloutRestartMs: ms(rolloutRestartMs),
      },
      memory,
    };
  } finally {
    await kube?.close();
    await berth.stop();
  }
}

export async function workloads({ duration = 8, pods = 10, runs = 3 } = {}) {
  const results = { name: `workload sandbox: scoring through the front end, start of ${pods} pods, memory; sandboxed vs unsandboxed` };
  results.sandboxed = await measure('sandboxed', { duration, pods, runs });
  results.unsandboxed = await measure('unsandboxed', { duration, pods, runs });
  results.sandboxedOverUnsandboxed = ratios(results.sandboxed, results.unsandboxed);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log(JSON.stringify(await workloads({ duration: Number(process.env.BENCH_DURATION ?? 8) }), null, 2));
