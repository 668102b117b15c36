import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1Deployment, type V1Service } from '@kubernetes/client-node';
import { startTestBerth, waitForOperation, type TestBerth } from '../../../test-support/berth.js';
import { eventually, freePort, kubeApi } from '../../../test-support/kube.js';
import {
  computeLabel,
  desiredObjects,
  DriftReconciler,
  install,
  INSTALLER_VERSION,
  InstallerError,
  NAMESPACE,
  readiness,
  uninstall,
  type DriftTarget,
  type InstallSpec,
} from '../src/index.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUBerthTestCertificate\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBerthTestKey\n-----END PRIVATE KEY-----\n';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

const isPublic = (ip: string | undefined) => !!ip && ip.startsWith('20.');
const isPrivate = (ip: string | undefined) => !!ip && /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/.test(ip);

/** Objects of a kind labelled with a compute, through client-node's generic API. */
async function labelled(kc: KubeConfig, computeId: string) {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const labelSelector = `berth.dev/compute=${computeLabel(computeId)}`;
  const names = (list: { items: Array<{ metadata?: { name?: string } }> }) => list.items.map((i) => i.metadata!.name!).sort();
  return {
    namespaces: names(await core.listNamespace({ labelSelector })),
    serviceAccounts: names(await core.listServiceAccountForAllNamespaces({ labelSelector })),
    configMaps: names(await core.listConfigMapForAllNamespaces({ labelSelector })),
    secrets: names(await core.listSecretForAllNamespaces({ labelSelector })),
    services: names(await core.listServiceForAllNamespaces({ labelSelector })),
    deployments: names(await apps.listDeploymentForAllNamespaces({ labelSelector })),
    clusterRoles: names(await rbac.listClusterRole({ labelSelector })),
    clusterRoleBindings: names(await rbac.listClusterRoleBinding({ labelSelector })),
  };
}

async function notFound(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (err) {
    return (err as { code?: number }).code === 404;
  }
}

describe('the azureml-fe installer against a local cluster', () => {
  let berth: TestBerth;
  let kubeconfig: string;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let rbac: RbacAuthorizationV1Api;
  const computeId = '/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/computes/myaks';
  const base: InstallSpec = {
    computeId,
    computeName: 'myaks',
    workspaceName: 'w',
    workspaceId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w',
    clusterPurpose: 'DevTest',
    loadBalancerType: 'PublicIp',
    image: 'node:20-alpine',
    router: "console.log('the router');\n",
  };

  async function readyWithin(spec: InstallSpec, timeoutMs = 5_000) {
    return eventually(
      'the front end to be ready',
      async () => {
        const r = await readiness(kubeconfig, spec);
        return r.ready ? r : undefined;
      },
      timeoutMs,
    );
  }

  const deployment = () => apps.readNamespacedDeployment({ name: 'azureml-fe', namespace: NAMESPACE });
  const replicas = async () => (await deployment().catch(() => undefined))?.spec?.replicas;
  const service = () => core.readNamespacedService({ name: 'azureml-fe', namespace: NAMESPACE });

  beforeAll(async () => {
    berth = await startTestBerth({ provisioningDelayMs: 0 });
    const sub = berth.subscriptionId;
    expect(
      (await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/rg?api-version=2021-04-01`, { body: { location: 'westus' } })).status,
    ).toBeLessThan(300);
    const cluster = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1`;
    const put = await berth.request('PUT', `${cluster}?api-version=2024-08-01`, {
      body: { location: 'westus', properties: { agentPoolProfiles: [{ name: 'nodepool1', count: 3, vmSize: 'Standard_D3_v2' }] } },
    });
    expect(put.status).toBe(201);
    expect((await waitForOperation(berth, put.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    const creds = await berth.request('POST', `${cluster}/listClusterAdminCredential?api-version=2024-08-01`);
    expect(creds.status).toBe(200);
    kubeconfig = Buffer.from(creds.body.kubeconfigs[0].value, 'base64').toString('utf8');
    kc = new KubeConfig();
    kc.loadFromString(kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  });

  afterAll(async () => {
    await berth?.close();
  });

  it('desiredObjects: fixed names, labels and annotations on everything, a short compute label', () => {
    const objects = desiredObjects({ ...base, clusterPurpose: 'FastProd', tls: { certPem: CERT, keyPem: KEY } });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/azureml',
      'ClusterRole/azureml-fe',
      'ClusterRoleBinding/azureml-fe',
      'ServiceAccount/azureml-fe',
      'ConfigMap/azuremlfeconfig',
      'ConfigMap/azureml-fe-app',
      'Secret/azuremlfessl',
      'Deployment/azureml-fe',
      'Service/azureml-fe',
    ]);
    const label = computeLabel(computeId);
    expect(label.length).toBeLessThanOrEqual(63);
    expect(label).toMatch(/^[a-z0-9]+$/);
    expect(computeLabel(computeId.toUpperCase())).toBe(label);
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'berth', 'berth.dev/compute': label });
      expect(o.metadata.annotations).toMatchObject({ 'berth.dev/compute-id': computeId, 'berth.dev/installer-version': INSTALLER_VERSION });
      expect(o.metadata.namespace).toBe(['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind) ? undefined : 'azureml');
    }
    expect(desiredObjects({ ...base, clusterPurpose: 'FastProd', tls: { certPem: CERT, keyPem: KEY } })).toEqual(objects);
  });

  it('install creates everything; readiness becomes ready with a public IP; DevTest runs 1 replica', async () => {
    const { changed } = await install(kubeconfig, base);
    expect(changed).toEqual([
      'Namespace/azureml',
      'ClusterRole/azureml-fe',
      'ClusterRoleBinding/azureml-fe',
      'ServiceAccount/azureml-fe',
      'ConfigMap/azuremlfeconfig',
      'ConfigMap/azureml-fe-app',
      'Deployment/azureml-fe',
      'Service/azureml-fe',
    ]);

    const ns = await core.readNamespace({ name: NAMESPACE });
    expect(ns.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('berth');
    const sa = await core.readNamespacedServiceAccount({ name: 'azureml-fe', namespace: NAMESPACE });
    expect(sa.metadata?.annotations?.['berth.dev/compute-id']).toBe(computeId);
    const role = await rbac.readClusterRole({ name: 'azureml-fe' });
    // Just what the router watches everywhere: scoring Services and their EndpointSlices; no Secret (see the secret readers).
    expect(role.rules?.map((r) => [r.apiGroups, r.resources, r.verbs])).toEqual([
      [[''], ['services'], ['get', 'list', 'watch']],
      [['discovery.k8s.io'], ['endpointslices'], ['get', 'list', 'watch']],
    ]);
    const app = await core.readNamespacedConfigMap({ name: 'azureml-fe-app', namespace: NAMESPACE });
    expect(app.data).toEqual({ 'azureml-fe.mjs': base.router });
    const binding = await rbac.readClusterRoleBinding({ name: 'azureml-fe' });
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'azureml-fe' });
    expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'azureml-fe', namespace: NAMESPACE })]);
    const config = await core.readNamespacedConfigMap({ name: 'azuremlfeconfig', namespace: NAMESPACE });
    expect(config.data).toMatchObject({
      CLUSTER_PURPOSE: 'DevTest',
      WORKSPACE_NAME: 'w',
      COMPUTE_NAME: 'myaks',
      COMPUTE_ID: computeId,
      TLS_ENABLED: 'false',
      LOAD_BALANCER_TYPE: 'PublicIp',
    });

    const d = await deployment();
    expect(d.spec?.replicas).toBe(1);
    expect(d.metadata?.annotations?.['berth.dev/installer-version']).toBe(INSTALLER_VERSION);
    const pod = d.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe('azureml-fe');
    expect(pod.topologySpreadConstraints?.[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' });
    expect(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    // A public Node.js image runs the router the ConfigMap ships.
    expect(c).toMatchObject({ name: 'azureml-fe', image: base.image, command: ['node', '/app/azureml-fe.mjs'] });
    expect(c.ports?.map((p) => p.containerPort)).toEqual([9001]);
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    expect(c.envFrom?.[0].configMapRef?.name).toBe('azuremlfeconfig');
    expect(c.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(c.volumeMounts).toEqual([{ name: 'app', mountPath: '/app', readOnly: true }]);
    expect(pod.volumes).toEqual([{ name: 'app', configMap: { name: 'azureml-fe-app', defaultMode: 0o444 } }]);

    const s = await service();
    expect(s.spec?.type).toBe('LoadBalancer');
    expect(s.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([['http', 80, 9001]]);
    expect(s.metadata?.annotations?.['service.beta.kubernetes.io/azure-load-balancer-internal']).toBeUndefined();

    const r = await readyWithin(base);
    expect(r).toMatchObject({ ready: true, desiredReplicas: 1, readyReplicas: 1 });
    expect(isPublic(r.endpointIp)).toBe(true);
  });

  it('a second install changes nothing', async () => {
    expect(await install(kubeconfig, base)).toEqual({ changed: [] });
    // Also once the simulated controllers have written status meanwhile.
    await readyWithin(base);
    expect(await install(kubeconfig, base)).toEqual({ changed: [] });
  });

  it('FastProd runs 3 replicas, spread over the nodes', async () => {
    const spec: InstallSpec = { ...base, clusterPurpose: 'FastProd' };
    const { changed } = await install(kubeconfig, spec);
    expect(changed).toEqual(expect.arrayContaining(['ConfigMap/azuremlfeconfig', 'Deployment/azureml-fe']));
    expect(changed).not.toContain('Service/azureml-fe');
    expect((await deployment()).spec?.replicas).toBe(3);
    const r = await readyWithin(spec);
    expect(r).toMatchObject({ desiredReplicas: 3, readyReplicas: 3 });
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `berth.dev/compute=${computeLabel(computeId)}` });
    expect(new Set(pods.items.map((p) => p.spec?.nodeName)).size).toBe(3);
    expect(await install(kubeconfig, spec)).toEqual({ changed: [] });
  });

  it('TLS on adds the secret with the exact PEMs and port 443; TLS off removes both', async () => {
    const tlsSpec: InstallSpec = { ...base, clusterPurpose: 'FastProd', tls: { certPem: CERT, keyPem: KEY, cname: 'fe.contoso.com' } };
    const on = await install(kubeconfig, tlsSpec);
    expect(on.changed).toEqual(expect.arrayContaining(['Secret/azuremlfessl', 'Deployment/azureml-fe', 'Service/azureml-fe', 'ConfigMap/azuremlfeconfig']));
    const secret = await core.readNamespacedSecret({ name: 'azuremlfessl', namespace: NAMESPACE });
    expect(secret.type).toBe('Opaque');
    expect(secret.data).toEqual({ 'cert.pem': b64(CERT), 'key.pem': b64(KEY) });
    const s = await service();
    expect(s.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['http', 80, 9001],
      ['https', 443, 9443],
    ]);
    const pod = (await deployment()).spec!.template.spec!;
    expect(pod.containers[0].ports?.map((p) => p.containerPort)).toEqual([9001, 9443]);
    expect(pod.volumes?.[1].secret?.secretName).toBe('azuremlfessl');
    expect(pod.containers[0].volumeMounts?.[1]).toEqual({ name: pod.volumes?.[1].name, mountPath: '/etc/azureml-fe/tls', readOnly: true });
    expect((await core.readNamespacedConfigMap({ name: 'azuremlfeconfig', namespace: NAMESPACE })).data).toMatchObject({
      TLS_ENABLED: 'true',
      TLS_CNAME: 'fe.contoso.com',
    });
    expect(isPublic((await readyWithin(tlsSpec)).endpointIp)).toBe(true);
    expect(await install(kubeconfig, tlsSpec)).toEqual({ changed: [] });

    const off = await install(kubeconfig, { ...base, clusterPurpose: 'FastProd' });
    expect(off.changed).toEqual(expect.arrayContaining(['Secret/azuremlfessl', 'Service/azureml-fe', 'Deployment/azureml-fe']));
    expect(await notFound(() => core.readNamespacedSecret({ name: 'azuremlfessl', namespace: NAMESPACE }))).toBe(true);
    expect((await service()).spec?.ports?.map((p) => p.port)).toEqual([80]);
    const after = (await deployment()).spec!.template.spec!;
    expect(after.volumes?.map((v) => v.name)).toEqual(['app']);
    expect(after.containers[0].ports?.map((p) => p.containerPort)).toEqual([9001]);
  });

  it('an internal load balancer gets the annotations and a private IP; back to public drops them', async () => {
    const internal: InstallSpec = { ...base, clusterPurpose: 'FastProd', loadBalancerType: 'InternalLoadBalancer', loadBalancerSubnet: 'inference-subnet' };
    const { changed } = await install(kubeconfig, internal);
    expect(changed).toEqual(expect.arrayContaining(['Service/azureml-fe', 'ConfigMap/azuremlfeconfig']));
    const annotations = (await service()).metadata?.annotations ?? {};
    expect(annotations['service.beta.kubernetes.io/azure-load-balancer-internal']).toBe('true');
    expect(annotations['service.beta.kubernetes.io/azure-load-balancer-internal-subnet']).toBe('inference-subnet');
    const privateIp = await eventually('a private IP', async () => {
      const r = await readiness(kubeconfig, internal);
      return r.ready && isPrivate(r.endpointIp) ? r.endpointIp : undefined;
    });
    expect(isPrivate(privateIp)).toBe(true);

    const publicSpec: InstallSpec = { ...base, clusterPurpose: 'FastProd' };
    await install(kubeconfig, publicSpec);
    const after = (await service()).metadata?.annotations ?? {};
    expect(after['service.beta.kubernetes.io/azure-load-balancer-internal']).toBeUndefined();
    expect(after['service.beta.kubernetes.io/azure-load-balancer-internal-subnet']).toBeUndefined();
    await eventually('a public IP again', async () => {
      const r = await readiness(kubeconfig, publicSpec);
      return r.ready && isPublic(r.endpointIp) ? true : undefined;
    });
  });

  it('the DriftReconciler reverts a scaled deployment and a changed image but keeps a tuned memory limit', async () => {
    const spec: InstallSpec = { ...base, clusterPurpose: 'FastProd' };
    const reverted: string[][] = [];
    const reconciler = new DriftReconciler({
      loadSpec: async () => ({ spec, kubeconfig }),
      resyncIntervalMs: 60_000,
      debounceMs: 50,
      onReverted: (_id, changed) => reverted.push(changed),
    });
    try {
      void reconciler.reconcile(computeId);
      await new Promise((r) => setTimeout(r, 300));

      const live: V1Deployment = await deployment();
      live.spec!.replicas = 7;
      live.spec!.template.spec!.containers[0].image = 'evil/image:6.6.6';
      live.spec!.template.spec!.containers[0].resources!.limits!.memory = '2Gi';
      live.metadata!.annotations = { ...live.metadata!.annotations, 'example.com/owner': 'ops' };
      await apps.replaceNamespacedDeployment({ name: 'azureml-fe', namespace: NAMESPACE, body: live });

      const restored = await eventually(
        'the drift to be reverted',
        async () => {
          const d = await deployment();
          const done = d.spec?.replicas === 3 && d.spec.template.spec?.containers[0].image === spec.image;
          // onReverted comes once the whole reconcile is over.
          return done && reverted.flat().includes('Deployment/azureml-fe') ? d : undefined;
        },
        5_000,
      );
      const container = restored.spec!.template.spec!.containers[0];
      expect(container.resources?.limits?.memory).toBe('2Gi');
      expect(container.resources?.requests).toEqual({ cpu: '100m', memory: '256Mi' });
      expect(restored.metadata?.annotations?.['example.com/owner']).toBe('ops');

      // A deleted ConfigMap and an edited Service come back too.
      await core.deleteNamespacedConfigMap({ name: 'azuremlfeconfig', namespace: NAMESPACE });
      const svc = await service();
      svc.spec!.ports![0].targetPort = 8080 as never;
      await core.replaceNamespacedService({ name: 'azureml-fe', namespace: NAMESPACE, body: svc });
      await eventually(
        'the config map and the service port to be restored',
        async () => {
          const cm = await core.readNamespacedConfigMap({ name: 'azuremlfeconfig', namespace: NAMESPACE }).catch(() => undefined);
          const s = await service();
          return cm && s.spec?.ports?.[0].targetPort === 9001 ? true : undefined;
        },
        5_000,
      );
      // Steady state: the reconciler's own writes settle, the tuned limit survives, nothing keeps changing.
      await readyWithin(spec);
      const settled = await install(kubeconfig, spec);
      expect(settled.changed).toEqual([]);
      expect((await deployment()).spec!.template.spec!.containers[0].resources?.limits?.memory).toBe('2Gi');
    } finally {
      await reconciler.stop();
    }
  });

  it('a widened ClusterRole is narrowed again (watched, and resynced); a compute gone leaves it as it is', async () => {
    const spec: InstallSpec = { ...base, clusterPurpose: 'FastProd' };
    let target: DriftTarget | undefined = { spec, kubeconfig };
    const reconciler = new DriftReconciler({ loadSpec: async () => target, resyncIntervalMs: 300, debounceMs: 50 });
    try {
      const role = await rbac.readClusterRole({ name: 'azureml-fe' });
      role.rules = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
      await rbac.replaceClusterRole({ name: 'azureml-fe', body: role });
      void reconciler.reconcile(computeId);
      await eventually(
        'the cluster role to be restored',
        async () => ((await rbac.readClusterRole({ name: 'azureml-fe' })).rules?.[0].verbs?.includes('*') ? undefined : true),
        5_000,
      );
      target = undefined;
      await reconciler.reconcile(computeId);
      // Gone: drift stays.
      const again = await rbac.readClusterRole({ name: 'azureml-fe' });
      again.rules = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
      await rbac.replaceClusterRole({ name: 'azureml-fe', body: again });
      await new Promise((r) => setTimeout(r, 700));
      expect((await rbac.readClusterRole({ name: 'azureml-fe' })).rules?.[0].verbs).toEqual(['*']);
      expect((await install(kubeconfig, spec)).changed).toEqual(['ClusterRole/azureml-fe']);
    } finally {
      await reconciler.stop();
    }
  });

  it('the front end may get only the Secrets scoring Services name, each in its namespace; the reconciler follows the Services and narrows what is widened', async () => {
    const reconciler = new DriftReconciler({ loadSpec: async () => ({ spec: base, kubeconfig }), resyncIntervalMs: 60_000, debounceMs: 50 });
    const api = kubeApi(kubeconfig);
    const scoring = (name: string, namespace: string, secret?: string): V1Service => ({
      metadata: { name, namespace, labels: { 'berth.dev/scoring-service': name }, annotations: secret ? { 'berth.dev/auth-secret': secret } : {} },
      spec: { selector: { app: name }, ports: [{ port: 80 }] },
    });
    const secretReader = (namespace: string) => rbac.readNamespacedRole({ name: 'azureml-fe-secrets', namespace }).catch(() => undefined);
    try {
      await core.createNamespace({ body: { metadata: { name: 'team' } } });
      for (const [namespace, name] of [
        ['team', 'echo-keys'],
        ['team', 'other'],
        ['default', 'default-keys'],
      ]) {
        await core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: { k: 'v' } } });
      }
      await install(kubeconfig, base);
      const { token } = (
        await core.createNamespacedServiceAccountToken({ name: 'azureml-fe', namespace: NAMESPACE, body: { spec: { audiences: [], expirationSeconds: 3600 } } })
      ).status!;
      const getSecret = async (namespace: string, name: string) => {
        const res = await api('GET', `/api/v1/namespaces/${namespace}/secrets/${name}`, { token });
        if (res.status === 403) {
          expect(res.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
          expect(res.body.message).toContain(`secrets "${name}" is forbidden: User "system:serviceaccount:azureml:azureml-fe" cannot get resource "secrets"`);
        }
        return res.status;
      };
      // No scoring Service names a Secret yet: the front end may read none.
      expect(await getSecret('team', 'echo-keys')).toBe(403);

      void reconciler.reconcile(computeId);
      await new Promise((r) => setTimeout(r, 300));
      await core.createNamespacedService({ namespace: 'team', body: scoring('echo', 'team', 'echo-keys') });
      await core.createNamespacedService({ namespace: 'team', body: scoring('plain', 'team') });
      await core.createNamespacedService({ namespace: 'default', body: scoring('other', 'default', 'default-keys') });
      const role = await eventually(
        'the secret readers of both namespaces',
        async () => ((await secretReader('default')) ? secretReader('team') : undefined),
        5_000,
      );
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['echo-keys'], verbs: ['get'] }]);
      const binding = await rbac.readNamespacedRoleBinding({ name: 'azureml-fe-secrets', namespace: 'team' });
      expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'azureml-fe', namespace: NAMESPACE })]);
      expect(await getSecret('team', 'echo-keys')).toBe(200);
      expect(await getSecret('default', 'default-keys')).toBe(200);
      // Nothing else: another Secret of the namespace, the list, the TLS Secret's namespace.
      expect(await getSecret('team', 'other')).toBe(403);
      expect((await api('GET', '/api/v1/namespaces/team/secrets', { token })).status).toBe(403);
      expect((await api('GET', '/api/v1/secrets', { token })).status).toBe(403);
      expect(await getSecret(NAMESPACE, 'azuremlfessl')).toBe(403);

      // Widened by hand, the Role and the ClusterRole are narrowed again by the watches (the resync is a minute away).
      await rbac.replaceNamespacedRole({
        name: 'azureml-fe-secrets',
        namespace: 'team',
        body: { ...role, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }] },
      });
      const clusterRole = await rbac.readClusterRole({ name: 'azureml-fe' });
      await rbac.replaceClusterRole({
        name: 'azureml-fe',
        body: { ...clusterRole, rules: [...clusterRole.rules!, { apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] },
      });
      await eventually(
        'the widened roles to be narrowed',
        async () => {
          const [r, cr] = await Promise.all([secretReader('team'), rbac.readClusterRole({ name: 'azureml-fe' })]);
          return r?.rules?.[0].resourceNames?.length && !cr.rules?.some((rule) => rule.resources?.includes('secrets')) ? true : undefined;
        },
        5_000,
      );
      expect(await getSecret('team', 'other')).toBe(403);

      // A Service that no longer names a Secret (or is gone) takes its grant with it.
      await core.deleteNamespacedService({ name: 'echo', namespace: 'team' });
      await core.deleteNamespacedService({ name: 'other', namespace: 'default' });
      await eventually('the secret readers to go', async () => (!(await secretReader('team')) && !(await secretReader('default')) ? true : undefined), 5_000);
      expect(await getSecret('team', 'echo-keys')).toBe(403);
      expect((await install(kubeconfig, base)).changed).toEqual([]);
    } finally {
      await reconciler.stop();
      await core.deleteNamespace({ name: 'team' }).catch(() => undefined);
      for (const name of ['plain', 'echo']) await core.deleteNamespacedService({ name, namespace: 'team' }).catch(() => undefined);
      await core.deleteNamespacedSecret({ name: 'default-keys', namespace: 'default' }).catch(() => undefined);
    }
  });

  it('watches the server ends are restarted; a reconcile after the spec changed applies the new one', async () => {
    const devTest: InstallSpec = { ...base, clusterPurpose: 'DevTest' };
    const fastProd: InstallSpec = { ...base, clusterPurpose: 'FastProd' };
    let spec = devTest;
    const warnings: object[] = [];
    const reconciler = new DriftReconciler({
      loadSpec: async () => ({ spec, kubeconfig }),
      resyncIntervalMs: 60_000,
      debounceMs: 50,
      watchTimeoutSeconds: 1,
      log: { info() {}, warn: (o) => warnings.push(o) },
    });
    try {
      void reconciler.reconcile(computeId);
      await eventually('DevTest: 1 replica', async () => ((await replicas()) === 1 ? true : undefined), 5_000);
      spec = fastProd;
      void reconciler.reconcile(computeId);
      await eventually('FastProd: 3 replicas', async () => ((await replicas()) === 3 ? true : undefined), 5_000);
      // Every watch has been ended by the server (after 1 s) and started again since.
      await new Promise((r) => setTimeout(r, 2_500));
      const live = await deployment();
      live.spec!.replicas = 5;
      await apps.replaceNamespacedDeployment({ name: 'azureml-fe', namespace: NAMESPACE, body: live });
      await eventually('the scale to be reverted by a restarted watch', async () => ((await replicas()) === 3 ? true : undefined), 3_000);
      expect(warnings).toEqual([]);
    } finally {
      await reconciler.stop();
    }
  });

  it('reads the spec at every reconcile: a compute gone loses its watches and resync until reconciled again', async () => {
    const spec: InstallSpec = { ...base, clusterPurpose: 'FastProd' };
    let target: DriftTarget | undefined = { spec, kubeconfig };
    let loads = 0;
    const reconciler = new DriftReconciler({
      loadSpec: async (id) => {
        expect(id).toBe(computeId.toLowerCase());
        loads++;
        return target;
      },
      resyncIntervalMs: 300,
      debounceMs: 50,
    });
    try {
      // reconcile() resolves once a reconcile that read the spec after the call has applied it.
      await reconciler.reconcile(computeId);
      expect(loads).toBe(1);
      expect(await replicas()).toBe(3);
      await eventually('resyncs that read the spec again', async () => (loads >= 3 ? true : undefined), 5_000);

      target = undefined;
      await reconciler.reconcile(computeId);
      // An event that came during that reconcile may still make one more; none comes after it.
      await new Promise((r) => setTimeout(r, 200));
      const loadsWhenGone = loads;
      const live = await deployment();
      live.spec!.replicas = 5;
      await apps.replaceNamespacedDeployment({ name: 'azureml-fe', namespace: NAMESPACE, body: live });
      await new Promise((r) => setTimeout(r, 700));
      // No watch reverted the scale, and no resync read the spec.
      expect(await replicas()).toBe(5);
      expect(loads).toBe(loadsWhenGone);

      target = { spec, kubeconfig };
      await reconciler.reconcile(computeId);
      expect(await replicas()).toBe(3);
    } finally {
      await reconciler.stop();
    }
  });

  it('objects stamped by another installer version are upgraded in place', async () => {
    const spec: InstallSpec = { ...base, clusterPurpose: 'FastProd' };
    // The cluster's controllers write the Deployment's status meanwhile: read, stamp and replace until no conflict.
    async function stampOldVersion<T extends { metadata?: { annotations?: Record<string, string> } }>(
      read: () => Promise<T>,
      write: (obj: T) => Promise<unknown>,
    ): Promise<T> {
      for (let attempt = 0; ; attempt++) {
        const obj = await read();
        obj.metadata!.annotations!['berth.dev/installer-version'] = '0.9.0';
        try {
          await write(obj);
          return obj;
        } catch (err) {
          if (attempt >= 5 || (err as { code?: number }).code !== 409) throw err;
        }
      }
    }
    const before = await stampOldVersion(deployment, (body) => apps.replaceNamespacedDeployment({ name: 'azureml-fe', namespace: NAMESPACE, body }));
    await stampOldVersion(
      () => rbac.readClusterRole({ name: 'azureml-fe' }),
      (body) => rbac.replaceClusterRole({ name: 'azureml-fe', body }),
    );

    const { changed } = await install(kubeconfig, spec);
    expect(changed.sort()).toEqual(['ClusterRole/azureml-fe', 'Deployment/azureml-fe']);
    const after = await deployment();
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    expect(after.metadata?.annotations?.['berth.dev/installer-version']).toBe(INSTALLER_VERSION);
    expect((await rbac.readClusterRole({ name: 'azureml-fe' })).metadata?.annotations?.['berth.dev/installer-version']).toBe(INSTALLER_VERSION);
  });

  it('refuses objects of another compute; cluster errors name the object and the cause', async () => {
    const other = { ...base, computeId: `${computeId}-other`, computeName: 'other' };
    const err = await install(kubeconfig, other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstallerError);
    expect((err as InstallerError).reason).toBe('OwnedByAnotherCompute');
    expect((err as Error).message).toMatch(/Namespace azureml belongs to another compute .*myaks/);

    const port = await freePort();
    const dead = kubeconfig.replace(/server: https:\/\/[^/\s]+/, `server: https://127.0.0.1:${port}`);
    const down = await install(dead, base).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(InstallerError);
    expect((down as Error).message).toMatch(/Namespace azureml failed: .*ECONNREFUSED/);
    const ready = await readiness(dead, base).catch((e: unknown) => e);
    expect((ready as Error).message).toMatch(/azureml-fe failed: .*ECONNREFUSED/);

    const aborted = await install(kubeconfig, base, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((aborted as Error).name).toBe('AbortError');
  });

  it('a failing API server (5xx, reset connection) gives errors that name the object and the cause', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/api/v1') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'APIResourceList',
            groupVersion: 'v1',
            resources: [{ name: 'namespaces', namespaced: false, kind: 'Namespace', verbs: ['get'] }],
          }),
        );
      } else if (req.url?.startsWith('/api/v1/namespaces/azureml')) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', message: 'etcd is unavailable', code: 503 }),
        );
      } else {
        req.socket.destroy();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const fake = (path = '') =>
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: fake, cluster: {server: "http://127.0.0.1:' + port + path + '", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: c, context: {cluster: fake, user: u}}]',
        'current-context: c',
      ].join('\n');
    try {
      const unavailable = await install(fake(), base).catch((e: unknown) => e);
      expect(unavailable).toBeInstanceOf(InstallerError);
      expect((unavailable as InstallerError).statusCode).toBe(503);
      expect((unavailable as Error).message).toBe('read Namespace azureml failed: 503 ServiceUnavailable: etcd is unavailable');
      const reset = await install(fake('/elsewhere'), base).catch((e: unknown) => e);
      expect(reset).toBeInstanceOf(InstallerError);
      expect((reset as Error).message).toMatch(/^read Namespace azureml failed: .*socket hang up/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('uninstall removes every object of the compute, cluster-scoped too, leaves the cluster namespaces, and is idempotent', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'unrelated' }, data: { a: 'b' } } });
    const { deleted } = await uninstall(kubeconfig, computeId);
    expect(deleted).toEqual([
      'Service/azureml-fe',
      'Deployment/azureml-fe',
      'ConfigMap/azureml-fe-app',
      'ConfigMap/azuremlfeconfig',
      'ServiceAccount/azureml-fe',
      'ClusterRoleBinding/azureml-fe',
      'ClusterRole/azureml-fe',
      'Namespace/azureml',
    ]);
    expect(await labelled(kc, computeId)).toEqual({
      namespaces: [],
      serviceAccounts: [],
      configMaps: [],
      secrets: [],
      services: [],
      deployments: [],
      clusterRoles: [],
      clusterRoleBindings: [],
    });
    expect(await notFound(() => core.readNamespace({ name: NAMESPACE }))).toBe(true);
    expect(await notFound(() => rbac.readClusterRole({ name: 'azureml-fe' }))).toBe(true);
    expect(await notFound(() => rbac.readClusterRoleBinding({ name: 'azureml-fe' }))).toBe(true);
    const namespaces = (await core.listNamespace()).items.map((n) => n.metadata!.name);
    expect(namespaces).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
    expect((await core.readNamespacedConfigMap({ name: 'unrelated', namespace: 'default' })).data).toEqual({ a: 'b' });
    expect((await core.listNode()).items).toHaveLength(3);
    expect(await uninstall(kubeconfig, computeId)).toEqual({ deleted: [] });
    expect(await readiness(kubeconfig, base)).toMatchObject({ ready: false, reason: expect.stringMatching(/does not exist/), readyReplicas: 0 });
  });

  it('uninstall keeps a namespace that holds others’ objects, without Berth’s labels', async () => {
    await install(kubeconfig, base);
    await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: { metadata: { name: 'someone-elses' }, data: { x: 'y' } } });
    const { deleted } = await uninstall(kubeconfig, computeId);
    expect(deleted).not.toContain('Namespace/azureml');
    const ns = await core.readNamespace({ name: NAMESPACE });
    expect(ns.metadata?.labels?.['berth.dev/compute']).toBeUndefined();
    expect(ns.metadata?.annotations?.['berth.dev/compute-id']).toBeUndefined();
    expect((await core.readNamespacedConfigMap({ name: 'someone-elses', namespace: NAMESPACE })).data).toEqual({ x: 'y' });
    expect(await labelled(kc, computeId)).toMatchObject({ namespaces: [], deployments: [], services: [], clusterRoles: [] });

    // Installing into a namespace someone else owns uses it without adopting it.
    const { changed } = await install(kubeconfig, base);
    expect(changed).not.toContain('Namespace/azureml');
    expect((await core.readNamespace({ name: NAMESPACE })).metadata?.labels?.['berth.dev/compute']).toBeUndefined();
    await uninstall(kubeconfig, computeId);
    expect((await core.readNamespace({ name: NAMESPACE })).metadata?.name).toBe(NAMESPACE);
  });
});
