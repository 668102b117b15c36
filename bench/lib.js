import { spawn } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';

export const ML_API = 'api-version=2022-10-01';
export const AKS_API = 'api-version=2024-08-01';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The `berth` that is measured: this checkout's, or BERTH_BIN's (another build, for before/after figures). */
export const berthBin = process.env.BERTH_BIN ?? fileURLToPath(new URL('../packages/cli/bin/berth.js', import.meta.url));

/** Starts a child process and resolves when a line of its stdout matches `ready`. */
export function startChild(args, ready) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

/** A `berth up` on a fresh home folder and a free port. */
export async function startBerth(extraArgs = []) {
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const { child, match } = await startChild(
    [berthBin, 'up', '--home', home, '--port', '0', '--provisioning-delay-ms', '0', ...extraArgs],
    /Berth is ready at (\S+)/,
  );
  const token = readFileSync(join(home, 'token'), 'utf8').trim();
  const ca = readFileSync(join(home, 'ca.pem'), 'utf8');
  const dispatcher = new Agent({ connect: { ca }, connections: 64 });
  const call = async (method, path, body) => {
    const res = await request(match[1] + path, {
      method,
      dispatcher,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.all([exited, dispatcher.close()]);
    rmSync(home, { recursive: true, force: true });
  };
  return { child, home, url: match[1], token, ca, call, stop };
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

/**
 * Load with autocannon over HTTPS (the CA is trusted for the run). GET by default;
 * `method`, `body` and `headers` change the request, and `setupRequest(request)`
 * may vary each one (autocannon's hook, e.g. a different body per request).
 */
export function load(url, { token, ca, connections = 10, duration = 10, method = 'GET', body, headers = {}, setupRequest }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration,
        method,
        ...(body === undefined ? {} : { body }),
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        ...(setupRequest ? { requests: [{ setupRequest }] } : {}),
        tlsOptions: { ca },
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

export function summary(result) {
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** One autocannon load of POSTs of a small JSON body; besides its own figures, keeps every response time (fractional ms) for exact percentiles. */
export function postLoad(url, ca, options) {
  const times = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, tlsOptions: { ca }, method: 'POST', body: '{"data":[[1,2,3,4]]}', headers: { 'content-type': 'application/json' }, ...options },
      (err, r) => (err ? reject(err) : resolve({ ...r, times })),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 300) times.push(responseTime);
    });
  });
}

export function figures(r) {
  const sorted = Float64Array.from(r.times).sort();
  return {
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: round3(percentile(sorted, 50)),
    p99Ms: round3(percentile(sorted, 99)),
    errors: r.errors + r.non2xx + r.timeouts,
  };
}

export function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

export const round3 = (x) => Math.round(x * 1000) / 1000;

/**
 * POSTs of a small JSON body to `url` on up to `maxSockets` kept-alive connections: each resolves with the
 * status (0 when the request failed) and the time from sending it to the end of its answer.
 */
export function poster(url, ca, maxSockets) {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets, ca }) : new HttpAgent({ keepAlive: true, maxSockets });
  const body = '{"data":[[1,2,3,4]]}';
  const post = () =>
    new Promise((resolve) => {
      const sentAt = performance.now();
      const req = (https ? httpsRequest : httpRequest)(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - sentAt }));
        },
      );
      req.on('error', () => resolve({ status: 0, ms: performance.now() - sentAt }));
      req.end(body);
    });
  return { post, agent };
}

/** Latency of `count` requests one after another on one kept-alive connection (no queueing in the client): p50 and p99. */
export async function sequential(url, ca, count = 3000) {
  const { post, agent } = poster(url, ca, 1);
  const one = async () => {
    const { status, ms } = await post();
    if (status === 0) throw new Error(`POST ${url} failed`);
    return ms;
  };
  try {
    for (let i = 0; i < 200; i++) await one(); // warm-up
    const times = [];
    for (let i = 0; i < count; i++) times.push(await one());
    const sorted = Float64Array.from(times).sort();
    return { p50Ms: round3(percentile(sorted, 50)), p99Ms: round3(percentile(sorted, 99)) };
  } finally {
    agent.destroy();
  }
}

/** Resident memory of a process, in MiB, from /proc (Linux); 0 once it is gone. */
export function rssMiB(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? +(Number(match[1]) / 1024).toFixed(1) : 0;
  } catch {
    return 0;
  }
}

/** The child processes of a process, of all its threads, from /proc (Linux). */
export function childrenOf(pid) {
  const children = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      children.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    }
  } catch {
    // Gone meanwhile.
  }
  return children;
}

/** CPU time (user + system, ms) of a process, and of its children processes unless `children` is false (nginx's worker), from /proc. */
export function cpuMs(pid, { children = true } = {}) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  let ms = (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  if (children) for (const child of childrenOf(pid)) ms += cpuMs(child);
  return ms;
}

/**
 * The pods among a `berth up`'s child processes whose node process's command line holds `marker`: per pod, the node
 * process's id and memory, and the memory of its whole process tree (a sandbox's bwrap processes too), in MiB.
 */
export function podMemory(berthPid, marker) {
  const treeOf = (pid) => [pid, ...childrenOf(pid).flatMap(treeOf)];
  const cmdline = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      return [];
    }
  };
  const pods = [];
  for (const child of childrenOf(berthPid)) {
    const tree = treeOf(child);
    const node = tree.find((pid) => /(^|\/)node$/.test(cmdline(pid)[0] ?? '') && cmdline(pid).some((arg) => arg.includes(marker)));
    if (node === undefined) continue;
    pods.push({ nodePid: node, nodeRssMiB: rssMiB(node), treeRssMiB: +tree.reduce((sum, pid) => sum + rssMiB(pid), 0).toFixed(1), processes: tree.length });
  }
  return pods;
}

/** A cluster's Kubernetes API with a bearer token: `call` resolves with the parsed answer, and throws on any status but 2xx. */
export function kubeOf({ server, token }, ca) {
  const dispatcher = new Agent({ connect: { ca }, connections: 16 });
  return {
    async call(method, path, body, contentType = 'application/json') {
      const res = await request(server + path, {
        method,
        dispatcher,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    close: () => dispatcher.close(),
  };
}

/** ARM calls on one `berth up`: groups, a workspace, managed clusters and computes, each awaited by polling its operation. */
export async function armOf(berth) {
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
    subscriptionId: sub,
    workspacePath,
    computePath,
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
