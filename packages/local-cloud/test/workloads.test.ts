import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import {
  clusterBody,
  clusterCredential,
  eventually,
  Kubectl,
  kubeApi,
  managedClusterPath,
  newClusterAsAdmin,
  putManagedCluster,
  listYaml,
  nodeApp,
  type ArmCall,
} from '../../../test-support/kube.js';

const RG_API = 'api-version=2021-04-01';

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
  return { status: res.statusCode, text: await res.body.text() };
}

describe('the local cloud runs Node.js workloads for real', () => {
  let berth: TestBerth;
  let kubectl: Kubectl;
  let api: ReturnType<typeof kubeApi>;
  const pods = async (app: string) => (await api('GET', `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`)).body.items as any[];

  beforeAll(async () => {
    berth = await startTestBerth({ provisioningDelayMs: 0, runWorkloads: true });
    ({ kubectl, api } = await newClusterAsAdmin(berth, 'wl-rg', 'wl'));
  });
  afterAll(async () => {
    await kubectl?.close();
    await berth?.close();
  });

  it('two replicas of one `server.listen(8080)` script each answer on their own pod address; env, fieldRefs and secrets reach them', async () => {
    const script = `import http from 'node:http';
import { readFileSync } from 'node:fs';
http.createServer((req, res) => res.end(JSON.stringify({ pod: process.env.POD_NAME, ip: process.env.POD_IP, greeting: process.env.GREETING, secret: process.env.SECRET, berth: Object.keys(process.env).filter((k) => /BERTH_(TOKEN|HOME)|AZURE/.test(k)) }))).listen(8080);
console.log('listening as', process.env.POD_NAME);`;
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hello', namespace: 'default' }, stringData: { word: 'sesame' } };
    const env = [
      { name: 'GREETING', value: 'hello $(POD_NAME)' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'SECRET', valueFrom: { secretKeyRef: { name: 'hello', key: 'word' } } },
    ];
    await kubectl.ok(
      ['apply', '-f', '-'],
      listYaml([secret, ...nodeApp('twins', script, { replicas: 2, env, extra: { readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1 } } })]),
    );
    const running = await eventually('two ready replicas', async () => {
      const list = await pods('twins');
      return list.length === 2 && list.every((p) => p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) ? list : undefined;
    });
    const ips = running.map((p) => p.status.podIP);
    expect(new Set(ips).size).toBe(2);
    for (const pod of running) {
      expect(pod.status.podIP).toMatch(/^127\.(1(2[89]|[3-9]\d)|2\d\d)\./);
      expect(pod.status.message).toBeUndefined();
      const answer = JSON.parse((await get(`http://${pod.status.podIP}:8080/`)).text);
      // `GREETING` refers to POD_NAME before it is defined: left as written, as Kubernetes does.
      expect(answer).toEqual({ pod: pod.metadata.name, ip: pod.status.podIP, greeting: 'hello $(POD_NAME)', secret: 'sesame', berth: [] });
    }
    const slices = (await api('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices')).body.items as any[];
    expect(slices).toHaveLength(0);
    expect(await kubectl.ok(['logs', running[0].metadata.name])).toBe(`listening as ${running[0].metadata.name}\n`);
  });

  it('a Service selecting running pods gets an EndpointSlice of their addresses, ready ones marked ready', async () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'twins', namespace: 'default' },
      spec: { selector: { app: 'twins' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
    };
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(svc));
    const ips = (await pods('twins')).map((p) => p.status.podIP).sort();
    const slice = await eventually('the slice', async () => {
      const items = (await api('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dtwins')).body
        .items as any[];
      return items[0]?.endpoints?.length === 2 ? items[0] : undefined;
    });
    expect(slice.ports).toEqual([{ name: 'web', port: 8080, protocol: 'TCP' }]);
    expect(slice.endpoints.map((e: any) => e.addresses[0]).sort()).toEqual(ips);
    expect(slice.endpoints.every((e: any) => e.conditions.ready === true)).toBe(true);
  });

  it('pods started later reach the Service through its <NAME>_SERVICE_HOST and _PORT variables', async () => {
    const script = `const url = 'http://' + process.env.TWINS_SERVICE_HOST + ':' + process.env.TWINS_SERVICE_PORT_WEB + '/';
const answer = await (await fetch(url)).json();
console.log(process.env.TWINS_SERVICE_HOST, process.env.TWINS_SERVICE_PORT === process.env.TWINS_SERVICE_PORT_WEB, answer.greeting === undefined ? 'no' : 'yes');
setInterval(() => {}, 1000);`;
    await kubectl.ok(['apply', '-f', '-'], listYaml(nodeApp('visitor', script)));
    const [pod] = await eventually('the visitor running', async () => ((await pods('visitor'))[0]?.status?.phase === 'Running' ? pods('visitor') : undefined));
    expect(await eventually('its output', async () => (await kubectl.run(['logs', pod.metadata.name])).stdout || undefined)).toBe('127.0.0.1 true yes\n');
  });

  it('kubectl delete pod stops its process, and the Deployment replaces it with one that runs', async () => {
    const [victim] = await pods('twins');
    await kubectl.ok(['delete', 'pod', victim.metadata.name]);
    await eventually('the deleted pod to stop answering', async () =>
      (await get(`http://${victim.status.podIP}:8080/`).catch(() => undefined)) ? undefined : true,
    );
    const isReady = (p: any) => p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
    const replacement = await eventually('a ready replacement', async () => {
      const list = await pods('twins');
      return list.length === 2 && list.every(isReady) ? list.find((p) => p.metadata.uid !== victim.metadata.uid) : undefined;
    });
    expect((await get(`http://${replacement.status.podIP}:8080/`)).status).toBe(200);
  });

  it('a container that exits 1 goes to CrashLoopBackOff with its log readable, and its Deployment is not available', async () => {
    await kubectl.ok(['apply', '-f', '-'], listYaml(nodeApp('crasher', `console.error('cannot start: no model file'); process.exit(1);`)));
    const pod = await eventually('CrashLoopBackOff', async () => {
      const [p] = await pods('crasher');
      return p?.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    });
    const status = pod.status.containerStatuses[0];
    expect(status.restartCount).toBe(1);
    expect(status.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(status.ready).toBe(false);
    expect(await kubectl.ok(['logs', pod.metadata.name, '--previous'])).toBe('cannot start: no model file\n');
    const table = await kubectl.ok(['get', 'pod', pod.metadata.name]);
    expect(table).toMatch(/0\/1\s+CrashLoopBackOff\s+1/);
    const deploy = JSON.parse(await kubectl.ok(['get', 'deploy', 'crasher', '-o', 'json']));
    expect(deploy.status.readyReplicas ?? 0).toBe(0);
  });

  it('kubectl logs -f follows what a container writes; a failing liveness probe restarts it', async () => {
    const script = `import http from 'node:http';
let n = 0;
setInterval(() => console.log('tick', ++n), 200);
http.createServer((req, res) => { res.statusCode = req.url === '/healthz' ? 500 : 200; res.end(); }).listen(8080);`;
    await kubectl.ok(
      ['apply', '-f', '-'],
      listYaml(
        nodeApp('ticker', script, {
          extra: { livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 2, periodSeconds: 1, failureThreshold: 2 } },
        }),
      ),
    );
    const [pod] = await eventually('the ticker running', async () => ((await pods('ticker'))[0]?.status?.phase === 'Running' ? pods('ticker') : undefined));
    const follow = kubectl.stream(['logs', '-f', pod.metadata.name]);
    try {
      await follow.waitFor(/tick 5\n/, 10_000);
    } finally {
      await follow.stop();
    }
    const restarted = await eventually(
      'a liveness restart',
      async () => {
        const [p] = await pods('ticker');
        return p?.status.containerStatuses?.[0]?.restartCount >= 1 ? p : undefined;
      },
      20_000,
    );
    expect(restarted.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(await kubectl.ok(['logs', pod.metadata.name, '--previous'])).toMatch(/^tick 1\ntick 2\n/);
  });

  it('a missing ConfigMap is CreateContainerConfigError until it appears, then the pod runs', async () => {
    const [cm, deploy] = nodeApp('latecomer', `import http from 'node:http'; http.createServer((q, s) => s.end('late')).listen(8080);`, {
      extra: { readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 } },
    });
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(deploy));
    await eventually('CreateContainerConfigError', async () => {
      const [p] = await pods('latecomer');
      const waiting = p?.status.containerStatuses?.[0]?.state?.waiting;
      return waiting?.reason === 'CreateContainerConfigError' && /configmap "latecomer" not found/.test(waiting.message) ? true : undefined;
    });
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(cm));
    const pod = await eventually('the pod ready', async () => {
      const [p] = await pods('latecomer');
      return p?.status.containerStatuses?.[0]?.ready ? p : undefined;
    });
    expect((await get(`http://${pod.status.podIP}:8080/`)).text).toBe('late');
  });

  it('other images stay simulated, and say so; their logs say there are none', async () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'pythonic', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'pythonic' } },
        template: {
          metadata: { labels: { app: 'pythonic' } },
          spec: { containers: [{ name: 'py', image: 'python:3.12', command: ['python', '-m', 'http.server'] }] },
        },
      },
    };
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(deploy));
    const pod = await eventually('the simulated pod', async () =>
      (await pods('pythonic'))[0]?.status?.phase === 'Running' ? (await pods('pythonic'))[0] : undefined,
    );
    expect(pod.status.message).toMatch(/Simulated by Berth's local cloud: nothing runs/);
    expect(pod.status.podIP).toMatch(/^10\./);
    const logs = await kubectl.run(['logs', pod.metadata.name]);
    expect(logs.code).not.toBe(0);
    expect(logs.stderr).toMatch(/simulated by Berth's local cloud: nothing runs, so it has no log/);
  });

  it("workloads reach their cluster's API with their service account, which may do what RBAC grants it and nothing more", async () => {
    const script = `import { readFileSync } from 'node:fs';
import https from 'node:https';
const config = readFileSync(process.env.KUBECONFIG, 'utf8');
const server = /server: (\\S+)/.exec(config)[1];
const token = /token: (\\S+)/.exec(config)[1];
const ca = Buffer.from(/certificate-authority-data: (\\S+)/.exec(config)[1], 'base64');
const call = (method, path) => new Promise((resolve) => {
  const req = https.request(server + path, { method, ca, headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' } }, (res) => { res.resume(); resolve(res.statusCode); });
  req.end(method === 'POST' ? JSON.stringify({ metadata: { name: 'x' } }) : undefined);
});
console.log('list', await call('GET', '/api/v1/namespaces/default/services'), 'create', await call('POST', '/api/v1/namespaces/default/configmaps'));
setInterval(() => {}, 1000);`;
    await kubectl.ok(['create', 'role', 'service-reader', '--verb=list', '--resource=services']);
    await kubectl.ok(['create', 'rolebinding', 'service-reader', '--role=service-reader', '--serviceaccount=default:default']);
    await kubectl.ok(['apply', '-f', '-'], listYaml(nodeApp('caller', script)));
    const [pod] = await eventually('the caller running', async () => ((await pods('caller'))[0]?.status?.phase === 'Running' ? pods('caller') : undefined));
    expect(await eventually('its output', async () => (await kubectl.run(['logs', pod.metadata.name])).stdout || undefined)).toBe('list 200 create 403\n');
  });

  it('deleting the cluster stops its processes', async () => {
    const ips = (await pods('twins')).map((p) => p.status.podIP);
    const path = managedClusterPath(berth.subscriptionId, 'wl-rg', 'wl');
    const del = await berth.request('DELETE', path);
    expect([200, 202]).toContain(del.status);
    for (const ip of ips)
      await eventually(`${ip} to stop answering`, async () => ((await get(`http://${ip}:8080/`).catch(() => undefined)) ? undefined : true));
  });
});

describe('with workloads off (--no-run-workloads)', () => {
  let berth: TestBerth;
  const call: ArmCall = (method, p, o) => berth.request(method, p, o);
  beforeAll(async () => {
    berth = await startTestBerth({ provisioningDelayMs: 0, runWorkloads: false });
    expect(
      (await berth.request('PUT', `/subscriptions/${berth.subscriptionId}/resourcegroups/off-rg?${RG_API}`, { body: { location: 'westus' } })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await berth?.close();
  });

  it('every pod is simulated, Node.js images too', async () => {
    const path = managedClusterPath(berth.subscriptionId, 'off-rg', 'off');
    expect((await putManagedCluster(call, path, clusterBody())).operation.status).toBe('Succeeded');
    const kubectl = await Kubectl.create(await clusterCredential(call, path, 'admin'));
    try {
      await kubectl.ok(['apply', '-f', '-'], listYaml(nodeApp('quiet', `process.exit(1)`)));
      const pod = await eventually('the pod', async () => {
        const items = JSON.parse(await kubectl.ok(['get', 'pods', '-l', 'app=quiet', '-o', 'json'])).items;
        return items[0]?.status?.phase === 'Running' ? items[0] : undefined;
      });
      expect(pod.status.message).toMatch(/Simulated/);
      expect(pod.status.podIP).toMatch(/^10\./);
      expect(pod.status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 0 });
    } finally {
      await kubectl.close();
    }
  });
});
