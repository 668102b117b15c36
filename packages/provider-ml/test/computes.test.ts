import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { AzureMachineLearningWorkspaces, ComputeResource } from '@azure/arm-machinelearning';
import { startTestBerth, testStores, waitForOperation, type TestBerth } from '../../../test-support/berth.js';
import {
  armError,
  clusterNames,
  isPrivateIp,
  kubectlFor,
  kubectlJson,
  makeCluster,
  mlClient,
  paths,
  POLL,
  setUpWorkspaces,
  signedBy,
  snapshot,
  throwawayCa,
  until,
  warnings,
  type Kubectl,
} from './compute-fixtures.js';

const ML = 'Microsoft.MachineLearningServices';

describe.each(testStores())('inference clusters on %s', (store) => {
  let berth: TestBerth;
  let client: AzureMachineLearningWorkspaces;
  let sub: string;
  let p: ReturnType<typeof paths>;
  const kubectls: Kubectl[] = [];

  /** kubectl with the admin kubeconfig of a compute's listKeys (closed after the suite). */
  async function kubectl(rg: string, ws: string, compute: string): Promise<Kubectl> {
    const k = await kubectlFor(client, rg, ws, compute);
    kubectls.push(k);
    return k;
  }

  async function getCompute(rg: string, ws: string, name: string): Promise<any> {
    const res = await berth.request('GET', p.compute(rg, ws, name));
    expect(res.status, res.text).toBe(200);
    return res.body;
  }

  async function patchCompute(rg: string, ws: string, name: string, body: unknown) {
    const res = await berth.request('PATCH', p.compute(rg, ws, name), { body });
    const status = res.headers['azure-asyncoperation'] as string | undefined;
    return { res, operation: status ? await waitForOperation(berth, status) : undefined };
  }

  beforeAll(async () => {
    berth = await startTestBerth({ store, resyncIntervalMs: 1000 });
    sub = berth.subscriptionId;
    p = paths(sub);
    client = mlClient(berth.url, berth.ca, berth.token, sub);
    await setUpWorkspaces(berth.request, sub, [
      ['ml-rg', 'ml-ws'],
      ['bad-rg', 'bad-ws'],
      ['race-rg', 'race-ws'],
    ]);
    expect((await berth.request('PUT', p.group('clusters-rg'), { body: { location: 'westus' } })).status).toBe(201);
  });
  afterAll(async () => {
    await Promise.all(kubectls.map((k) => k.close()));
    await berth?.close();
  });

  it.concurrent("creates the article's default cluster, keeps its front end as installed, scales it from 3 to 5 nodes and deletes it", async () => {
    const statuses: number[] = [];
    const created: ComputeResource = await client.computeOperations.beginCreateOrUpdateAndWait(
      'ml-rg',
      'ml-ws',
      'myaks',
      { properties: { computeType: 'AKS' } },
      {
        ...POLL,
        onResponse: (raw) => statuses.push(raw.status),
      },
    );
    expect(statuses[0]).toBe(201);
    const props = created.properties as any;
    expect(props.provisioningState).toBe('Succeeded');
    expect(props.isAttachedCompute).toBe(false);
    expect(props.computeLocation).toBe('westus');
    expect(props.properties).toMatchObject({
      agentCount: 3,
      agentVmSize: 'Standard_D3_v2',
      clusterPurpose: 'FastProd',
      loadBalancerType: 'PublicIp',
      sslConfiguration: { status: 'Disabled' },
    });
    expect(props.resourceId).toMatch(
      new RegExp(`^/subscriptions/${sub}/resourceGroups/ml-rg/providers/Microsoft\\.ContainerService/managedClusters/myaks-[0-9a-f]{13}$`),
    );
    const [service] = props.properties.systemServices;
    expect(service).toMatchObject({ systemServiceType: 'ScoringFrontEnd', version: expect.any(String) });
    expect(isPrivateIp(service.publicIpAddress)).toBe(false);
    expect(props.properties.clusterFqdn).toBe(service.publicIpAddress);

    // The cluster, through the ContainerService API: the region's default version, 3 x D3_v2, Basic load balancer.
    const clusterName = props.resourceId.split('/').pop();
    const cluster = (await berth.request('GET', p.cluster('ml-rg', clusterName))).body;
    expect(cluster.properties.agentPoolProfiles).toEqual([expect.objectContaining({ count: 3, vmSize: 'Standard_D3_v2' })]);
    expect(cluster.properties.networkProfile.loadBalancerSku.toLowerCase()).toBe('basic');
    const versions = (
      await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.ContainerService/locations/westus/orchestrators?api-version=2019-08-01`)
    ).body;
    const defaultVersion = versions.properties.orchestrators.find((o: { default?: boolean }) => o.default).orchestratorVersion;
    expect(cluster.properties.kubernetesVersion).toBe(defaultVersion);

    // Nothing secret in a GET.
    const got = await berth.request('GET', p.compute('ml-rg', 'ml-ws', 'myaks'));
    expect(got.text).not.toMatch(/kubeconfig|BEGIN|token/i);

    // What Berth installed, seen by kubectl with the admin kubeconfig of listKeys.
    const k = await kubectl('ml-rg', 'ml-ws', 'myaks');
    const deploy = await kubectlJson(k, ['deploy/azureml-fe', '-n', 'azureml']);
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.status.readyReplicas).toBe(3);
    expect(deploy.metadata.labels['app.kubernetes.io/managed-by']).toBe('berth');
    expect(deploy.metadata.annotations['berth.dev/compute-id']).toBe(created.id);
    const image = deploy.spec.template.spec.containers[0].image;
    const svc = await kubectlJson(k, ['svc/azureml-fe', '-n', 'azureml']);
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports.map((x: { port: number }) => x.port)).toEqual([80]);
    expect(svc.status.loadBalancer.ingress[0].ip).toBe(service.publicIpAddress);
    const rest = await kubectlJson(k, [
      'serviceaccount/azureml-fe',
      'configmap/azuremlfeconfig',
      'clusterrole/azureml-fe',
      'clusterrolebinding/azureml-fe',
      '-n',
      'azureml',
    ]);
    expect(rest.items.map((i: { kind: string }) => i.kind)).toEqual(['ServiceAccount', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding']);
    expect(rest.items[1].data).toMatchObject({ CLUSTER_PURPOSE: 'FastProd', WORKSPACE_NAME: 'ml-ws', COMPUTE_NAME: 'myaks' });
    expect((await k.run(['get', 'secret/azuremlfessl', '-n', 'azureml'])).stderr).toMatch(/NotFound/);

    // R12: a memory limit is the user's to tune and stays; replicas and image go back within seconds.
    await k.ok(['set', 'resources', 'deploy/azureml-fe', '-n', 'azureml', '--limits=memory=2Gi']);
    const changedAt = Date.now();
    await k.ok(['scale', 'deploy/azureml-fe', '-n', 'azureml', '--replicas', '7']);
    await k.ok(['set', 'image', 'deploy/azureml-fe', '-n', 'azureml', 'azureml-fe=example.com/evil:1']);
    const reverted = await until(
      'replicas and image to be reverted',
      async () => {
        const d = await kubectlJson(k, ['deploy/azureml-fe', '-n', 'azureml']);
        return d.spec.replicas === 3 && d.spec.template.spec.containers[0].image === image ? d : undefined;
      },
      5000,
    );
    expect(Date.now() - changedAt).toBeLessThan(5000);
    expect(reverted.spec.template.spec.containers[0].resources.limits.memory).toBe('2Gi');
    // The cluster role is not watched: the periodic resync (1 s here) puts it back.
    await k.ok(['delete', 'clusterrole/azureml-fe']);
    await until('the cluster role to be restored', async () => ((await k.run(['get', 'clusterrole/azureml-fe'])).code === 0 ? true : undefined), 5000);

    // A workspace with computes cannot be deleted.
    const wsDelete = await berth.request('DELETE', p.workspace('ml-rg', 'ml-ws'));
    expect(wsDelete.status).toBe(409);
    expect(armError(wsDelete).code).toBe('WorkspaceHasComputes');

    // R11: the VM size cannot change; the node count follows R2.
    const resize = await berth.request('PATCH', p.compute('ml-rg', 'ml-ws', 'myaks'), {
      body: { properties: { properties: { agentVmSize: 'Standard_D4_v2' } } },
    });
    expect(resize.status).toBe(400);
    expect(armError(resize).code).toBe('VmSizeChangeNotAllowed');
    const tooSmall = await berth.request('PATCH', p.compute('ml-rg', 'ml-ws', 'myaks'), { body: { properties: { properties: { agentCount: 2 } } } });
    expect(tooSmall.status).toBe(400);
    expect(armError(tooSmall).message).toContain('2 nodes x 4 vCPUs (Standard_D3_v2) = 8');

    // Scale 3 → 5 with the official client (scaleSettings.maxNodeCount is the node count).
    const scaled = await client.computeOperations.beginUpdateAndWait('ml-rg', 'ml-ws', 'myaks', { properties: { scaleSettings: { maxNodeCount: 5 } } }, POLL);
    expect((scaled.properties as any).provisioningState).toBe('Succeeded');
    expect((scaled.properties as any).properties.agentCount).toBe(5);
    const clusterAfter = (await berth.request('GET', p.cluster('ml-rg', clusterName))).body;
    expect(clusterAfter.properties.agentPoolProfiles[0].count).toBe(5);
    const nodes = [];
    for await (const node of client.computeOperations.listNodes('ml-rg', 'ml-ws', 'myaks')) nodes.push(node);
    expect(nodes).toHaveLength(5);
    expect(nodes.every((n) => n.nodeState === 'running')).toBe(true);
    expect((await kubectlJson(k, ['nodes'])).items).toHaveLength(5);

    // Delete: the cluster the workspace created goes too.
    await client.computeOperations.beginDeleteAndWait('ml-rg', 'ml-ws', 'myaks', 'Delete', POLL);
    await expect(client.computeOperations.get('ml-rg', 'ml-ws', 'myaks')).rejects.toMatchObject({ statusCode: 404 });
    expect((await berth.request('GET', p.cluster('ml-rg', clusterName))).status).toBe(404);
  });

  it.concurrent('creates a DevTest cluster of 1 x Standard_D2_v2 with a warning and one front-end replica', async () => {
    const warned: string[] = [];
    const created = await client.computeOperations.beginCreateOrUpdateAndWait(
      'ml-rg',
      'ml-ws',
      'devaks',
      { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } } },
      { ...POLL, onResponse: (raw) => warned.push(...warnings({ headers: { warning: raw.headers.get('warning') } })) },
    );
    expect(warned.join(' ')).toMatch(/DevTest/);
    expect((created.properties as any).properties).toMatchObject({ clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' });
    const k = await kubectl('ml-rg', 'ml-ws', 'devaks');
    const deploy = await kubectlJson(k, ['deploy/azureml-fe', '-n', 'azureml']);
    expect(deploy.spec.replicas).toBe(1);
    expect((await kubectlJson(k, ['nodes'])).items).toHaveLength(1);
    // Below 2 vCPUs a DevTest cluster is still accepted, with a warning showing the arithmetic.
    const tiny = await berth.request('PUT', p.compute('ml-rg', 'ml-ws', 'tinyaks'), {
      body: { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D1_v2' } } },
    });
    expect(tiny.status, tiny.text).toBe(201);
    expect(warnings(tiny).join(' ')).toContain('1 node x 1 vCPUs (Standard_D1_v2) = 1');
    expect((await waitForOperation(berth, tiny.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    await client.computeOperations.beginDeleteAndWait('ml-rg', 'ml-ws', 'tinyaks', 'Delete', POLL);
  });

  it.concurrent('creates a cluster with an internal load balancer: the scoring endpoint gets a private address', async () => {
    const created = await client.computeOperations.beginCreateOrUpdateAndWait(
      'ml-rg',
      'ml-ws',
      'ilbaks',
      { properties: { computeType: 'AKS', properties: { loadBalancerType: 'InternalLoadBalancer', loadBalancerSubnet: 'ilb-subnet' } } },
      POLL,
    );
    const props = (created.properties as any).properties;
    expect(props.loadBalancerType).toBe('InternalLoadBalancer');
    expect(props.loadBalancerSubnet).toBe('ilb-subnet');
    expect(isPrivateIp(props.systemServices[0].publicIpAddress)).toBe(true);
    expect(props.clusterFqdn).toBe(props.systemServices[0].publicIpAddress);
    const svc = await kubectlJson(await kubectl('ml-rg', 'ml-ws', 'ilbaks'), ['svc/azureml-fe', '-n', 'azureml']);
    expect(svc.metadata.annotations).toMatchObject({
      'service.beta.kubernetes.io/azure-load-balancer-internal': 'true',
      'service.beta.kubernetes.io/azure-load-balancer-internal-subnet': 'ilb-subnet',
    });
  });

  it.concurrent('creates a cluster on a service range of its own: the DNS service address is placed in it', async () => {
    const created = await client.computeOperations.beginCreateOrUpdateAndWait(
      'ml-rg',
      'ml-ws',
      'netaks',
      {
        properties: {
          computeType: 'AKS',
          properties: { clusterPurpose: 'DevTest', agentCount: 1, aksNetworkingConfiguration: { serviceCidr: '10.1.0.0/16' } },
        },
      },
      POLL,
    );
    expect((created.properties as any).provisioningState).toBe('Succeeded');
    expect((created.properties as any).properties.aksNetworkingConfiguration).toEqual({ serviceCidr: '10.1.0.0/16', dnsServiceIP: '10.1.0.10' });
    const cluster = (await berth.request('GET', p.cluster('ml-rg', (created.properties as any).resourceId.split('/').pop()))).body;
    expect(cluster.properties.networkProfile).toMatchObject({ serviceCidr: '10.1.0.0/16', dnsServiceIP: '10.1.0.10' });
  });

  it.concurrent(
    "creates a cluster with auto TLS: a certificate from Berth's CA for <label>######.<region>.cloudapp.azure.com in secret azuremlfessl",
    async () => {
      const created = await client.computeOperations.beginCreateOrUpdateAndWait(
        'ml-rg',
        'ml-ws',
        'tlsaks',
        { properties: { computeType: 'AKS', properties: { sslConfiguration: { status: 'Auto', leafDomainLabel: 'contoso' } } } },
        POLL,
      );
      const props = (created.properties as any).properties;
      expect(props.sslConfiguration).toEqual({ status: 'Auto', leafDomainLabel: 'contoso' });
      const fqdn: string = props.clusterFqdn;
      expect(fqdn).toMatch(/^contoso[a-z0-9]{6}\.westus\.cloudapp\.azure\.com$/);
      const k = await kubectl('ml-rg', 'ml-ws', 'tlsaks');
      const secret = parseYaml(await k.ok(['get', 'secret/azuremlfessl', '-n', 'azureml', '-o', 'yaml']));
      const certPem = Buffer.from(secret.data['cert.pem'], 'base64').toString('utf8');
      const keyPem = Buffer.from(secret.data['key.pem'], 'base64').toString('utf8');
      const caPem = await readFile(join(berth.home, 'ca.pem'), 'utf8');
      expect(signedBy(certPem, caPem)).toBe(true);
      const cert = new X509Certificate(certPem);
      expect(cert.checkHost(fqdn)).toBe(fqdn);
      expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
      const svc = await kubectlJson(k, ['svc/azureml-fe', '-n', 'azureml']);
      expect(svc.spec.ports.map((x: { port: number }) => x.port)).toEqual([80, 443]);
      // Neither the key nor the generated certificate shows in a GET.
      const got = await berth.request('GET', p.compute('ml-rg', 'ml-ws', 'tlsaks'));
      expect(got.text).not.toContain('PRIVATE KEY');
      expect(got.text).not.toContain('BEGIN CERTIFICATE');
    },
  );

  it.concurrent(
    'attaches a cluster by resource id, refuses Delete and a second attachment, moves it to an internal load balancer and detaches it',
    async () => {
      const clusterId = await makeCluster(berth.request, sub, 'clusters-rg', 'attach-me');
      const attached = await client.computeOperations.beginCreateOrUpdateAndWait(
        'ml-rg',
        'ml-ws',
        'attached',
        { properties: { computeType: 'AKS', resourceId: clusterId } },
        POLL,
      );
      const props = attached.properties as any;
      expect(props).toMatchObject({ provisioningState: 'Succeeded', isAttachedCompute: true, resourceId: clusterId, computeLocation: 'westus' });
      expect(props.properties).toMatchObject({ agentCount: 3, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'FastProd' });
      const publicIp = props.properties.systemServices[0].publicIpAddress;
      expect(isPrivateIp(publicIp)).toBe(false);

      // R5: the same spec again is a 200 that changes nothing; another spec is a 409.
      const again = await berth.request('PUT', p.compute('ml-rg', 'ml-ws', 'attached'), {
        body: { properties: { computeType: 'AKS', resourceId: clusterId } },
      });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(await getCompute('ml-rg', 'ml-ws', 'attached'));
      const before = await getCompute('ml-rg', 'ml-ws', 'attached');
      const other = await berth.request('PUT', p.compute('ml-rg', 'ml-ws', 'attached'), {
        body: { properties: { computeType: 'AKS', resourceId: clusterId, description: 'changed' } },
      });
      expect(other.status).toBe(409);
      expect(armError(other).code).toBe('ComputeAlreadyExists');
      expect(armError(other).message).toMatch(/already exists/);
      expect(armError(other).message).toMatch(/PATCH/);
      expect(await getCompute('ml-rg', 'ml-ws', 'attached')).toEqual(before);

      // Delete is for clusters the workspace created.
      await expect(client.computeOperations.beginDeleteAndWait('ml-rg', 'ml-ws', 'attached', 'Delete', POLL)).rejects.toMatchObject({
        statusCode: 400,
        code: 'DeleteNotAllowedForAttachedCompute',
      });
      expect(await getCompute('ml-rg', 'ml-ws', 'attached')).toEqual(before);
      expect((await berth.request('GET', p.cluster('clusters-rg', 'attach-me'))).status).toBe(200);

      // Scaling is for clusters the workspace created, too.
      const scale = await berth.request('PATCH', p.compute('ml-rg', 'ml-ws', 'attached'), { body: { properties: { properties: { agentCount: 4 } } } });
      expect(scale.status).toBe(400);
      expect(armError(scale).code).toBe('ScaleAttachedCluster');

      // R9: an update moves the front end behind an internal load balancer.
      const { res, operation } = await patchCompute('ml-rg', 'ml-ws', 'attached', {
        properties: { properties: { loadBalancerType: 'InternalLoadBalancer', loadBalancerSubnet: 'inference' } },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.properties.provisioningState).toBe('Updating');
      expect(operation.status).toBe('Succeeded');
      const internal = (await getCompute('ml-rg', 'ml-ws', 'attached')).properties;
      expect(internal.provisioningState).toBe('Succeeded');
      expect(internal.properties.loadBalancerType).toBe('InternalLoadBalancer');
      const privateIp = internal.properties.systemServices[0].publicIpAddress;
      expect(isPrivateIp(privateIp)).toBe(true);
      expect(internal.properties.clusterFqdn).toBe(privateIp);
      const k = await kubectl('ml-rg', 'ml-ws', 'attached');
      expect((await kubectlJson(k, ['svc/azureml-fe', '-n', 'azureml'])).status.loadBalancer.ingress[0].ip).toBe(privateIp);

      // Detach: everything Berth installed goes, the cluster stays.
      await client.computeOperations.beginDeleteAndWait('ml-rg', 'ml-ws', 'attached', 'Detach', POLL);
      await expect(client.computeOperations.get('ml-rg', 'ml-ws', 'attached')).rejects.toMatchObject({ statusCode: 404 });
      const cluster = await berth.request('GET', p.cluster('clusters-rg', 'attach-me'));
      expect(cluster.status).toBe(200);
      expect(cluster.body.properties.provisioningState).toBe('Succeeded');
      const all = await k.run(['get', 'all', '-n', 'azureml']);
      expect(all.code).toBe(0);
      expect(all.stdout).toBe('');
      expect(all.stderr).toMatch(/No resources found/);
      for (const what of ['clusterrole/azureml-fe', 'clusterrolebinding/azureml-fe', 'namespace/azureml']) {
        expect((await k.run(['get', what])).stderr).toMatch(/NotFound/);
      }
      // The attachment is released: the cluster may be attached again, under another name.
      const reattached = await client.computeOperations.beginCreateOrUpdateAndWait(
        'ml-rg',
        'ml-ws',
        'reattached',
        { properties: { computeType: 'AKS', resourceId: clusterId } },
        POLL,
      );
      expect((reattached.properties as any).provisioningState).toBe('Succeeded');
      await client.computeOperations.beginDeleteAndWait('ml-rg', 'ml-ws', 'reattached', 'Detach', POLL);
    },
  );

  it.concurrent('enables TLS with a custom certificate on an attached compute, without a detach', async () => {
    const clusterId = await makeCluster(berth.request, sub, 'clusters-rg', 'tls-target');
    await client.computeOperations.beginCreateOrUpdateAndWait(
      'ml-rg',
      'ml-ws',
      'tlsattached',
      { properties: { computeType: 'AKS', resourceId: clusterId } },
      POLL,
    );
    const { ca, close } = await throwawayCa();
    try {
      const issued = await ca.issue({ commonName: 'scoring.contoso.com', dnsNames: ['scoring.contoso.com'], validityDays: 365 });
      const ssl = { status: 'Enabled', cert: issued.certPem, key: issued.keyPem, cname: 'scoring.contoso.com' };
      const { res, operation } = await patchCompute('ml-rg', 'ml-ws', 'tlsattached', { properties: { properties: { sslConfiguration: ssl } } });
      expect(res.status, res.text).toBe(200);
      expect(warnings(res)).toEqual([]);
      expect(operation.status).toBe('Succeeded');
      const after = await getCompute('ml-rg', 'ml-ws', 'tlsattached');
      expect(after.properties.properties.sslConfiguration).toEqual({ status: 'Enabled', cert: issued.certPem, cname: 'scoring.contoso.com' });
      expect(after.properties.properties.clusterFqdn).toBe('scoring.contoso.com');
      expect(JSON.stringify(after)).not.toContain('PRIVATE KEY');
      const k = await kubectl('ml-rg', 'ml-ws', 'tlsattached');
      const secret = parseYaml(await k.ok(['get', 'secret/azuremlfessl', '-n', 'azureml', '-o', 'yaml']));
      expect(Buffer.from(secret.data['cert.pem'], 'base64').toString('utf8')).toBe(issued.certPem);
      expect(Buffer.from(secret.data['key.pem'], 'base64').toString('utf8')).toBe(issued.keyPem);
      expect((await kubectlJson(k, ['svc/azureml-fe', '-n', 'azureml'])).spec.ports.map((x: { port: number }) => x.port)).toEqual([80, 443]);

      // A certificate that expires within 30 days is taken, with a warning.
      const soon = await ca.issue({ commonName: 'scoring.contoso.com', dnsNames: ['*.contoso.com'], validityDays: 10 });
      const renewed = await patchCompute('ml-rg', 'ml-ws', 'tlsattached', {
        properties: { properties: { sslConfiguration: { ...ssl, cert: soon.certPem, key: soon.keyPem } } },
      });
      expect(renewed.res.status, renewed.res.text).toBe(200);
      expect(warnings(renewed.res).join(' ')).toMatch(/expires on .* in less than 30 days/);
      expect(renewed.operation.status).toBe('Succeeded');
      await until('the new certificate in the secret', async () => {
        const s = parseYaml(await k.ok(['get', 'secret/azuremlfessl', '-n', 'azureml', '-o', 'yaml']));
        return Buffer.from(s.data['cert.pem'], 'base64').toString('utf8') === soon.certPem ? true : undefined;
      });
    } finally {
      await close();
    }
    await client.computeOperations.beginDeleteAndWait('ml-rg', 'ml-ws', 'tlsattached', 'Detach', POLL);
  });

  it.concurrent('20 simultaneous PUTs of one new name with one spec create exactly one cluster; with 20 specs one wins and 19 get 409', async () => {
    const spec = { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } } };
    const same = await Promise.all(Array.from({ length: 20 }, () => berth.request('PUT', p.compute('race-rg', 'race-ws', 'same'), { body: spec })));
    const codes = same.map((r) => r.status).sort();
    expect(
      codes.filter((c) => c === 201),
      same.map((r) => r.text).join('\n'),
    ).toHaveLength(1);
    expect(codes.every((c) => c === 200 || c === 201)).toBe(true);
    const differing = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        berth.request('PUT', p.compute('race-rg', 'race-ws', 'differing'), {
          body: { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: i + 1, agentVmSize: 'Standard_D2_v2' } } },
        }),
      ),
    );
    // Nothing can be deleted while it is being created.
    const early = await berth.request('DELETE', p.compute('race-rg', 'race-ws', 'same', '&underlyingResourceAction=Delete'));
    expect(early.status).toBe(409);
    expect(armError(early).code).toBe('OperationInProgress');
    const winners = differing.filter((r) => r.status === 201);
    expect(winners, differing.map((r) => r.text).join('\n')).toHaveLength(1);
    const losers = differing.filter((r) => r.status !== 201);
    expect(losers.map((r) => r.status)).toEqual(Array(19).fill(409));
    expect(losers.every((r) => r.body.error.code === 'ComputeAlreadyExists')).toBe(true);
    for (const r of [...same, ...differing]) {
      const status = r.headers['azure-asyncoperation'] as string | undefined;
      if (status) expect((await waitForOperation(berth, status)).status).toBe('Succeeded');
    }
    // Other tests create clusters in race-rg too: count those of these two computes.
    const raced = (await clusterNames(berth.request, sub, 'race-rg')).filter((n) => /^(same|differing)-[0-9a-f]{13}$/.test(n));
    expect(raced).toHaveLength(2);
    const won = await getCompute('race-rg', 'race-ws', 'differing');
    expect(won.properties.properties.agentCount).toBe(winners[0].body.properties.properties.agentCount);
    const k = await kubectl('race-rg', 'race-ws', 'same');
    expect((await kubectlJson(k, ['deploy', '-n', 'azureml'])).items).toHaveLength(1);

    // The list is paged: the official client follows nextLink.
    const names: string[] = [];
    for await (const c of client.computeOperations.list('race-rg', 'race-ws')) names.push(c.name!);
    expect(names).toEqual(expect.arrayContaining(['differing', 'same']));
    expect(new Set(names).size).toBe(names.length);
    const first = await berth.request('GET', `${p.computes('race-rg', 'race-ws')}&$top=1`);
    expect(first.body.value).toHaveLength(1);
    const second = await berth.request('GET', first.body.nextLink);
    expect(second.body.value.map((c: { name: string }) => c.name)).not.toContain(first.body.value[0].name);
  });

  it.concurrent('attaches one cluster once when 10 names race for it (R6), and hands one leaf domain label to one of 5 racing computes', async () => {
    const clusterId = await makeCluster(berth.request, sub, 'clusters-rg', 'contested');
    const attaches = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        berth.request('PUT', p.compute('race-rg', 'race-ws', `claimant-${i}`), { body: { properties: { computeType: 'AKS', resourceId: clusterId } } }),
      ),
    );
    expect(
      attaches.filter((r) => r.status === 201),
      attaches.map((r) => r.text).join('\n'),
    ).toHaveLength(1);
    const refused = attaches.filter((r) => r.status !== 201);
    expect(refused.map((r) => r.status)).toEqual(Array(9).fill(409));
    expect(refused.every((r) => r.body.error.code === 'ClusterAlreadyAttached')).toBe(true);
    const labels = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        berth.request('PUT', p.compute('race-rg', 'race-ws', `labelled-${i}`), {
          body: {
            properties: {
              computeType: 'AKS',
              properties: { clusterPurpose: 'DevTest', agentCount: 1, sslConfiguration: { status: 'Auto', leafDomainLabel: 'northwind' } },
            },
          },
        }),
      ),
    );
    expect(
      labels.filter((r) => r.status === 201),
      labels.map((r) => r.text).join('\n'),
    ).toHaveLength(1);
    expect(labels.filter((r) => r.status !== 201).map((r) => r.body.error.code)).toEqual(Array(4).fill('LeafDomainLabelInUse'));
    for (const r of [...attaches, ...labels]) {
      const status = r.headers['azure-asyncoperation'] as string | undefined;
      if (status) expect((await waitForOperation(berth, status)).status).toBe('Succeeded');
    }
  });

  it.concurrent('deletes a created compute whose cluster was deleted behind its back', async () => {
    const created = await client.computeOperations.beginCreateOrUpdateAndWait(
      'race-rg',
      'race-ws',
      'orphan',
      { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1 } } } as never,
      POLL,
    );
    const clusterName = (created.properties as any).resourceId.split('/').pop();
    const gone = await berth.request('DELETE', p.cluster('race-rg', clusterName));
    expect(gone.status).toBe(202);
    expect((await waitForOperation(berth, gone.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    await client.computeOperations.beginDeleteAndWait('race-rg', 'race-ws', 'orphan', 'Delete', POLL);
    expect((await berth.request('GET', p.compute('race-rg', 'race-ws', 'orphan'))).status).toBe(404);
  });

  it.concurrent('gives a leaf domain label to one compute at a time, unless overwriteExistingDomain takes it over', async () => {
    const auto = (overwrite?: boolean) => ({
      properties: {
        computeType: 'AKS',
        properties: {
          clusterPurpose: 'DevTest',
          agentCount: 1,
          sslConfiguration: { status: 'Auto', leafDomainLabel: 'fabrikam', ...(overwrite ? { overwriteExistingDomain: true } : {}) },
        },
      },
    });
    const first = await client.computeOperations.beginCreateOrUpdateAndWait('race-rg', 'race-ws', 'label-one', auto() as never, POLL);
    const fqdn = (first.properties as any).properties.clusterFqdn;
    expect(fqdn).toMatch(/^fabrikam[a-z0-9]{6}\.westus\.cloudapp\.azure\.com$/);
    const taken = await berth.request('PUT', p.compute('race-rg', 'race-ws', 'label-two'), { body: auto() });
    expect(taken.status).toBe(409);
    expect(armError(taken).code).toBe('LeafDomainLabelInUse');
    expect(armError(taken).message).toContain('label-one');
    expect((await berth.request('GET', p.compute('race-rg', 'race-ws', 'label-two'))).status).toBe(404);
    const second = await client.computeOperations.beginCreateOrUpdateAndWait('race-rg', 'race-ws', 'label-two', auto(true) as never, POLL);
    expect((second.properties as any).properties.clusterFqdn).toBe(fqdn);
  });

  describe('bad input: one 400 (or 409) listing every broken rule, and nothing changed', () => {
    const scope = { rg: 'bad-rg', ws: 'bad-ws', clusterGroups: ['bad-rg', 'clusters-rg'] };
    let held: string;
    let lts: string;
    let fenced: string;
    let elsewhere: string;
    let ca: Awaited<ReturnType<typeof throwawayCa>>;

    beforeAll(async () => {
      const sub2 = await berth.request('PUT', '/providers/Microsoft.Subscription/aliases/other-sub?api-version=2021-10-01', {
        body: { properties: { displayName: 'Other', workload: 'Production' } },
      });
      expect([200, 201]).toContain(sub2.status);
      const otherSub: string = sub2.body.properties.subscriptionId;
      expect((await berth.request('PUT', paths(otherSub).group('elsewhere-rg'), { body: { location: 'westus' } })).status).toBe(201);
      [held, lts, fenced, elsewhere] = await Promise.all([
        makeCluster(berth.request, sub, 'clusters-rg', 'held'),
        makeCluster(berth.request, sub, 'clusters-rg', 'lts', {
          sku: { name: 'Base', tier: 'Premium' },
          properties: { kubernetesVersion: '1.28', supportPlan: 'AKSLongTermSupport' },
        }),
        makeCluster(berth.request, sub, 'clusters-rg', 'fenced', {
          properties: { apiServerAccessProfile: { authorizedIPRanges: ['203.0.113.0/24'] }, networkProfile: { loadBalancerSku: 'standard' } },
        }),
        makeCluster(berth.request, otherSub, 'elsewhere-rg', 'elsewhere'),
      ]);
      await client.computeOperations.beginCreateOrUpdateAndWait('bad-rg', 'bad-ws', 'holder', { properties: { computeType: 'AKS', resourceId: held } }, POLL);
      ca = await throwawayCa();
    });
    afterAll(() => ca?.close());

    /** Sends a PUT through the official client, expects it refused, and checks nothing changed. */
    async function refused(
      name: string,
      aks: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ): Promise<{ statusCode: number; code: string; message: string; details: any[] }> {
      const before = await snapshot(berth.request, sub, scope);
      const err: any = await client.computeOperations
        .beginCreateOrUpdateAndWait('bad-rg', 'bad-ws', name, { properties: { computeType: 'AKS', ...extra, properties: aks } } as never, POLL)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err, `PUT ${name} was accepted`).toBeDefined();
      expect(await snapshot(berth.request, sub, scope)).toEqual(before);
      const body = err.details?.error ?? {};
      return { statusCode: err.statusCode, code: err.code, message: err.message, details: body.details ?? [] };
    }

    it.each([
      ['ab', /2 characters/],
      ['a'.repeat(25), /25 characters/],
      ['1abc', /does not start with a letter/],
      ['abc-', /does not end with a letter or digit/],
      ['ab_c', /other than letters, digits and hyphens/],
    ])('refuses the compute name %s (R1)', async (name, why) => {
      const e = await refused(name, {});
      expect(e).toMatchObject({ statusCode: 400, code: 'InvalidComputeName' });
      expect(e.message).toMatch(why);
      expect(e.message).toMatch(/3 to 24 characters/);
    });

    it('refuses FastProd with 2 x Standard_D3_v2, showing the arithmetic and suggesting DevTest (R2)', async () => {
      const e = await refused('small-prod', { agentCount: 2, agentVmSize: 'Standard_D3_v2' });
      expect(e).toMatchObject({ statusCode: 400, code: 'InsufficientVcpusForProduction' });
      expect(e.message).toContain('2 nodes x 4 vCPUs (Standard_D3_v2) = 8');
      expect(e.message).toContain('12 vCPUs');
      expect(e.message).toContain('DevTest');
    });

    it('refuses an unknown VM size', async () => {
      const e = await refused('unknown-size', { agentVmSize: 'Standard_Nope_v9' });
      expect(e).toMatchObject({ statusCode: 400, code: 'InvalidVmSize' });
      expect(e.message).toContain('Standard_Nope_v9');
    });

    it('refuses a dnsServiceIP outside serviceCidr', async () => {
      const e = await refused('bad-dns', { aksNetworkingConfiguration: { serviceCidr: '10.1.0.0/16', dnsServiceIP: '10.2.0.10' } });
      expect(e).toMatchObject({ statusCode: 400, code: 'InvalidDNSServiceIP' });
      expect(e.message).toContain('10.1.0.0/16');
    });

    it('refuses overlapping CIDRs: service range over the docker bridge, over the nodes subnet, over the pods', async () => {
      const bridge = await refused('overlap-bridge', {
        aksNetworkingConfiguration: { serviceCidr: '10.1.0.0/16', dnsServiceIP: '10.1.0.10', dockerBridgeCidr: '10.1.0.1/16' },
      });
      expect(bridge.statusCode).toBe(400);
      expect(bridge.message).toMatch(/overlaps serviceCidr/);
      const subnet = await refused('overlap-subnet', {
        aksNetworkingConfiguration: {
          subnetId: `/subscriptions/${sub}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks`,
          serviceCidr: '10.240.0.0/16',
          dnsServiceIP: '10.240.0.10',
        },
      });
      expect(subnet).toMatchObject({ statusCode: 400, code: 'ServiceCidrOverlapExistingSubnetsCidr' });
      // Without a subnet of the user's, nodes get AKS's own subnet (10.224.0.0/16) and pods 10.244.0.0/16.
      const managed = await refused('overlap-managed', { aksNetworkingConfiguration: { serviceCidr: '10.224.0.0/16', dnsServiceIP: '10.224.0.10' } });
      expect(managed.statusCode).toBe(400);
      expect(managed.message).toMatch(/overlaps/);
      const pods = await refused('overlap-pods', { aksNetworkingConfiguration: { serviceCidr: '10.244.0.0/16', dnsServiceIP: '10.244.0.10' } });
      expect(pods.statusCode).toBe(400);
      expect(pods.message).toMatch(/overlaps podCidr/);
    });

    it('refuses TLS with a key that does not match, an expired certificate, a cname the certificate does not cover, an internal load balancer', async () => {
      const good = await ca.ca.issue({ commonName: 'scoring.contoso.com', dnsNames: ['scoring.contoso.com'], validityDays: 365 });
      const other = await ca.ca.issue({ commonName: 'other.contoso.com', dnsNames: ['other.contoso.com'], validityDays: 365 });
      const expired = await ca.ca.issue({ commonName: 'scoring.contoso.com', dnsNames: ['scoring.contoso.com'], validityDays: -1 });
      const ssl = (o: Record<string, unknown>) => ({
        sslConfiguration: { status: 'Enabled', cert: good.certPem, key: good.keyPem, cname: 'scoring.contoso.com', ...o },
      });

      const mismatch = await refused('tls-mismatch', ssl({ key: other.keyPem }));
      expect(mismatch).toMatchObject({ statusCode: 400, code: 'KeyDoesNotMatchCertificate' });
      const old = await refused('tls-expired', ssl({ cert: expired.certPem, key: expired.keyPem }));
      expect(old).toMatchObject({ statusCode: 400, code: 'CertificateExpired' });
      expect(old.message).toMatch(/expired on/);
      const uncovered = await refused('tls-cname', ssl({ cname: 'www.fabrikam.com' }));
      expect(uncovered).toMatchObject({ statusCode: 400, code: 'CnameNotInCertificate' });
      expect(uncovered.message).toContain('scoring.contoso.com');
      const internal = await refused('tls-internal', { ...ssl({}), loadBalancerType: 'InternalLoadBalancer' });
      expect(internal).toMatchObject({ statusCode: 400, code: 'TlsWithInternalLoadBalancer' });
      expect(internal.message).toMatch(/not supported with an internal load balancer/);
      expect(internal.message).toMatch(/private address/);
      const auto = await refused('auto-internal', {
        sslConfiguration: { status: 'Auto', leafDomainLabel: 'contoso' },
        loadBalancerType: 'InternalLoadBalancer',
      });
      expect(auto.code).toBe('TlsWithInternalLoadBalancer');
    });

    it('refuses to attach a cluster of another subscription, a missing cluster, an LTS-only version, a cluster fencing Berth out', async () => {
      const foreign = await refused('foreign', {}, { resourceId: elsewhere });
      expect(foreign).toMatchObject({ statusCode: 400, code: 'ClusterInDifferentSubscription' });
      expect(foreign.message).toContain(sub);
      const missing = await refused('missing', {}, { resourceId: p.clusterId('clusters-rg', 'no-such-cluster') });
      expect(missing).toMatchObject({ statusCode: 400, code: 'ClusterNotFound' });
      const old = await refused('lts', {}, { resourceId: lts });
      expect(old).toMatchObject({ statusCode: 400, code: 'UnsupportedKubernetesVersion' });
      expect(old.message).toMatch(/Kubernetes 1\.28\.\d+/);
      const supported = (
        await berth.request('GET', `/subscriptions/${sub}/providers/Microsoft.ContainerService/locations/westus/kubernetesVersions?api-version=2024-08-01`)
      ).body.values
        .filter((v: any) => v.capabilities.supportPlan.includes('KubernetesOfficial'))
        .flatMap((v: any) => Object.keys(v.patchVersions));
      expect(supported.length).toBeGreaterThan(0);
      for (const v of supported) expect(old.message).toContain(v);
      const walled = await refused('fenced', {}, { resourceId: fenced });
      expect(walled).toMatchObject({ statusCode: 400, code: 'AuthorizedIpRangesExcludeControlPlane' });
      expect(walled.message).toContain('203.0.113.0/24');
      expect(walled.message).toContain('127.0.0.1');
    });

    it('refuses a second attachment of one cluster under another name with a 409 naming the first (R6)', async () => {
      const e = await refused('holder-two', {}, { resourceId: held });
      expect(e).toMatchObject({ statusCode: 409, code: 'ClusterAlreadyAttached' });
      expect(e.message).toContain("'holder'");
      expect((await berth.request('GET', p.compute('bad-rg', 'bad-ws', 'holder'))).body.properties.provisioningState).toBe('Succeeded');
    });

    it('answers a different spec on an existing name with 409 and the same spec with 200 (R5)', async () => {
      const before = await snapshot(berth.request, sub, scope);
      const other = await berth.request('PUT', p.compute('bad-rg', 'bad-ws', 'holder'), {
        body: { properties: { computeType: 'AKS', resourceId: held, properties: { clusterPurpose: 'DevTest' } } },
      });
      expect(other.status).toBe(409);
      expect(armError(other).code).toBe('ComputeAlreadyExists');
      expect(armError(other).message).toMatch(/'holder' already exists/);
      const same = await berth.request('PUT', p.compute('bad-rg', 'bad-ws', 'holder'), { body: { properties: { computeType: 'AKS', resourceId: held } } });
      expect(same.status).toBe(200);
      const statuses: number[] = [];
      const again = await client.computeOperations.beginCreateOrUpdateAndWait(
        'bad-rg',
        'bad-ws',
        'holder',
        { properties: { computeType: 'AKS', resourceId: held } },
        { ...POLL, onResponse: (raw) => statuses.push(raw.status) },
      );
      expect(statuses[0]).toBe(200);
      expect((again.properties as any).provisioningState).toBe('Succeeded');
      expect(await snapshot(berth.request, sub, scope)).toEqual(before);
    });

    it('refuses Delete of an attached compute, saying to use Detach', async () => {
      const before = await snapshot(berth.request, sub, scope);
      const res = await berth.request('DELETE', p.compute('bad-rg', 'bad-ws', 'holder', '&underlyingResourceAction=Delete'));
      expect(res.status).toBe(400);
      expect(armError(res).code).toBe('DeleteNotAllowedForAttachedCompute');
      expect(armError(res).message).toMatch(/Detach/);
      const missing = await berth.request('DELETE', p.compute('bad-rg', 'bad-ws', 'holder'));
      expect(missing.status).toBe(400);
      expect(armError(missing).code).toBe('MissingUnderlyingResourceAction');
      expect(await snapshot(berth.request, sub, scope)).toEqual(before);
    });

    it('lists every broken rule of one request in one 400', async () => {
      const before = await snapshot(berth.request, sub, scope);
      const res = await berth.request('PUT', p.compute('bad-rg', 'bad-ws', '9_bad-'), {
        body: {
          properties: {
            computeType: 'AKS',
            properties: {
              agentCount: 2,
              agentVmSize: 'Standard_D3_v2',
              aksNetworkingConfiguration: { serviceCidr: '10.1.0.0/16', dnsServiceIP: '10.9.0.10' },
              loadBalancerType: 'InternalLoadBalancer',
              sslConfiguration: { status: 'Auto', leafDomainLabel: 'contoso' },
            },
          },
        },
      });
      expect(res.status).toBe(400);
      const error = armError(res);
      expect(error.code).toBe('ComputeValidationFailed');
      expect(error.details!.map((d) => d.code).sort()).toEqual([
        'InsufficientVcpusForProduction',
        'InvalidComputeName',
        'InvalidDNSServiceIP',
        'TlsWithInternalLoadBalancer',
      ]);
      for (const d of error.details!) expect(d.message.length).toBeGreaterThan(20);
      expect(await snapshot(berth.request, sub, scope)).toEqual(before);
    });

    it('refuses bad updates without changing anything', async () => {
      const before = await snapshot(berth.request, sub, scope);
      const mismatch = (await ca.ca.issue({ commonName: 'x.contoso.com', dnsNames: ['x.contoso.com'], validityDays: 30 })).certPem;
      const key = (await ca.ca.issue({ commonName: 'x.contoso.com', dnsNames: ['x.contoso.com'], validityDays: 30 })).keyPem;
      const res = await berth.request('PATCH', p.compute('bad-rg', 'bad-ws', 'holder'), {
        body: {
          properties: {
            properties: { sslConfiguration: { status: 'Enabled', cert: mismatch, key, cname: 'x.contoso.com' }, loadBalancerType: 'InternalLoadBalancer' },
          },
        },
      });
      expect(res.status).toBe(400);
      expect(
        armError(res)
          .details!.map((d) => d.code)
          .sort(),
      ).toEqual(['KeyDoesNotMatchCertificate', 'TlsWithInternalLoadBalancer']);
      expect(await snapshot(berth.request, sub, scope)).toEqual(before);
    });
  });

  it('accepts api-version 2021-04-01, and names the compute types it does not manage and the workspace it cannot find', async () => {
    const wrongType = await berth.request('PUT', p.compute('ml-rg', 'ml-ws', 'amlcompute'), { body: { properties: { computeType: 'AmlCompute' } } });
    expect(wrongType.status).toBe(400);
    expect(armError(wrongType).code).toBe('UnsupportedComputeType');
    const older = await berth.request('GET', p.computes('ml-rg', 'ml-ws').replace('2022-10-01', '2021-04-01'));
    expect(older.status).toBe(200);
    const noWs = await berth.request(
      'PUT',
      `/subscriptions/${sub}/resourceGroups/ml-rg/providers/${ML}/workspaces/nope/computes/myaks?api-version=2022-10-01`,
      { body: { properties: { computeType: 'AKS' } } },
    );
    expect(noWs.status).toBe(404);
  });
});
