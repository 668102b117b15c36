import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { startTestBerth, waitForOperation, type TestBerth } from '../../../test-support/berth.js';
import { Kubectl } from '../../../test-support/kube.js';
import { kubectlFor, kubectlJson, mlClient, paths, POLL, setUpWorkspaces, throwawayCa, until, warnings } from './compute-fixtures.js';

const RG = 'fe-rg';
const WS = 'fe-ws';

/** An echo scoring service: a Deployment of node:20-alpine running a script from a ConfigMap, behind a Service labelled for the front end. */
function echoService(o: { annotations?: Record<string, string>; replicas?: number } = {}) {
  const script = `import http from 'node:http';
import https from 'node:https';
http.createServer((req, res) => {
  let bytes = 0;
  req.on('data', (c) => (bytes += c.length));
  req.on('end', () => {
    const wait = Number(new URL(req.url, 'http://x').searchParams.get('sleepMs') ?? 0);
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, method: req.method, bytes, pod: process.env.HOSTNAME }));
    }, wait);
  });
}).listen(8080);`;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'echo-app', namespace: 'default' }, data: { 'server.mjs': script } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'echo-keys', namespace: 'default' }, stringData: { primary: 'key-one', secondary: 'key-two' } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'echo', namespace: 'default' },
        spec: {
          replicas: o.replicas ?? 1,
          selector: { matchLabels: { app: 'echo' } },
          template: {
            metadata: { labels: { app: 'echo' } },
            spec: {
              containers: [
                {
                  name: 'echo',
                  image: 'node:20-alpine',
                  command: ['node', '/app/server.mjs'],
                  ports: [{ name: 'http', containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
                  volumeMounts: [{ name: 'app', mountPath: '/app' }],
                },
              ],
              volumes: [{ name: 'app', configMap: { name: 'echo-app' } }],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'echo', namespace: 'default', labels: { 'berth.dev/scoring-service': 'echo' }, annotations: o.annotations ?? {} },
        spec: { selector: { app: 'echo' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    ],
  });
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request to a local endpoint, on a fresh connection; `body` may be a stream. */
function send(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string | Readable; ca?: string; servername?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const options = { method: o.method ?? 'GET', headers: o.headers, agent: false as const, timeout: 20_000 };
    const req = (u.protocol === 'https:' ? https.request(u, { ...options, ca: o.ca, servername: o.servername }) : http.request(u, options)).on(
      'response',
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    if (o.body instanceof Readable) o.body.on('error', () => undefined).pipe(req);
    else req.end(o.body);
  });
}

/** The certificate a TLS server presents for `servername`, verified against `ca`. */
function presented(url: string, servername: string, ca: string): Promise<X509Certificate> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: u.hostname, port: Number(u.port), servername, ca }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (!cert) reject(new Error('no certificate'));
      else resolve(cert);
    });
    socket.on('error', reject);
  });
}

/** 100 MB and one byte, in 1 MB chunks, never held whole. */
function oversizedBody(): Readable {
  const chunk = Buffer.alloc(1024 * 1024, 97);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= 100) {
        this.push(Buffer.from('!'));
        this.push(null);
      } else {
        sent++;
        this.push(chunk);
      }
    },
  });
}

/** Creates an AKS compute through the official client and waits for its operation (which may fail). */
function beginCreate(client: AzureMachineLearningWorkspaces, name: string, properties: Record<string, unknown>) {
  return client.computeOperations.beginCreateOrUpdateAndWait(RG, WS, name, { properties: { computeType: 'AKS', properties } } as never, POLL);
}

describe('the inference front end runs for real in the local cloud', () => {
  let berth: TestBerth;
  let client: AzureMachineLearningWorkspaces;
  const kubectls: Kubectl[] = [];

  async function create(name: string, properties: Record<string, unknown>) {
    const created = await beginCreate(client, name, properties);
    expect((created.properties as any).provisioningState).toBe('Succeeded');
    const k = await kubectlFor(client, RG, WS, name);
    kubectls.push(k);
    return { compute: created.properties as any, kubectl: k };
  }

  const endpoints = (compute: any): string[] => compute.properties.systemServices[0].localEndpoints;

  beforeAll(async () => {
    berth = await startTestBerth({ provisioningDelayMs: 0, runWorkloads: true });
    client = mlClient(berth.url, berth.ca, berth.token, berth.subscriptionId);
    await setUpWorkspaces(berth.request, berth.subscriptionId, [[RG, WS]]);
  });
  afterAll(async () => {
    await Promise.all(kubectls.map((k) => k.close()));
    await berth?.close();
  });

  it('serves a scoring service on the public endpoint and, with the auto certificate for its name, on the TLS one; then a new certificate without a restart', async () => {
    const { compute, kubectl } = await create('tlsfe', { clusterPurpose: 'DevTest', sslConfiguration: { status: 'Auto', leafDomainLabel: 'scoring' } });
    const [httpUrl, httpsUrl] = endpoints(compute);
    expect(httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const fqdn: string = compute.properties.clusterFqdn;
    expect(fqdn).toMatch(/^scoring[a-z0-9]{6}\.westus\.cloudapp\.azure\.com$/);

    const before = await presented(httpsUrl, fqdn, berth.ca);
    const secret = await kubectlJson(kubectl, ['secret', 'azuremlfessl', '-n', 'azureml']);
    expect(before.toString()).toBe(new X509Certificate(Buffer.from(secret.data['cert.pem'], 'base64')).toString());
    expect(before.checkHost(fqdn)).toBe(fqdn);

    await kubectl.ok(['apply', '-f', '-'], echoService());
    const score = await until('the echo service behind the front end', async () => {
      const res = await send(`${httpUrl}/api/v1/service/echo/score?x=1`, { method: 'POST', body: 'hello' }).catch((err: Error) => {
        throw new Error(`POST ${httpUrl}: ${err.message}`);
      });
      return res.status === 200 ? res : undefined;
    });
    expect(JSON.parse(score.text)).toMatchObject({ path: '/score?x=1', method: 'POST', bytes: 5 });
    const overTls = await send(`${httpsUrl}/api/v1/service/echo/score`, { method: 'POST', body: 'hi', ca: berth.ca, servername: fqdn }).catch((err: Error) => {
      throw new Error(`POST ${httpsUrl}: ${err.message}`);
    });
    expect(overTls.status).toBe(200);
    expect(JSON.parse(overTls.text)).toMatchObject({ path: '/score', bytes: 2 });

    // A custom certificate and CNAME: new connections get it, from the same front-end pods.
    const podsBefore = (await kubectlJson(kubectl, ['pods', '-n', 'azureml'])).items.map((p: any) => [
      p.metadata.name,
      p.status.containerStatuses[0].restartCount,
    ]);
    const { ca, close } = await throwawayCa();
    try {
      const issued = await ca.issue({ commonName: 'scoring.contoso.com', dnsNames: ['scoring.contoso.com'], validityDays: 365 });
      const patch = await berth.request('PATCH', paths(berth.subscriptionId).compute(RG, WS, 'tlsfe'), {
        body: {
          properties: { properties: { sslConfiguration: { status: 'Enabled', cert: issued.certPem, key: issued.keyPem, cname: 'scoring.contoso.com' } } },
        },
      });
      expect(patch.status, patch.text).toBe(200);
      expect((await waitForOperation(berth, patch.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
      const caPem = ca.certPem;
      const after = await until('the new certificate on new connections', async () => {
        const cert = await presented(httpsUrl, 'scoring.contoso.com', caPem).catch(() => undefined);
        return cert?.checkHost('scoring.contoso.com') ? cert : undefined;
      });
      expect(after.fingerprint256).toBe(new X509Certificate(issued.certPem).fingerprint256);
      expect(after.checkIssued(new X509Certificate(caPem))).toBe(true);
    } finally {
      await close();
    }
    const podsAfter = (await kubectlJson(kubectl, ['pods', '-n', 'azureml'])).items.map((p: any) => [
      p.metadata.name,
      p.status.containerStatuses[0].restartCount,
    ]);
    expect(podsAfter).toEqual(podsBefore);
  });

  it('answers 401 without a key, 404 for an unknown service, 503 with no ready pod, 504 after the timeout and 413 above 100 MB, on the internal endpoint', async () => {
    const { compute, kubectl } = await create('internalfe', { clusterPurpose: 'DevTest', loadBalancerType: 'InternalLoadBalancer' });
    expect(compute.properties.systemServices[0].publicIpAddress).toMatch(/^10\./);
    const [url] = endpoints(compute);
    await kubectl.ok(['apply', '-f', '-'], echoService({ annotations: { 'berth.dev/auth-secret': 'echo-keys' } }));
    const ok = await until('the keyed echo service', async () => {
      const res = await send(`${url}/api/v1/service/echo/score`, { headers: { authorization: 'Bearer key-two' } });
      return res.status === 200 ? res : undefined;
    });
    expect(JSON.parse(ok.text).path).toBe('/score');

    const noKey = await send(`${url}/api/v1/service/echo/score`);
    expect(noKey.status).toBe(401);
    expect(JSON.parse(noKey.text).error.code).toBeTruthy();
    expect((await send(`${url}/api/v1/service/echo/score`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);

    const unknown = await send(`${url}/api/v1/service/nosuch/score`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text).error.message).toContain('nosuch');

    const big = await send(`${url}/api/v1/service/echo/score`, { method: 'POST', headers: { authorization: 'Bearer key-one' }, body: oversizedBody() }).catch(
      (err: Error) => ({ status: 0, headers: {}, text: err.message }),
    );
    // The front end answers 413 as soon as the 100 MB are crossed; a client still sending may see the connection close instead.
    expect([413, 0]).toContain(big.status);
    const declared = await send(`${url}/api/v1/service/echo/score`, {
      method: 'POST',
      headers: { authorization: 'Bearer key-one', 'content-length': String(100 * 1024 * 1024 + 1) },
      body: '',
    }).catch((err: Error) => ({ status: 0, headers: {}, text: err.message }));
    expect(declared.status).toBe(413);

    // The timeout is set only now: on a busy machine, streaming 100 MB may take longer than it.
    await kubectl.ok(['annotate', 'service', 'echo', 'berth.dev/request-timeout-ms=500']);
    const slow = await until('504 once the timeout annotation is seen', async () => {
      const res = await send(`${url}/api/v1/service/echo/score?sleepMs=3000`, { headers: { authorization: 'Bearer key-one' } });
      return res.status === 504 ? res : undefined;
    });
    expect(JSON.parse(slow.text).error.code).toBeTruthy();

    await kubectl.ok(['scale', 'deployment', 'echo', '--replicas=0']);
    const unavailable = await until('503 with no ready pod', async () => {
      const res = await send(`${url}/api/v1/service/echo/score`, { headers: { authorization: 'Bearer key-one' } });
      return res.status === 503 ? res : undefined;
    });
    expect(unavailable.headers['retry-after']).toBeDefined();
  });

  it('loses no request when one of three front-end replicas is deleted under load; kubectl logs shows the access log', async () => {
    const { compute, kubectl } = await create('hafe', { clusterPurpose: 'FastProd' });
    const [url] = endpoints(compute);
    const fe = await kubectlJson(kubectl, ['pods', '-n', 'azureml', '-l', 'app.kubernetes.io/name=azureml-fe']);
    expect(fe.items).toHaveLength(3);
    await kubectl.ok(['apply', '-f', '-'], echoService({ replicas: 2 }));
    await until('the echo service', async () => ((await send(`${url}/api/v1/service/echo/score`)).status === 200 ? true : undefined));

    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const results = { ok: 0, failed: [] as string[] };
    const deadline = Date.now() + 30_000;
    const worker = async () => {
      while (Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const req = http.get(`${url}/api/v1/service/echo/score`, { agent, timeout: 10_000 }, (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode === 200) results.ok++;
              else results.failed.push(`HTTP ${res.statusCode}`);
              resolve();
            });
          });
          req.on('error', (err) => {
            results.failed.push(err.message);
            resolve();
          });
        });
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    await new Promise((r) => setTimeout(r, 5000));
    await kubectl.ok(['delete', 'pod', fe.items[1].metadata.name, '-n', 'azureml', '--wait=false']);
    await load;
    agent.destroy();
    expect(results.failed).toEqual([]);
    expect(results.ok).toBeGreaterThan(1000);
    const after = await kubectlJson(kubectl, ['pods', '-n', 'azureml', '-l', 'app.kubernetes.io/name=azureml-fe']);
    expect(after.items.map((p: any) => p.metadata.name)).not.toContain(fe.items[1].metadata.name);

    const logs = await kubectl.ok(['logs', 'deploy/azureml-fe', '-n', 'azureml']);
    const served = logs.split('\n').filter((l) => l.includes('/api/v1/service/echo/score') && l.includes('"status":200'));
    expect(served.length).toBeGreaterThan(0);
    expect(JSON.parse(served[0])).toMatchObject({ type: 'access', method: 'GET', path: '/api/v1/service/echo/score', service: 'echo', status: 200 });
  });

  it('DevTest runs one replica and says it is not fault tolerant', async () => {
    const put = await berth.request('PUT', paths(berth.subscriptionId).compute(RG, WS, 'devfe'), {
      body: { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest' } } },
    });
    expect(put.status, put.text).toBe(201);
    expect(warnings(put).join(' ')).toMatch(/one inference front-end replica, without fault tolerance/);
    await until('the DevTest compute', async () => {
      const got = await berth.request('GET', paths(berth.subscriptionId).compute(RG, WS, 'devfe'));
      return got.body.properties.provisioningState === 'Succeeded' ? true : undefined;
    });
    const k = await kubectlFor(client, RG, WS, 'devfe');
    kubectls.push(k);
    expect((await kubectlJson(k, ['deploy', 'azureml-fe', '-n', 'azureml'])).status.readyReplicas).toBe(1);
  });
});

describe('a front end that cannot start', () => {
  it('ends the operation Failed with the pod’s reason, without waiting for the timeout', async () => {
    const berth = await startTestBerth({ provisioningDelayMs: 0, runWorkloads: true, frontEndImage: 'node:does-not-exist' });
    try {
      const client = mlClient(berth.url, berth.ca, berth.token, berth.subscriptionId);
      await setUpWorkspaces(berth.request, berth.subscriptionId, [[RG, WS]]);
      const started = Date.now();
      const err: any = await beginCreate(client, 'badimage', { clusterPurpose: 'DevTest' }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(30_000);
      const got = (await berth.request('GET', paths(berth.subscriptionId).compute(RG, WS, 'badimage'))).body;
      expect(got.properties.provisioningState).toBe('Failed');
      const error = got.properties.provisioningErrors[0].error;
      expect(error.code).toBe('FrontEndNotReady');
      expect(error.message).toMatch(/container azureml-fe is waiting: (ErrImagePull|ImagePullBackOff)/);
      expect(error.message).toContain('node:does-not-exist');
      expect(String(err?.message ?? err)).toMatch(/FrontEndNotReady|cannot start/);
    } finally {
      await berth.close();
    }
  });
});

describe('detach and restart', () => {
  it('detach stops every process of the front end; a restart of Berth brings them back on the same local ports', async () => {
    const home = await mkdtemp(join(tmpdir(), 'berth-restart-'));
    const first = await startTestBerth({ provisioningDelayMs: 0, runWorkloads: true, home });
    let second: TestBerth | undefined;
    try {
      const client = mlClient(first.url, first.ca, first.token, first.subscriptionId);
      await setUpWorkspaces(first.request, first.subscriptionId, [[RG, WS]]);
      const keep = (await beginCreate(client, 'keep', { clusterPurpose: 'DevTest' })).properties as any;
      const gone = (await beginCreate(client, 'gone', { clusterPurpose: 'DevTest' })).properties as any;
      const [keepUrl] = keep.properties.systemServices[0].localEndpoints;
      const [goneUrl] = gone.properties.systemServices[0].localEndpoints;
      expect((await send(`${goneUrl}/readyz`)).status).toBe(200);
      const k = await kubectlFor(client, RG, WS, 'gone');
      const [pod] = (await kubectlJson(k, ['pods', '-n', 'azureml'])).items;
      const podIp = pod.status.podIP;
      await k.close();
      expect((await send(`http://${podIp}:9001/readyz`)).status).toBe(200);

      await client.computeOperations.beginDeleteAndWait(RG, WS, 'gone', 'Detach', POLL);
      await until('the detached front end to stop', async () => ((await send(`http://${podIp}:9001/readyz`).catch(() => undefined)) ? undefined : true));
      await until('its load balancer to close', async () => ((await send(`${goneUrl}/readyz`).catch(() => undefined)) ? undefined : true));

      await first.close();
      expect(await send(`${keepUrl}/readyz`).catch(() => 'closed')).toBe('closed');
      second = await startTestBerth({ provisioningDelayMs: 0, runWorkloads: true, home });
      const back = await until('the kept front end back on its port', async () => {
        const res = await send(`${keepUrl}/readyz`).catch(() => undefined);
        return res?.status === 200 ? res : undefined;
      });
      expect(back.text).toBe('ok');
      const again = (await second.request('GET', paths(second.subscriptionId).compute(RG, WS, 'keep'))).body;
      expect(again.properties.properties.systemServices[0].localEndpoints).toEqual([keepUrl]);
    } finally {
      await second?.close();
      await first.close().catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    }
  });
});
