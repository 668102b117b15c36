import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTestBerth, testStores, type TestBerth } from '../../../test-support/berth.js';
import {
  AKS_API,
  clusterBody,
  clusterCredential,
  eventually,
  freePort,
  Kubectl,
  managedClusterPath,
  newClusterAsAdmin,
  listYaml,
  type ArmCall,
} from '../../../test-support/kube.js';
import { ARM_SCOPE, assign, createGroup, createPrincipal, tokenOf } from '../../../test-support/principals.js';

const AUTHZ = 'api-version=2022-04-01';
const RG_API = 'api-version=2021-04-01';

/** The secrets of Berth's home folder (see @berth/pki and @berth/server's home-folder.ts); `berth.db` on SQLite only. */
const HOME_SECRETS = ['token', 'ca-key.pem', 'server-key.pem', 'master.key', 'token-signing-key.pem', 'config.json', 'berth.db'];

/** A pod that serves `{who, uid}` on its port 8080 and prints the same once as a JSON line. */
const WITNESS = `import http from 'node:http';
const me = JSON.stringify({ who: process.env.WHO, uid: process.getuid() });
http.createServer((req, res) => res.end(me)).listen(8080);
console.log(me);`;

/**
 * The escape pod: tries everything issue 17 found a pod could do to get out, and prints what happened as one
 * `REPORT <json>` line (sizes and error codes only: nothing it might read is printed). Then it keeps serving on
 * its own address and holding its listeners, so the test can look at them from the machine.
 */
const ESCAPE = `import { readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

const plan = JSON.parse(process.env.PLAN);
const here = dirname(fileURLToPath(import.meta.url));
const failure = (err) => err.code ?? err.message;
const attempt = (fn) => { try { return { ok: true, ...fn() }; } catch (err) { return { ok: false, error: failure(err) }; } };
const read = (path) => attempt(() => ({ bytes: readFileSync(path).length }));
const list = (path) => attempt(() => ({ entries: readdirSync(path) }));
const write = (path) => attempt(() => writeFileSync(path, 'escaped'));

/** Connects, sends, and counts what comes back before the connection closes (3 s at most). */
const probe = (connect, send) => new Promise((resolve) => {
  let bytes = 0;
  let settled = false;
  const socket = connect();
  const done = (error) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    resolve({ bytes, ...(error ? { error } : {}) });
  };
  const timer = setTimeout(() => done('no answer'), 3000);
  socket.on('connect', () => send.length && socket.write(send));
  socket.on('data', (chunk) => { bytes += chunk.length; done(); });
  socket.on('close', () => done());
  socket.on('error', (err) => done(failure(err)));
});
const bytesOf = (b64) => Buffer.from(b64 ?? '', 'base64');
const tcp = (t) => probe(() => net.connect({ host: t.host, port: t.port }), bytesOf(t.send));
/** The pod's bridge spoken to directly, as a process without the preload module could. */
const raw = (t) => probe(() => net.connect({ path: process.env.BERTH_POD_BRIDGE }), Buffer.concat([Buffer.from('CONNECT ' + t.host + ' ' + t.port + '\\n'), bytesOf(t.send)]));
const each = async (targets, fn) => Object.fromEntries(await Promise.all(targets.map(async (t) => [t.name, await fn(t)])));

const ca = attempt(() => ({ pem: readFileSync(join(process.env.SA_DIR, 'ca.crt')) })).pem;
const saToken = attempt(() => ({ token: readFileSync(join(process.env.SA_DIR, 'token'), 'utf8').trim() })).token;
const server = /server: (\\S+)/.exec(readFileSync(process.env.KUBECONFIG, 'utf8'))[1];

/** An HTTPS call: its status and error code (ARM's error.code, OAuth's error, Kubernetes' reason), never its body. */
const call = (url, { method = 'GET', token, body, type = 'application/json' } = {}) => new Promise((resolve) => {
  const headers = { ...(token ? { authorization: 'Bearer ' + token } : {}), ...(body ? { 'content-type': type } : {}) };
  const req = https.request(url, { method, ca, headers, timeout: 5000 }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (text += c));
    res.on('end', () => {
      let code;
      try {
        const answer = JSON.parse(text);
        code = answer.error?.code ?? answer.error ?? answer.reason;
      } catch {}
      resolve({ status: res.statusCode, code });
    });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (err) => resolve({ error: failure(err) }));
  req.end(body);
});
const signIn = (clientId, secret) =>
  call(plan.frontDoor + '/adfs/oauth2/token', {
    method: 'POST',
    type: 'application/x-www-form-urlencoded',
    body: new URLSearchParams({ client_id: clientId, client_secret: secret, grant_type: 'client_credentials', scope: plan.armScope }).toString(),
  });

const listenOn = (port, host) => new Promise((resolve) => {
  const s = net.createServer((c) => c.on('error', () => c.destroy()).end('the escape pod answers\\n'));
  s.once('error', (err) => resolve({ ok: false, error: failure(err) }));
  s.listen(port, host, () => resolve({ ok: true, address: s.address().address }));
});

http.createServer((req, res) => res.end('the escape pod answers')).listen(8080);

const report = { uid: process.getuid(), gid: process.getgid() };
report.homeFiles = Object.fromEntries(plan.homeFiles.map((f) => [f, read(join(plan.home, f))]));
report.homeListing = list(plan.home);
report.berthProcess = { cmdline: read('/proc/' + plan.berthPid + '/cmdline'), environ: read('/proc/' + plan.berthPid + '/environ') };
report.sandboxInitEnviron = read('/proc/1/environ');
report.signalBerth = attempt(() => process.kill(plan.berthPid, 0));
report.processes = readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).map((pid) => ({
  pid: Number(pid),
  cmdline: attempt(() => ({ text: readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').join(' ').trim() })).text ?? '',
}));
report.otherFolders = Object.fromEntries(plan.otherFolders.map((p) => [p, list(p)]));
report.otherFiles = Object.fromEntries(plan.otherFiles.map((p) => [p, read(p)]));
report.root = list('/');
report.writes = Object.fromEntries(plan.writes.map((p) => [p, write(p)]));
report.shell = spawnSync('/bin/sh', ['-c', 'id']).error?.code ?? 'ran';
report.env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/TOKEN|PLAN/.test(k)));

report.closed = await each(plan.closed, tcp);
report.closedRaw = await each(plan.closed, raw);
report.open = await each(plan.open, tcp);
report.openRaw = await each(plan.open, raw);

report.frontDoor = {
  noToken: await call(plan.frontDoor + '/subscriptions?api-version=2020-01-01'),
  madeUpToken: await call(plan.frontDoor + '/subscriptions?api-version=2020-01-01', { token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.' }),
  serviceAccountToken: await call(plan.frontDoor + '/subscriptions?api-version=2020-01-01', { token: saToken }),
  mintWithServiceAccountToken: await call(plan.frontDoor + '/berth/tokens', {
    method: 'POST',
    token: saToken,
    body: JSON.stringify({ role: 'Owner', subscription: plan.subscriptionId }),
  }),
  mintWithoutToken: await call(plan.frontDoor + '/berth/tokens', { method: 'POST', body: JSON.stringify({ role: 'Owner', subscription: plan.subscriptionId }) }),
  guessedSecret: await signIn(plan.appId, 'hunter2'),
  unknownClient: await signIn(plan.madeUpClientId, 'hunter2'),
  otherClusterApi: await call(plan.otherClusterServer + '/api', { token: saToken }),
  otherClusterCredential: await call(plan.frontDoor + plan.otherClusterCredentialPath, { method: 'POST', token: saToken }),
};

report.child = await new Promise((resolve) => {
  const child = spawn(process.execPath, [join(here, 'child.mjs')], { env: { PATH: process.env.PATH, PLAN: process.env.PLAN, MARKER_FILE: process.env.MARKER_FILE } });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.on('error', (err) => resolve({ error: failure(err) }));
  child.on('close', (code) => resolve(attempt(() => ({ code, ...JSON.parse(out) }))));
});

// After the child: inside the pod's namespace, these would answer its connections.
report.listenOnOtherPodsAddress = await listenOn(plan.listenPort, plan.victimIp);
report.listenOnOtherPodsServedPort = await listenOn(8080, plan.victimIp);

// Issue 17's kubelet write: a link where the kubelet writes this volume's next version. See the test "the kubelet never follows".
report.link = attempt(() => symlinkSync(plan.kubeletTarget, join(here, 'main.mjs.tmp')));

report.control = {
  configMap: attempt(() => ({ text: readFileSync(process.env.MARKER_FILE, 'utf8') })),
  saToken: { ...read(join(process.env.SA_DIR, 'token')), jwt: /^[\\w-]+\\.[\\w-]+\\.[\\w-]+$/.test(saToken ?? '') },
  kubeconfig: read(process.env.KUBECONFIG),
  api: await call(server + '/api', { token: saToken }),
  version: await call(server + '/version', { token: saToken }),
};
console.log('REPORT ' + JSON.stringify(report));
`;

/** The escape pod's child: started without the network preload (no NODE_OPTIONS), it tries the machine's network directly. */
const CHILD = `import { readFileSync } from 'node:fs';
import net from 'node:net';
const plan = JSON.parse(process.env.PLAN);
const failure = (err) => err.code ?? err.message;
const connectTo = (host, port) => new Promise((resolve) => {
  const socket = net.connect({ host, port });
  const timer = setTimeout(() => { socket.destroy(); resolve('no answer'); }, 3000);
  socket.on('connect', () => { clearTimeout(timer); socket.destroy(); resolve('connected'); });
  socket.on('error', (err) => { clearTimeout(timer); resolve(failure(err)); });
});
const read = (path) => { try { return readFileSync(path, 'utf8'); } catch (err) { return { error: failure(err) }; } };
console.log(JSON.stringify({
  nodeOptions: process.env.NODE_OPTIONS ?? null,
  frontDoor: await connectTo(plan.frontDoorHost, plan.frontDoorPort),
  postgres: await connectTo('127.0.0.1', 5432),
  otherPod: await connectTo(plan.victimIp, 8080),
  neighbourPod: await connectTo(plan.neighbourIp, 8080),
  adminToken: read(plan.home + '/token').error ?? 'read',
  marker: read(process.env.MARKER_FILE),
}));`;

/** A ConfigMap of `files` and a pod (labelled app=<name>) of `node:20-alpine` running its `main.mjs`, mounted at /srv. */
function nodePod(name: string, files: Record<string, string>, env: Array<{ name: string; value: string }>): object[] {
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: files },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: name } },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: 'node:20-alpine',
            command: ['node', '/srv/main.mjs'],
            env,
            volumeMounts: [{ name: 'code', mountPath: '/srv' }],
          },
        ],
        volumes: [{ name: 'code', configMap: { name } }],
      },
    },
  ];
}

/** A LoadBalancer Service for the pod `name`: Berth serves it on a loopback port it publishes in an annotation. */
const serviceFor = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});

/** What a TCP connection from this machine gets back for `send` (until the server closes it), or why it failed. */
function hostProbe(host: string, port: number, send: Buffer): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let text = '';
    const done = (error?: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => done('no answer'), 3000);
    socket.on('connect', () => send.length && socket.write(send));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      // PostgreSQL answers an SSLRequest with one byte and then waits; the others close when they are done.
      if (/^[NS]$/.test(text)) done();
    });
    socket.on('close', () => done());
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** PostgreSQL's SSLRequest: a server answers it with one byte (N or S). */
const PG_SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);
const HTTP_GET = Buffer.from('GET / HTTP/1.0\r\n\r\n');

interface Probe {
  bytes: number;
  error?: string;
}
interface Attempt {
  ok: boolean;
  error?: string;
  entries?: string[];
  bytes?: number;
}
interface Call {
  status?: number;
  code?: string;
  error?: string;
}

/**
 * Issue 17's escape pod, acceptance test of item 1: a service principal that is Contributor on one resource group
 * creates a managed cluster there through ARM, takes its admin kubeconfig and runs a `node:20-alpine` pod that
 * tries every way out found in the red-team pass. Every read of Berth's home folder, of /proc of `berth up` and of
 * other pods' folders fails, no connection leaves the pod's policy, no Berth token is minted or used, and nothing
 * changes in ARM; controls show the same pod reads its own volume and token and calls its cluster's API.
 */
describe.each(testStores())('an escape pod of a Contributor on one resource group, on %s', (store) => {
  let berth: TestBerth;
  let sub: string;
  let admin: Kubectl;
  let principal: Kubectl;
  let appId: string;
  /** A server on the machine's loopback that greets whoever connects: reachable from the machine, never from the pod. */
  let banner: net.Server;
  let bannerPort: number;
  /** The admin's cluster's pod (another cluster's) and the principal's second pod (another pod of the same cluster). */
  const pods: Record<'victim' | 'neighbour' | 'escape', { ip: string; dir: string; uid: string }> = {} as never;
  let servicePorts: Record<'victim' | 'neighbour', number>;
  let armBefore: unknown;
  let report: any;
  let listenPort: number;
  let kubeletTarget: string;

  const victimClusterPath = () => managedClusterPath(sub, 'victims-rg', 'victim');

  /** A pod's folder on this machine: `<home>/workloads/<berth pid>/<cluster id>/<namespace>_<name>_<uid>`. */
  function podFolder(uid: string): string {
    const root = join(berth.home, 'workloads', String(process.pid));
    for (const cluster of readdirSync(root)) {
      const found = existsSync(join(root, cluster)) && readdirSync(join(root, cluster)).find((entry) => entry.endsWith(`_${uid}`));
      if (found) return join(root, cluster, found);
    }
    throw new Error(`no folder for pod ${uid} under ${root}`);
  }

  async function runningPod(kubectl: Kubectl, name: string): Promise<{ ip: string; dir: string; uid: string }> {
    const pod = await eventually(`pod ${name} running`, async () => {
      const res = await kubectl.run(['get', 'pod', name, '-o', 'json']);
      const p = res.code === 0 ? JSON.parse(res.stdout) : undefined;
      return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    });
    return { ip: pod.status.podIP, uid: pod.metadata.uid, dir: podFolder(pod.metadata.uid) };
  }

  async function localPort(kubectl: Kubectl, service: string): Promise<number> {
    const url = await eventually(`service ${service} served`, async () => {
      const res = await kubectl.run(['get', 'service', service, '-o', 'json']);
      return res.code === 0 ? (JSON.parse(res.stdout).metadata.annotations?.['berth.dev/local-endpoints'] as string | undefined) : undefined;
    });
    return Number(new URL(url.split(',')[0]).port);
  }

  async function logLine(kubectl: Kubectl, pod: string, prefix: string, timeoutMs = 10_000): Promise<string> {
    let last = '';
    try {
      return await eventually(
        `a log line of ${pod} starting with ${JSON.stringify(prefix)}`,
        async () => {
          const res = await kubectl.run(['logs', pod]);
          last = res.stdout + res.stderr;
          return res.stdout.split('\n').find((line) => line.startsWith(prefix));
        },
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; its log: ${last}`);
    }
  }

  /** ARM as the admin sees it: subscriptions, groups, role assignments, principals, Berth tokens, clusters. */
  async function armState(): Promise<unknown> {
    const state: Record<string, unknown> = {};
    for (const path of [
      '/subscriptions?api-version=2020-01-01',
      `/subscriptions/${sub}/resourcegroups?${RG_API}`,
      `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ}`,
      '/berth/servicePrincipals',
      '/berth/tokens',
      `/subscriptions/${sub}/resourceGroups/victims-rg/providers/Microsoft.ContainerService/managedClusters?${AKS_API}`,
      `/subscriptions/${sub}/resourceGroups/team-rg/providers/Microsoft.ContainerService/managedClusters?${AKS_API}`,
    ]) {
      const res = await berth.request('GET', path);
      expect(res.status, `${path}: ${res.text}`).toBe(200);
      state[path] = res.body;
    }
    return state;
  }

  beforeAll(async () => {
    berth = await startTestBerth({ store, provisioningDelayMs: 0, runWorkloads: true });
    sub = berth.subscriptionId;
    banner = net.createServer((socket) => socket.end('hello from the machine\n'));
    await new Promise<void>((resolve) => banner.listen(0, '127.0.0.1', resolve));
    bannerPort = (banner.address() as net.AddressInfo).port;

    // The admin's cluster in another group, with a running pod whose files and token the escape pod goes after.
    ({ kubectl: admin } = await newClusterAsAdmin(berth, 'victims-rg', 'victim'));
    await admin.ok(['apply', '-f', '-'], listYaml([...nodePod('victim', { 'main.mjs': WITNESS }, [{ name: 'WHO', value: 'victim' }]), serviceFor('victim')]));

    // A principal that is Contributor on team-rg only.
    const group = await createGroup(berth, 'team-rg');
    const sp = await createPrincipal(berth, 'escapee');
    appId = sp.appId;
    await assign(berth, sp, 'Contributor', group);
    const token = await tokenOf(berth, sp);
    const asPrincipal: ArmCall = (method, path, o) => berth.request(method, path, { ...o, token });

    // The principal's own cluster, made and reached through ARM with its own token.
    const clusterPath = managedClusterPath(sub, 'team-rg', 'escape');
    await eventually('the role assignment to take effect', async () =>
      (await asPrincipal('GET', `/subscriptions/${sub}/resourcegroups/team-rg?${RG_API}`)).status === 200 ? true : undefined,
    );
    const put = await asPrincipal('PUT', clusterPath, { body: clusterBody({ count: 1 }) });
    expect(put.status, put.text).toBe(201);
    // Its operation's status lives at subscription scope, where the principal has no role (403): it follows the cluster itself.
    await eventually('the cluster provisioned', async () => {
      const state = (await asPrincipal('GET', clusterPath)).body?.properties?.provisioningState;
      if (state === 'Failed') throw new Error('the cluster failed to provision');
      return state === 'Succeeded' ? true : undefined;
    });
    principal = await Kubectl.create(await clusterCredential(asPrincipal, clusterPath, 'admin'));
    await principal.ok(
      ['apply', '-f', '-'],
      listYaml([...nodePod('neighbour', { 'main.mjs': WITNESS }, [{ name: 'WHO', value: 'neighbour' }]), serviceFor('neighbour')]),
    );

    [pods.victim, pods.neighbour] = await Promise.all([runningPod(admin, 'victim'), runningPod(principal, 'neighbour')]);
    servicePorts = { victim: await localPort(admin, 'victim'), neighbour: await localPort(principal, 'neighbour') };
    listenPort = await freePort();
    kubeletTarget = join(berth.home, 'written-by-the-kubelet');
    armBefore = await armState();

    const front = new URL(berth.url);
    const victimServer = (await clusterCredential((m, p, o) => berth.request(m, p, o), victimClusterPath(), 'admin')).match(/server: (\S+)/)![1];
    const homeFiles = HOME_SECRETS.filter((f) => existsSync(join(berth.home, f)));
    const plan = {
      home: berth.home,
      homeFiles,
      berthPid: process.pid,
      frontDoor: berth.url,
      frontDoorHost: front.hostname,
      frontDoorPort: Number(front.port),
      subscriptionId: sub,
      armScope: ARM_SCOPE,
      appId,
      madeUpClientId: randomUUID(),
      otherClusterServer: victimServer,
      otherClusterCredentialPath: victimClusterPath().replace('?', '/listClusterAdminCredential?'),
      victimIp: pods.victim.ip,
      neighbourIp: pods.neighbour.ip,
      listenPort,
      kubeletTarget,
      otherFolders: [
        pods.victim.dir,
        pods.neighbour.dir,
        join(pods.victim.dir, '..'),
        join(berth.home, 'workloads', String(process.pid)),
        join(berth.home, 'workloads', String(process.pid), 'net'),
      ],
      otherFiles: [
        join(pods.victim.dir, 'serviceaccount', 'token'),
        join(pods.victim.dir, 'kube', 'config'),
        join(pods.victim.dir, 'volumes', 'code', 'main.mjs'),
        join(pods.neighbour.dir, 'serviceaccount', 'token'),
        join(pods.neighbour.dir, 'kube', 'config'),
      ],
      writes: [join(berth.home, 'escaped'), join(pods.victim.dir, 'home', 'escaped'), join(pods.neighbour.dir, 'home', 'escaped')],
      closed: [
        { name: 'postgres', host: '127.0.0.1', port: 5432, send: PG_SSL_REQUEST.toString('base64') },
        { name: 'redis', host: '127.0.0.1', port: 6379, send: Buffer.from('PING\r\n').toString('base64') },
        { name: 'ssh', host: '127.0.0.1', port: 22 },
        { name: 'machine banner', host: '127.0.0.1', port: bannerPort },
        { name: "another cluster's pod", host: pods.victim.ip, port: 8080, send: HTTP_GET.toString('base64') },
        { name: "another cluster's pod, unserved port", host: pods.victim.ip, port: listenPort },
        { name: "another cluster's Service", host: '127.0.0.1', port: servicePorts.victim, send: HTTP_GET.toString('base64') },
        { name: "Berth's port on another loopback address", host: '127.0.0.2', port: Number(front.port), send: HTTP_GET.toString('base64') },
      ],
      open: [
        { name: "its cluster's other pod", host: pods.neighbour.ip, port: 8080, send: HTTP_GET.toString('base64') },
        { name: "its cluster's Service", host: '127.0.0.1', port: servicePorts.neighbour, send: HTTP_GET.toString('base64') },
      ],
    };
    await principal.ok(
      ['apply', '-f', '-'],
      listYaml(
        nodePod('escape', { 'main.mjs': ESCAPE, 'child.mjs': CHILD, 'marker.txt': 'own volume' }, [
          { name: 'PLAN', value: JSON.stringify(plan) },
          { name: 'MARKER_FILE', value: '/srv/marker.txt' },
          { name: 'SA_DIR', value: '/var/run/secrets/kubernetes.io/serviceaccount' },
        ]),
      ),
    );
    pods.escape = await runningPod(principal, 'escape');
    report = JSON.parse((await logLine(principal, 'escape', 'REPORT ', 30_000)).slice('REPORT '.length));
  });
  afterAll(async () => {
    await admin?.close();
    await principal?.close();
    await berth?.close();
    await new Promise((resolve) => banner?.close(resolve));
  });

  it("reads nothing of Berth's home folder, of berth up's /proc, nor of other pods' folders, and writes nothing there", async () => {
    // The attack is real: every target exists on this machine.
    expect(report.homeFiles).toHaveProperty('token');
    expect(Object.keys(report.homeFiles)).toEqual(expect.arrayContaining(['ca-key.pem', 'master.key', 'token-signing-key.pem']));
    if (store === 'sqlite') expect(Object.keys(report.homeFiles)).toContain('berth.db');
    for (const [file, result] of Object.entries<Attempt>(report.homeFiles)) expect(result, `read <home>/${file}`).toMatchObject({ ok: false });
    // bwrap makes the folders leading to the pod's own mounts: the home folder shows only the way to them.
    expect(report.homeListing.entries ?? []).toEqual(report.homeListing.ok ? ['workloads'] : []);

    expect(existsSync(`/proc/${process.pid}/environ`)).toBe(true);
    expect(report.berthProcess.cmdline).toMatchObject({ ok: false, error: 'ENOENT' });
    expect(report.berthProcess.environ).toMatchObject({ ok: false, error: 'ENOENT' });
    expect(report.sandboxInitEnviron, "the sandbox's init (bwrap, root) is not the pod's to read").toMatchObject({ ok: false });
    expect(report.signalBerth).toEqual({ ok: false, error: 'ESRCH' });
    // Its PID namespace holds only the sandbox: bwrap and the pod's own node.
    const pids = (report.processes as Array<{ pid: number; cmdline: string }>).map((p) => p.pid);
    expect(pids).not.toContain(process.pid);
    for (const p of report.processes as Array<{ pid: number; cmdline: string }>) {
      expect(p.cmdline, `process ${p.pid}`).toMatch(/bwrap|volumes\/code\/main\.mjs/);
      expect(p.cmdline).not.toMatch(/vitest|WHO|victim|neighbour/);
    }

    for (const path of [...Object.keys(report.otherFolders), ...Object.keys(report.otherFiles)]) expect(existsSync(path), path).toBe(true);
    for (const [path, result] of Object.entries<Attempt>(report.otherFolders)) {
      // The folder that holds its own pod folder is made by bwrap and shows only that.
      if (result.ok) expect(result.entries, path).toEqual([pods.escape.dir.slice(path.length + 1).split('/')[0]]);
    }
    expect(report.otherFolders[pods.victim.dir]).toMatchObject({ ok: false });
    expect(report.otherFolders[pods.neighbour.dir]).toMatchObject({ ok: false });
    expect(report.otherFolders[join(pods.victim.dir, '..')]).toMatchObject({ ok: false });
    for (const [path, result] of Object.entries<Attempt>(report.otherFiles)) expect(result, path).toMatchObject({ ok: false });

    for (const [path, result] of Object.entries<Attempt>(report.writes)) {
      expect(result, path).toMatchObject({ ok: false });
      expect(existsSync(path), path).toBe(false);
    }

    // Only the runtime node needs: none of the machine's own folders, no shell.
    const hostOnly = ['root', 'work', 'var', 'boot', 'home', 'opt', 'srv', 'mnt', 'sys', 'sbin'].filter((d) => existsSync(`/${d}`));
    expect(hostOnly.length).toBeGreaterThan(0);
    for (const d of hostOnly) expect(report.root.entries, `/${d}`).not.toContain(d);
    expect(report.shell).toBe('ENOENT');
    // Nothing of Berth's environment but PATH, which running node needs.
    const inherited = Object.entries<string>(report.env).filter(([k, v]) => k !== 'PATH' && process.env[k] === v);
    expect(inherited).toEqual([]);
  });

  it('runs as its own user, not root', () => {
    expect(report.uid).not.toBe(0);
    expect(report.uid).not.toBe(process.getuid?.());
    expect(report.gid).not.toBe(0);
  });

  it("connects only where its policy allows: its cluster's pods, Services and API", async () => {
    // The attack is real: from the machine, these answer.
    expect((await hostProbe('127.0.0.1', bannerPort, Buffer.alloc(0))).text).toBe('hello from the machine\n');
    expect((await hostProbe(pods.victim.ip, 8080, HTTP_GET)).text).toMatch(/"who":"victim"/);
    expect((await hostProbe('127.0.0.1', servicePorts.victim, HTTP_GET)).text).toMatch(/"who":"victim"/);
    if (process.env.BERTH_TEST_PG) expect((await hostProbe('127.0.0.1', 5432, PG_SSL_REQUEST)).text).toMatch(/^[NS]$/);

    for (const [name, result] of Object.entries<Probe>(report.closed)) expect(result, `${name} through the preload`).toMatchObject({ bytes: 0 });
    for (const [name, result] of Object.entries<Probe>(report.closedRaw)) expect(result, `${name} through the bridge itself`).toMatchObject({ bytes: 0 });
    // Controls: the same pod reaches what its policy allows, both ways.
    for (const [name, result] of Object.entries<Probe>(report.open)) expect(result.bytes, `${name}: ${JSON.stringify(result)}`).toBeGreaterThan(0);
    for (const [name, result] of Object.entries<Probe>(report.openRaw)) expect(result.bytes, `${name}: ${JSON.stringify(result)}`).toBeGreaterThan(0);

    // A child without the preload has only its namespace's own loopback: nothing answers there.
    expect(report.child).toMatchObject({ ok: true, code: 0, nodeOptions: null, marker: 'own volume', adminToken: 'ENOENT' });
    for (const target of ['frontDoor', 'postgres', 'otherPod', 'neighbourPod']) expect(report.child[target], target).toBe('ECONNREFUSED');
  });

  it('mints and uses no Berth token: the front door refuses it everything but its own cluster', () => {
    const fd = report.frontDoor as Record<string, Call>;
    for (const name of ['noToken', 'madeUpToken', 'serviceAccountToken', 'mintWithServiceAccountToken', 'mintWithoutToken', 'otherClusterCredential']) {
      expect(fd[name], name).toMatchObject({ status: 401 });
      expect(fd[name].code, name).toEqual(expect.any(String));
    }
    expect(fd.guessedSecret).toEqual({ status: 401, code: 'invalid_client' });
    expect(fd.unknownClient).toEqual({ status: 401, code: 'invalid_client' });
    expect(fd.otherClusterApi).toEqual({ status: 401, code: 'Unauthorized' });
    // Control: its own cluster's API takes its token.
    expect(report.control.api).toMatchObject({ status: 200 });
    expect(report.control.version).toMatchObject({ status: 200 });
  });

  it("listens on another pod's address only inside its own namespace: from the machine, that address never reaches it", async () => {
    expect(report.listenOnOtherPodsAddress).toMatchObject({ ok: true });
    expect(report.listenOnOtherPodsServedPort).toMatchObject({ ok: true });
    expect((await hostProbe(pods.victim.ip, listenPort, Buffer.alloc(0))).error).toBe('ECONNREFUSED');
    expect((await hostProbe(pods.victim.ip, 8080, HTTP_GET)).text).toMatch(/"who":"victim"/);
    // Control: it answers on its own address.
    const own = await request(`http://${pods.escape.ip}:8080/`, { headersTimeout: 5000, bodyTimeout: 5000 });
    expect(await own.body.text()).toBe('the escape pod answers');
  });

  it('reads its own volume, token and kubeconfig (the controls of the refusals above)', () => {
    expect(report.control.configMap).toEqual({ ok: true, text: 'own volume' });
    expect(report.control.saToken).toMatchObject({ ok: true, jwt: true });
    expect(report.control.kubeconfig).toMatchObject({ ok: true });
  });

  it('changes nothing in ARM', async () => {
    expect(await armState()).toEqual(armBefore);
  });

  it.skipIf(process.getuid?.() !== 0)("has its files owned by its own user, another than other clusters' pods' and its own cluster's other pods'", async () => {
    const victim = JSON.parse(await logLine(admin, 'victim', '{'));
    const neighbour = JSON.parse(await logLine(principal, 'neighbour', '{'));
    const uids = [report.uid, victim.uid, neighbour.uid];
    expect(new Set(uids).size).toBe(3);
    for (const uid of uids) expect(uid).not.toBe(0);
    expect(statSync(join(pods.escape.dir, 'volumes', 'code')).uid).toBe(report.uid);
    expect(statSync(join(pods.victim.dir, 'volumes', 'code')).uid).toBe(victim.uid);
    expect(statSync(join(pods.neighbour.dir, 'volumes', 'code')).uid).toBe(neighbour.uid);
  });

  // At 46f5bc1 a ConfigMap volume was the pod's to write (mounted read-write, owned by its user), and the kubelet
  // writes a volume's next version through `<file>.tmp` with writeFile, which follows a link: the pod made
  // `main.mjs.tmp` a link to any path of the machine, and Berth (root) wrote the ConfigMap's content there.
  it("plants no link the kubelet follows when it refreshes the pod's volume: nothing is written outside the pod's folder", async () => {
    expect(existsSync(kubeletTarget)).toBe(false);
    await principal.ok(
      ['apply', '-f', '-'],
      listYaml([nodePod('escape', { 'main.mjs': ESCAPE, 'child.mjs': CHILD, 'marker.txt': 'own volume', 'refresh.txt': 'new' }, [])[0]]),
    );
    // Control: the kubelet did refresh the volume.
    await eventually('the volume refreshed', async () => (existsSync(join(pods.escape.dir, 'volumes', 'code', 'refresh.txt')) ? true : undefined));
    expect(existsSync(kubeletTarget), `${kubeletTarget} written through the link the pod made (${JSON.stringify(report.link)})`).toBe(false);
  });
});
