import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, loadOrCreateServerCertificate } from '@berth/pki';
import { httpsRequest, noPublicIpPolicy, startTestBerth, waitForOperation, type TestBerth } from '../../../test-support/berth.js';
import { FaultProxy, type Fault } from '../../../test-support/fault-proxy.js';
import { freePort, type ArmCall } from '../../../test-support/kube.js';
import { spawnBerthUp, type BerthProcess } from '../../../test-support/process.js';
import { clusterCredential, clusterNames, kubeApi, makeCluster, paths, pollOperation, setUpWorkspaces, until } from './compute-fixtures.js';

const DEVTEST = { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } } };

/** A Berth whose calls to the cloud and to clusters go through a fault-injecting proxy. */
async function berthBehindProxy(): Promise<{ berth: TestBerth; proxy: FaultProxy; close(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'berth-faults-'));
  const ca = await loadOrCreateCa(home);
  const cert = await loadOrCreateServerCertificate(home, ca);
  let target = '';
  const proxy = new FaultProxy(() => target, { key: cert.keyPem, cert: cert.certPem, ca: ca.certPem });
  const proxyUrl = await proxy.start();
  const berth = await startTestBerth({ home, containerServiceEndpoint: proxyUrl, publicUrl: proxyUrl });
  target = berth.url;
  return {
    berth,
    proxy,
    async close() {
      await berth.close();
      await proxy.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The compute's objects in namespace azureml of a cluster, by kind: what one install leaves. */
/** What Berth installed, read from the cluster's API directly (`apiUrl`), never through the faulty proxy the kubeconfig names. */
async function installedObjects(call: ArmCall, clusterPath: string, apiUrl: string): Promise<Record<string, string[]>> {
  const kubeconfig = await clusterCredential(call, clusterPath, 'admin');
  const api = kubeApi(kubeconfig.replace(/server: https:\/\/[^/\s]+/, `server: ${apiUrl}`));
  const selector = `labelSelector=${encodeURIComponent('app.kubernetes.io/managed-by=berth')}`;
  const list = async (path: string) =>
    ((await api('GET', `${path}?${selector}`)).body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name).sort();
  return {
    deployments: await list('/apis/apps/v1/namespaces/azureml/deployments'),
    services: await list('/api/v1/namespaces/azureml/services'),
    configmaps: await list('/api/v1/namespaces/azureml/configmaps'),
    serviceaccounts: await list('/api/v1/namespaces/azureml/serviceaccounts'),
    clusterroles: await list('/apis/rbac.authorization.k8s.io/v1/clusterroles'),
    pods: (await list('/api/v1/namespaces/azureml/pods')).map(() => 'pod'),
  };
}

const ONE_DEVTEST_INSTALL = {
  deployments: ['azureml-fe'],
  services: ['azureml-fe'],
  configmaps: ['azureml-fe-app', 'azuremlfeconfig'],
  serviceaccounts: ['azureml-fe'],
  clusterroles: ['azureml-fe'],
  pods: ['pod'],
};

describe('faults of the cloud and of the clusters during install', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await Promise.all(closers.map((c) => c()));
  });

  /** Attaches a fresh cluster with `faults` queued on its Kubernetes API (the install's first calls); returns the operation's end and its duration. */
  async function attachThrough(
    faults: Array<[Fault, number]>,
    pattern = /^\/clusters\//,
  ): Promise<{ operation: any; compute: any; ms: number; injected: string[]; berth: TestBerth; proxy: FaultProxy }> {
    const env = await berthBehindProxy();
    closers.push(env.close);
    const { berth, proxy } = env;
    const sub = berth.subscriptionId;
    const p = paths(sub);
    await setUpWorkspaces(berth.request, sub, [['rg', 'faulty-ws']]);
    const clusterId = await makeCluster(berth.request, sub, 'rg', 'target');
    // Nothing of the attach reaches the cluster's API (under /clusters/) before the install step.
    for (const [fault, count] of faults) proxy.inject(pattern, fault, count);
    const started = Date.now();
    const put = await berth.request('PUT', p.compute('rg', 'faulty-ws', 'attached'), { body: { properties: { computeType: 'AKS', resourceId: clusterId } } });
    expect(put.status, put.text).toBe(201);
    const operation = await waitForOperation(berth, put.headers['azure-asyncoperation'] as string, 90_000);
    const ms = Date.now() - started;
    const compute = (await berth.request('GET', p.compute('rg', 'faulty-ws', 'attached'))).body;
    return { operation, compute, ms, injected: [...proxy.injected], berth, proxy };
  }

  it.concurrent('retries through 5xx answers and reset connections of the cluster API, then succeeds with one install', async () => {
    const { operation, compute, injected, berth } = await attachThrough([
      [{ kind: 'status', status: 503 }, 1],
      [{ kind: 'reset' }, 1],
      [{ kind: 'status', status: 500 }, 1],
    ]);
    expect(injected).toHaveLength(3);
    expect(operation.status).toBe('Succeeded');
    expect(compute.properties.provisioningState).toBe('Succeeded');
    expect(compute.properties.provisioningErrors).toBeNull();
    expect(await installedObjects(berth.request, paths(berth.subscriptionId).cluster('rg', 'target'), berth.url)).toEqual({
      ...ONE_DEVTEST_INSTALL,
      pods: ['pod', 'pod', 'pod'],
    });
  });

  it.concurrent('retries after a cluster API call that never answers, then succeeds', async () => {
    const { operation, compute, injected, ms } = await attachThrough([[{ kind: 'hang' }, 1]]);
    expect(injected).toHaveLength(1);
    expect(operation.status).toBe('Succeeded');
    expect(compute.properties.provisioningState).toBe('Succeeded');
    // One request timeout (30 s), not a step stuck for good.
    expect(ms).toBeLessThan(45_000);
  });

  it.concurrent(
    'ends Failed, naming the install step and the cause, when the cluster API keeps failing; a detach then removes what was half installed',
    async () => {
      // Only the Deployment's calls fail: the namespace, RBAC and config get installed, the front end never does.
      const { operation, compute, ms, berth, proxy } = await attachThrough([[{ kind: 'status', status: 503 }, 1000]], /\/namespaces\/azureml\/deployments/);
      expect(operation.status).toBe('Failed');
      expect(operation.error.message).toMatch(/install/);
      expect(operation.error.message).toMatch(/503/);
      expect(compute.properties.provisioningState).toBe('Failed');
      const [error] = compute.properties.provisioningErrors;
      expect(error.error.message).toMatch(/Step 'install'/);
      expect(error.error.message).toMatch(/503/);
      // Six attempts with backoff (0.4 s to 6.4 s), not forever.
      expect(ms).toBeLessThan(25_000);

      const clusterPath = paths(berth.subscriptionId).cluster('rg', 'target');
      const half = await installedObjects(berth.request, clusterPath, berth.url);
      expect(half.configmaps).toEqual(['azureml-fe-app', 'azuremlfeconfig']);
      expect(half.deployments).toEqual([]);
      proxy.clear();
      const detach = await berth.request('DELETE', paths(berth.subscriptionId).compute('rg', 'faulty-ws', 'attached', '&underlyingResourceAction=Detach'));
      expect(detach.status).toBe(202);
      expect((await waitForOperation(berth, detach.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
      expect(await installedObjects(berth.request, clusterPath, berth.url)).toEqual({
        deployments: [],
        services: [],
        configmaps: [],
        serviceaccounts: [],
        clusterroles: [],
        pods: [],
      });
    },
  );

  it.concurrent('ends Failed, naming the step and the cause, when the ContainerService API keeps failing during a create', async () => {
    const env = await berthBehindProxy();
    closers.push(env.close);
    const { berth, proxy } = env;
    const sub = berth.subscriptionId;
    await setUpWorkspaces(berth.request, sub, [['rg', 'cloudless-ws']]);
    proxy.inject(/\/managedClusters\//, { kind: 'status', status: 503 }, 1000);
    const started = Date.now();
    const put = await berth.request('PUT', paths(sub).compute('rg', 'cloudless-ws', 'myaks'), { body: DEVTEST });
    expect(put.status, put.text).toBe(201);
    const operation = await waitForOperation(berth, put.headers['azure-asyncoperation'] as string, 60_000);
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(operation.status).toBe('Failed');
    const compute = (await berth.request('GET', paths(sub).compute('rg', 'cloudless-ws', 'myaks'))).body;
    expect(compute.properties.provisioningState).toBe('Failed');
    expect(compute.properties.provisioningErrors[0].error.message).toMatch(/create-cluster/);
    expect(compute.properties.provisioningErrors[0].error.message).toMatch(/503|InjectedFault|fault injected/);
    expect(await clusterNames(berth.request, sub, 'rg')).toEqual([]);
  });

  it.concurrent("ends Failed at once with the cloud's policy error when a policy forbids public IPs", async () => {
    const berth = await startTestBerth();
    closers.push(() => berth.close());
    const sub = berth.subscriptionId;
    await setUpWorkspaces(berth.request, sub, [['rg', 'policy-ws']]);
    const policy = await berth.request('PUT', `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/no-public-ip?api-version=2022-06-01`, {
      body: noPublicIpPolicy(),
    });
    expect(policy.status, policy.text).toBe(201);
    const started = Date.now();
    const put = await berth.request('PUT', paths(sub).compute('rg', 'policy-ws', 'myaks'), { body: DEVTEST });
    expect(put.status, put.text).toBe(201);
    const operation = await waitForOperation(berth, put.headers['azure-asyncoperation'] as string);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(operation.status).toBe('Failed');
    const compute = (await berth.request('GET', paths(sub).compute('rg', 'policy-ws', 'myaks'))).body;
    expect(compute.properties.provisioningState).toBe('Failed');
    const message: string = compute.properties.provisioningErrors[0].error.message;
    expect(message).toMatch(/wait-cluster/);
    expect(message).toMatch(/polic/i);
    expect(message).toMatch(/publicIPAddresses/);
  });
});

describe('SIGKILL of berth up in the middle of an operation', () => {
  /** `berth up` on a home and a port it keeps across restarts, and calls bound to it. */
  async function berthUp(home: string, port: number): Promise<{ proc: BerthProcess; call: ArmCall }> {
    const proc = await spawnBerthUp(['--home', home, '--port', String(port), '--provisioning-delay-ms', '1500', '--lease-ms', '1000']);
    const token = (await readFile(join(home, 'token'), 'utf8')).trim();
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');
    const call: ArmCall = (method, path, o = {}) =>
      httpsRequest(new URL(path, proc.url).toString(), ca, method, { ...o, token: o.token === undefined ? token : o.token });
    return { proc, call };
  }

  async function kill(proc: BerthProcess): Promise<void> {
    proc.child.kill('SIGKILL');
    expect((await proc.exited).signal).toBe('SIGKILL');
  }

  /** SIGTERM; resolves with how long the process took to exit. */
  async function stop(proc: BerthProcess): Promise<number> {
    const started = Date.now();
    proc.child.kill('SIGTERM');
    await proc.exited;
    return Date.now() - started;
  }

  /**
   * Kills `berth up` once `killWhen` holds during the operation the PUT starts,
   * restarts it, and checks the operation ends Succeeded with one cluster and
   * one install; then stops it gracefully, starts it again and checks drift is
   * still repaired (every installed compute is tracked again at start).
   */
  async function killAndResume(o: {
    body: (sub: string, call: ArmCall) => Promise<unknown>;
    killWhen: (call: ArmCall, sub: string) => Promise<boolean>;
    clusterPath: (sub: string, call: ArmCall) => Promise<string>;
  }) {
    const home = await mkdtemp(join(tmpdir(), 'berth-kill-'));
    const port = await freePort();
    let { proc, call } = await berthUp(home, port);
    try {
      const sub = (await call('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId as string;
      await setUpWorkspaces(call, sub, [['rg', 'kill-ws']]);
      const put = await call('PUT', paths(sub).compute('rg', 'kill-ws', 'victim'), { body: await o.body(sub, call) });
      expect(put.status, put.text).toBe(201);
      const statusUrl = put.headers['azure-asyncoperation'] as string;
      const deadline = Date.now() + 15_000;
      while (!(await o.killWhen(call, sub))) {
        if (Date.now() > deadline) throw new Error('the moment to kill never came');
        await new Promise((r) => setTimeout(r, 10));
      }
      await kill(proc);
      ({ proc, call } = await berthUp(home, port));
      // The operation was cut short: it resumes once the dead process's lease ends.
      expect((await call('GET', statusUrl)).body.status).toBe('InProgress');
      const operation = await pollOperation(call, statusUrl, 30_000);
      expect(operation.status, JSON.stringify(operation)).toBe('Succeeded');
      const compute = (await call('GET', paths(sub).compute('rg', 'kill-ws', 'victim'))).body;
      expect(compute.properties.provisioningState).toBe('Succeeded');
      expect(compute.properties.properties.systemServices).toHaveLength(1);
      const all = (await call('GET', `/subscriptions/${sub}/providers/Microsoft.ContainerService/managedClusters?api-version=2024-08-01`)).body.value;
      expect(all).toHaveLength(1);
      const clusterPath = await o.clusterPath(sub, call);
      expect(await installedObjects(call, clusterPath, proc.url)).toEqual(ONE_DEVTEST_INSTALL);

      // A graceful stop does not wait for the reconciler's watches to time out.
      expect(await stop(proc)).toBeLessThan(5000);
      ({ proc, call } = await berthUp(home, port));
      const api = kubeApi(await clusterCredential(call, clusterPath, 'admin'));
      const deployment = '/apis/apps/v1/namespaces/azureml/deployments/azureml-fe';
      const scaled = await api('PATCH', deployment, {
        rawBody: JSON.stringify({ spec: { replicas: 7 } }),
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      expect(scaled.status, scaled.text).toBe(200);
      await until(
        'the restarted Berth to revert the replicas',
        async () => ((await api('GET', deployment)).body.spec.replicas === 1 ? true : undefined),
        10_000,
      );
    } finally {
      await stop(proc);
      await rm(home, { recursive: true, force: true });
    }
  }

  it.concurrent('during a create: once the cluster is submitted, before it is provisioned', async () => {
    await killAndResume({
      body: async () => DEVTEST,
      killWhen: async (call, sub) => (await clusterNames(call, sub, 'rg')).length > 0,
      clusterPath: async (sub, call) => paths(sub).cluster('rg', (await clusterNames(call, sub, 'rg'))[0]),
    });
  });

  it.concurrent('during an attach: once the install has started in the cluster', async () => {
    let cluster = '';
    await killAndResume({
      body: async (sub, call) => {
        await call('PUT', paths(sub).group('clusters-rg'), { body: { location: 'westus' } });
        const id = await makeCluster(call, sub, 'clusters-rg', 'target', { count: 1, vmSize: 'Standard_D2_v2' });
        cluster = paths(sub).cluster('clusters-rg', 'target');
        return { properties: { computeType: 'AKS', resourceId: id, properties: { clusterPurpose: 'DevTest' } } };
      },
      killWhen: async (call) => {
        const api = kubeApi(await clusterCredential(call, cluster, 'admin'));
        return (await api('GET', '/api/v1/namespaces/azureml')).status === 200;
      },
      clusterPath: async () => cluster,
    });
  });
});
