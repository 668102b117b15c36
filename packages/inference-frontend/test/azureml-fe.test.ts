import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, type KeyPairPem } from '@berth/pki';
import { frontEndBundlePath, readFrontEndBundle } from '@berth/inference-frontend';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import {
  clusterBody,
  clusterCredential,
  eventually,
  freePort,
  kubeApi,
  managedClusterPath,
  putManagedCluster,
  type ArmCall,
} from '../../../test-support/kube.js';

// The bundled router (dist/azureml-fe.mjs, as shipped) run as a child process against a real Berth's local
// cloud: it discovers scoring services from the cluster's Kubernetes API. Services here have no selector and
// user-managed EndpointSlices pointing at echo servers this test runs on 127.0.0.1.

const BUNDLE = fileURLToPath(new URL('../dist/azureml-fe.mjs', import.meta.url));
const RG_API = 'api-version=2021-04-01';
const NS = 'scoring';
const MERGE = { 'content-type': 'application/merge-patch+json' };

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: any;
}

/** One HTTP call to 127.0.0.1:port on a fresh connection. */
function call(port: number, method: string, path: string, o: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: o.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: any;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path} took over 15 s`)));
    req.end(o.body);
  });
}

/** An upstream: answers JSON with what it received; `/slow?ms=N` waits first. */
async function startEcho(id: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      const ms = Number(new URL(req.url!, 'http://x').searchParams.get('ms') ?? 0);
      const answer = () => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-echo', id);
        res.end(JSON.stringify({ id, method: req.method, url: req.url, bytes, headers: req.headers }));
      };
      if (req.url!.startsWith('/slow')) setTimeout(answer, ms);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** A TCP relay to Berth's port (TLS passes through untouched) whose connections the test can cut, and refuse for a while. */
async function startTcpRelay(targetPort: number) {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createTcpServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    /** Cuts every open connection; `refuse` keeps cutting new ones until called again with false. */
    cut(refuse: boolean) {
      refusing = refuse;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Router {
  child: ChildProcess;
  httpPort: number;
  httpsPort: number;
  stdout(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

async function startRouter(env: Record<string, string>, bundle = BUNDLE): Promise<Router> {
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', HTTP_PORT: String(httpPort), HTTPS_PORT: String(httpsPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await eventually(
    'the router to be ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`the router exited with ${child.exitCode}: ${err}${out}`);
      const ready = await call(httpPort, 'GET', '/readyz').catch(() => undefined);
      return ready?.status === 200 ? true : undefined;
    },
    15_000,
  );
  return {
    child,
    httpPort,
    httpsPort,
    stdout: () => out,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('the azureml-fe bundle', () => {
  it('is one file small enough for a ConfigMap, found through the package, that runs on its own', async () => {
    expect(frontEndBundlePath()).toBe(BUNDLE);
    const text = await readFrontEndBundle();
    expect(Buffer.byteLength(text)).toBeLessThan(900 * 1024);
    // Alone in a folder, with no node_modules to find anything in, as in the ConfigMap mounted at /app.
    const alone = await mkdtemp(join(tmpdir(), 'berth-fe-alone-'));
    try {
      await writeFile(join(alone, 'azureml-fe.mjs'), text);
      const router = await startRouter({ STATIC_ROUTES: '{"none":[]}' }, join(alone, 'azureml-fe.mjs'));
      expect((await call(router.httpPort, 'GET', '/api/v1/service/none/x')).status).toBe(503);
      await router.stop();
    } finally {
      await rm(alone, { recursive: true, force: true });
    }
  });
});

describe('azureml-fe, the scoring router', () => {
  let berth: TestBerth;
  let api: ReturnType<typeof kubeApi>;
  let dir: string;
  let kubeconfigPath: string;
  let kubeconfig: string;
  let echoA: Awaited<ReturnType<typeof startEcho>>;
  let echoB: Awaited<ReturnType<typeof startEcho>>;
  let router: Router;
  let certs: { ca1: string; ca2: string; leaf1: KeyPairPem; leaf2: KeyPairPem; leaf3: KeyPairPem };
  const call_: ArmCall = (method, p, o) => berth.request(method, p, o);

  async function ok(method: string, path: string, body: unknown, headers?: Record<string, string>): Promise<any> {
    const res = await api(method, path, { body, headers });
    expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(300);
    return res.body;
  }

  /** A selector-less Service labelled as scoring service `name`, and one EndpointSlice per port in `slices`. */
  async function scoringService(name: string, slices: { port: number; ready?: boolean }[], annotations: Record<string, string> = {}): Promise<void> {
    await ok('POST', `/api/v1/namespaces/${NS}/services`, {
      metadata: { name: `${name}-svc`, labels: { 'berth.dev/scoring-service': name }, annotations },
      spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    for (const [i, s] of slices.entries())
      await ok('POST', `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, slice(`${name}-svc-${i}`, `${name}-svc`, s));
  }

  function slice(sliceName: string, service: string, s: { port: number; ready?: boolean }) {
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: sliceName, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: s.port, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: s.ready ?? true } }],
    };
  }

  async function writeSecretVersion(version: string, pair: KeyPairPem): Promise<void> {
    await mkdir(join(dir, 'tls', version), { recursive: true });
    await writeFile(join(dir, 'tls', version, 'tls.crt'), pair.certPem);
    await writeFile(join(dir, 'tls', version, 'tls.key'), pair.keyPem);
  }

  beforeAll(async () => {
    berth = await startTestBerth({ provisioningDelayMs: 0 });
    const sub = berth.subscriptionId;
    expect((await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/fe-rg?${RG_API}`, { body: { location: 'westus' } })).status).toBe(201);
    const clusterPath = managedClusterPath(sub, 'fe-rg', 'fe-aks');
    expect((await putManagedCluster(call_, clusterPath, clusterBody({ count: 1 }))).operation.status).toBe('Succeeded');
    kubeconfig = await clusterCredential(call_, clusterPath, 'admin');
    api = kubeApi(kubeconfig);
    dir = await mkdtemp(join(tmpdir(), 'berth-fe-'));
    kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
    await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });

    echoA = await startEcho('a');
    echoB = await startEcho('b');
    const deadPort = await freePort();
    await scoringService('echo', [{ port: echoA.port }]);
    await scoringService('empty', [{ port: echoA.port, ready: false }]);
    await scoringService('slow', [{ port: echoA.port }], { 'berth.dev/request-timeout-ms': '300' });
    await scoringService('tiny', [{ port: echoA.port }], { 'berth.dev/max-concurrent-requests': '1', 'berth.dev/max-queued-requests': '1' });
    await scoringService('retry', [{ port: deadPort }, { port: echoA.port }]);
    await scoringService('live', [{ port: echoA.port }]);
    await ok('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'secured-keys' },
      data: { primaryKey: Buffer.from('key-one').toString('base64'), secondaryKey: Buffer.from('key-two').toString('base64') },
    });
    await scoringService('secured', [{ port: echoA.port }], { 'berth.dev/auth-secret': 'secured-keys' });

    const ca1 = await loadOrCreateCa(join(dir, 'ca1'));
    const ca2 = await loadOrCreateCa(join(dir, 'ca2'));
    const names = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
    certs = {
      ca1: ca1.certPem,
      ca2: ca2.certPem,
      leaf1: await ca1.issue({ commonName: 'fe-one', ...names }),
      leaf2: await ca2.issue({ commonName: 'fe-two', ...names }),
      leaf3: await ca1.issue({ commonName: 'fe-three', ...names }),
    };
    // Laid out as the kubelet mounts a Secret: tls.crt -> ..data/tls.crt, ..data -> ..v1 (swapped atomically on update).
    await writeSecretVersion('..v1', certs.leaf1);
    await symlink('..v1', join(dir, 'tls', '..data'));
    await symlink('..data/tls.crt', join(dir, 'tls', 'tls.crt'));
    await symlink('..data/tls.key', join(dir, 'tls', 'tls.key'));

    router = await startRouter({
      KUBECONFIG: kubeconfigPath,
      TLS_ENABLED: 'true',
      TLS_CERT_FILE: join(dir, 'tls', 'tls.crt'),
      TLS_KEY_FILE: join(dir, 'tls', 'tls.key'),
      TLS_RELOAD_INTERVAL_MS: '200',
      AUTH_REFRESH_MS: '500',
    });
  }, 90_000);

  afterAll(async () => {
    await router?.stop();
    await Promise.all([echoA, echoB].map((e) => e && new Promise((r) => e.server.close(r))));
    await berth?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('routes /api/v1/service/<name>/<path> to an endpoint as /<path>, query kept, with X-Forwarded headers', async () => {
    const res = await call(router.httpPort, 'POST', '/api/v1/service/echo/score?verbose=1', {
      body: '{"data":[1,2]}',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.1.2.3', connection: 'keep-alive, x-hop', 'x-hop': 'secret' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: 'a', method: 'POST', url: '/score?verbose=1', bytes: 14 });
    expect(res.body.headers).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': `127.0.0.1:${router.httpPort}`,
    });
    expect(res.body.headers['x-hop']).toBeUndefined();
    expect(res.headers['x-echo']).toBe('a');
    expect((await call(router.httpPort, 'GET', '/api/v1/service/echo')).body.url).toBe('/');
  });

  it('drops the X-Forwarded-*, Forwarded and X-Real-IP a client sends: the scoring service sees only the router’s', async () => {
    const forged = {
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'bank.example.com',
      'x-forwarded-port': '443',
      'x-forwarded-prefix': '/admin',
      forwarded: 'for=10.1.2.3;proto=https;host=bank.example.com',
      'x-real-ip': '10.1.2.3',
    };
    const own = { 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': `127.0.0.1:${router.httpPort}` };
    // The control: a request without them gets the router's three, the same as the forged one must.
    const plain = await call(router.httpPort, 'GET', '/api/v1/service/echo/score');
    expect(plain.body.headers).toMatchObject(own);
    const res = await call(router.httpPort, 'GET', '/api/v1/service/echo/score', { headers: { ...forged, 'x-custom': 'kept' } });
    expect(res.status, res.text).toBe(200);
    const seen = res.body.headers as Record<string, string>;
    expect(Object.fromEntries(Object.entries(seen).filter(([k]) => k.startsWith('x-forwarded-') || k === 'forwarded' || k === 'x-real-ip'))).toEqual(own);
    // Other headers still pass.
    expect(seen['x-custom']).toBe('kept');
    // Twice over, in one request: still only the router's.
    const twice = await call(router.httpPort, 'GET', '/api/v1/service/echo/score', {
      headers: { 'X-Forwarded-For': '10.9.9.9', 'X-FORWARDED-PROTO': 'https', 'x-forwarded-host': 'a.example, b.example' },
    });
    expect(twice.body.headers).toMatchObject(own);
  });

  it('answers 404 naming an unknown service', async () => {
    const res = await call(router.httpPort, 'GET', '/api/v1/service/nosuch/score');
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'ServiceNotFound', message: expect.stringContaining("'nosuch'") });
  });

  it('answers 503 with Retry-After when no endpoint is ready', async () => {
    const res = await call(router.httpPort, 'GET', '/api/v1/service/empty/score');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.error.code).toBe('NoReadyEndpoint');
  });

  it('answers 504 when the endpoint takes longer than the service timeout annotation', async () => {
    const started = Date.now();
    const res = await call(router.httpPort, 'GET', '/api/v1/service/slow/slow?ms=3000');
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('GatewayTimeout');
    expect(Date.now() - started).toBeLessThan(2500);
    expect((await call(router.httpPort, 'GET', '/api/v1/service/slow/slow?ms=10')).status).toBe(200);
  });

  it('queues past max-concurrent-requests and answers 503 once the queue is full', async () => {
    const answers = await Promise.all([0, 1, 2].map(() => call(router.httpPort, 'GET', '/api/v1/service/tiny/slow?ms=400')));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 503]);
    const refused = answers.find((a) => a.status === 503)!;
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.error.code).toBe('TooManyRequests');
  });

  it('answers 413 to a Content-Length above 100 MB without reading the body', async () => {
    const res = await new Promise<Reply>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: router.httpPort,
          method: 'POST',
          path: '/api/v1/service/echo/score',
          headers: { 'content-length': String(200 * 1024 * 1024) },
          agent: false,
        },
        (r) => {
          let text = '';
          r.on('data', (c) => (text += c));
          r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, text, body: JSON.parse(text) }));
        },
      );
      req.on('error', () => {});
      req.write(Buffer.alloc(1024));
      setTimeout(() => reject(new Error('no answer in 5 s')), 5000).unref();
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('RequestEntityTooLarge');
  });

  it('answers 413 to a chunked body once it passes 100 MB, streaming it meanwhile', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 120);
    let sent = 0;
    const res = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: router.httpPort, method: 'POST', path: '/api/v1/service/echo/upload', agent: false }, (r) => {
        let text = '';
        r.on('data', (c) => (text += c));
        r.on('end', () => resolve({ status: r.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', () => {});
      const pump = () => {
        while (sent < 110 * chunk.length && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
      setTimeout(() => reject(new Error(`no answer in 50 s (${sent} bytes sent)`)), 50_000).unref();
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('RequestEntityTooLarge');
    expect(sent).toBeGreaterThan(100 * 1024 * 1024);
  });

  it('needs a key from the auth Secret: 401 without one or with a wrong one, 200 with either key', async () => {
    const path = '/api/v1/service/secured/score';
    const none = await call(router.httpPort, 'GET', path);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('Unauthorized');
    expect((await call(router.httpPort, 'GET', path, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    await eventually('the key to be accepted', async () => {
      const res = await call(router.httpPort, 'GET', path, { headers: { authorization: 'Bearer key-one' } });
      return res.status === 200 ? true : undefined;
    });
    expect((await call(router.httpPort, 'GET', path, { headers: { authorization: 'Bearer key-two' } })).status).toBe(200);
  });

  it('follows EndpointSlice changes live', async () => {
    expect((await call(router.httpPort, 'GET', '/api/v1/service/live/x')).body.id).toBe('a');
    const res = await api('PATCH', `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices/live-svc-0`, {
      body: { ports: [{ name: 'http', port: echoB.port, protocol: 'TCP' }] },
      headers: MERGE,
    });
    expect(res.status, res.text).toBe(200);
    await eventually('requests to reach the new endpoint', async () =>
      (await call(router.httpPort, 'GET', '/api/v1/service/live/x')).body?.id === 'b' ? true : undefined,
    );
    await ok(
      'PATCH',
      `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices/live-svc-0`,
      { endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: false } }] },
      MERGE,
    );
    await eventually('the endpoint to leave', async () => ((await call(router.httpPort, 'GET', '/api/v1/service/live/x')).status === 503 ? true : undefined));
  });

  it('retries an idempotent request on another endpoint when one refuses connections', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await call(router.httpPort, 'GET', '/api/v1/service/retry/score');
      expect(res.status, res.text).toBe(200);
      expect(res.body.id).toBe('a');
    }
    const metrics = (await call(router.httpPort, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/azureml_fe_upstream_errors_total\{service="retry",reason="ECONNREFUSED"\} [1-9]/);
    // A POST is not: round robin sends one of two to the refusing endpoint, and that one is a 502.
    const posts = [
      await call(router.httpPort, 'POST', '/api/v1/service/retry/score', { body: 'x' }),
      await call(router.httpPort, 'POST', '/api/v1/service/retry/score', { body: 'x' }),
    ];
    expect(posts.map((p) => p.status).sort()).toEqual([200, 502]);
    expect(posts.find((p) => p.status === 502)!.body.error.code).toBe('BadGateway');
  });

  it('serves HTTPS with the given certificate and reloads it when the files change, keeping open connections', async () => {
    const ca = [certs.ca1, certs.ca2];
    const keepAlive = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca });
    const get = (agent: HttpsAgent | false) =>
      new Promise<{ status: number; cn: string; reused: boolean; body: any }>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: router.httpsPort,
            path: '/api/v1/service/echo/tls',
            agent,
            ...(agent ? {} : { ca }),
            headers: { 'x-forwarded-proto': 'http', 'x-forwarded-for': '10.1.2.3' },
          },
          (res) => {
            const cn = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, cn, reused: req.reusedSocket, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      const first = await get(keepAlive);
      expect(first).toMatchObject({ status: 200, cn: 'fe-one', reused: false });
      expect(first.body.headers).toMatchObject({
        'x-forwarded-proto': 'https',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-host': `127.0.0.1:${router.httpsPort}`,
      });
      // The kubelet's update: a new version folder, then ..data swapped to it by a rename.
      await writeSecretVersion('..v2', certs.leaf2);
      await symlink('..v2', join(dir, 'tls', '..data_tmp'));
      await rename(join(dir, 'tls', '..data_tmp'), join(dir, 'tls', '..data'));
      await eventually('a new connection to see the new certificate', async () => ((await get(false)).cn === 'fe-two' ? true : undefined));
      const again = await get(keepAlive);
      expect(again).toMatchObject({ status: 200, cn: 'fe-one', reused: true });
      // Written in place, the key first: for a moment the pair does not match, and the router keeps the current one.
      await writeFile(join(dir, 'tls', 'tls.key'), certs.leaf3.keyPem);
      await writeFile(join(dir, 'tls', 'tls.crt'), certs.leaf3.certPem);
      await eventually('a new connection to see the third certificate', async () => ((await get(false)).cn === 'fe-three' ? true : undefined));
      expect(await get(keepAlive)).toMatchObject({ status: 200, cn: 'fe-one', reused: true });
    } finally {
      keepAlive.destroy();
    }
  });

  it('exposes Prometheus metrics and writes an access log line per request', async () => {
    const res = await call(router.httpPort, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(/azureml_fe_requests_total\{service="echo",code="200"\} [1-9]/);
    expect(res.text).toMatch(/azureml_fe_requests_total\{service="slow",code="504"\} 1/);
    expect(res.text).toMatch(/azureml_fe_request_duration_seconds_bucket\{service="echo",le="\+Inf"\} [1-9]/);
    expect(res.text).toMatch(/azureml_fe_upstream_errors_total\{service="slow",reason="timeout"\} 1/);
    expect(res.text).toMatch(/azureml_fe_queue_depth\{service="tiny"\} 0/);
    const lines = router
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"type":"access"'))
      .map((l) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/api/v1/service/echo/score', service: 'echo', status: 200, upstream: `127.0.0.1:${echoA.port}` }),
    );
    expect(lines.every((l) => typeof l.durationMs === 'number' && typeof l.bytes === 'number' && typeof l.time === 'string')).toBe(true);
  });

  it('keeps serving through a lost Kubernetes API connection, and catches up once it is back', async () => {
    await scoringService('outage', [{ port: echoA.port }]);
    const relay = await startTcpRelay(Number(new URL(berth.url).port));
    const relayed = join(dir, 'kubeconfig-relayed');
    const berthPort = new URL(berth.url).port;
    expect(kubeconfig).toContain(`127.0.0.1:${berthPort}/clusters/`);
    await writeFile(relayed, kubeconfig.replaceAll(`127.0.0.1:${berthPort}/`, `127.0.0.1:${relay.port}/`), { mode: 0o600 });
    const viaRelay = await startRouter({ KUBECONFIG: relayed });
    try {
      expect((await call(viaRelay.httpPort, 'GET', '/api/v1/service/outage/x')).body.id).toBe('a');
      relay.cut(true);
      await ok(
        'PATCH',
        `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices/outage-svc-0`,
        { ports: [{ name: 'http', port: echoB.port, protocol: 'TCP' }] },
        MERGE,
      );
      await new Promise((r) => setTimeout(r, 500));
      // What it knew still serves, and it stays ready.
      expect((await call(viaRelay.httpPort, 'GET', '/api/v1/service/outage/x')).body.id).toBe('a');
      expect((await call(viaRelay.httpPort, 'GET', '/readyz')).status).toBe(200);
      relay.cut(false);
      await eventually(
        'the router to watch again and follow the change',
        async () => ((await call(viaRelay.httpPort, 'GET', '/api/v1/service/outage/x')).body?.id === 'b' ? true : undefined),
        15_000,
      );
    } finally {
      await viaRelay.stop();
      relay.cut(false);
      await relay.close();
    }
  });

  it('drains on SIGTERM: readiness fails at once, a request in flight completes, then it exits 0', async () => {
    const draining = await startRouter({ KUBECONFIG: kubeconfigPath, DRAIN_DELAY_MS: '500' });
    try {
      const inFlight = call(draining.httpPort, 'GET', '/api/v1/service/echo/slow?ms=1500');
      await new Promise((r) => setTimeout(r, 200));
      draining.child.kill('SIGTERM');
      await eventually('readiness to fail', async () => ((await call(draining.httpPort, 'GET', '/readyz')).status === 503 ? true : undefined), 2000);
      expect((await call(draining.httpPort, 'GET', '/healthz')).status).toBe(200);
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.body.url).toBe('/slow?ms=1500');
      expect(await draining.exited).toBe(0);
    } finally {
      await draining.stop();
    }
  });
});
