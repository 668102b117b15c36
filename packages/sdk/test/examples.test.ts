import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { loadOrCreateCa } from '@berth/pki';
import { AksCompute, ComputeConfigurationError, ComputeTarget, Workspace } from '@berth/sdk';
import { clientFromEnvironment } from '@berth/sdk/node';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { main as createDefault } from '../../../examples/01-create-default.js';
import { main as createDevTest } from '../../../examples/02-create-devtest.js';
import { main as createInVnet } from '../../../examples/03-create-in-existing-vnet.js';
import { main as attach } from '../../../examples/04-attach.js';
import { main as attachDevTest } from '../../../examples/05-attach-devtest.js';
import { main as tlsAuto } from '../../../examples/06-tls-auto.js';
import { main as tlsCustom } from '../../../examples/07-tls-custom.js';
import { main as internalLoadBalancer } from '../../../examples/08-internal-load-balancer.js';
import { main as detach } from '../../../examples/09-detach.js';
import { main as detachReattach } from '../../../examples/10-detach-reattach-to-update.js';

/** Every example of examples/ against a fresh embedded Berth, found through BERTH_HOME as a user's would be. */
describe('the examples run against a fresh berth up', () => {
  let berth: TestBerth;
  let files: string;
  const cert = { cert: '', key: '' };

  beforeAll(async () => {
    berth = await startTestBerth({ provisioningDelayMs: 0 });
    process.env.BERTH_HOME = berth.home;
    files = await mkdtemp(join(tmpdir(), 'berth-example-'));
    const ca = await loadOrCreateCa(join(files, 'ca'));
    const issued = await ca.issue({ commonName: 'www.contoso.com', dnsNames: ['www.contoso.com'], validityDays: 365 });
    cert.cert = join(files, 'cert.pem');
    cert.key = join(files, 'key.pem');
    await writeFile(cert.cert, issued.certPem);
    await writeFile(cert.key, issued.keyPem);
  });
  afterAll(async () => {
    delete process.env.BERTH_HOME;
    await berth?.close();
    await rm(files, { recursive: true, force: true });
  });

  const aks = (t: { properties?: unknown }) =>
    (t.properties as { properties: { provisioningState: string; isAttachedCompute: boolean; properties: Record<string, any> } }).properties;

  it('01 creates a cluster with the default configuration', async () => {
    const target = await createDefault();
    expect(target.provisioningState).toBe('Succeeded');
    expect(aks(target).properties).toMatchObject({ agentCount: 3, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'FastProd', loadBalancerType: 'PublicIp' });
    expect(aks(target).properties.systemServices[0]).toMatchObject({ systemServiceType: 'ScoringFrontEnd', publicIpAddress: expect.stringMatching(/^20\./) });
  });

  it('02 creates a DevTest cluster and passes on the warning', async () => {
    const target = await createDevTest();
    expect(target.provisioningState).toBe('Succeeded');
    expect(aks(target).properties.clusterPurpose).toBe('DevTest');
    const keys = await target.getCredentials();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(keys.adminKubeConfig);
    const deployment = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'azureml-fe', namespace: 'azureml' });
    expect(deployment.spec?.replicas).toBe(1);
  });

  it('03 creates a cluster in an existing vnet', async () => {
    const target = await createInVnet();
    expect(target.provisioningState).toBe('Succeeded');
    expect(aks(target).properties.aksNetworkingConfiguration).toMatchObject({
      serviceCidr: '10.0.0.0/16',
      dnsServiceIP: '10.0.0.10',
      subnetId: expect.stringContaining('/virtualNetworks/mynetwork/subnets/default'),
    });
  });

  it('04 and 05 attach existing clusters (05 with fewer than 12 vCPUs, as DevTest)', async () => {
    const attached = await attach();
    expect(aks(attached).isAttachedCompute).toBe(true);
    expect(attached.provisioningState).toBe('Succeeded');
    const small = await attachDevTest();
    expect(aks(small).properties.clusterPurpose).toBe('DevTest');
  });

  it('06 turns on TLS with a generated certificate for contoso######.westus.cloudapp.azure.com', async () => {
    const target = await tlsAuto();
    const host = aks(target).properties.clusterFqdn as string;
    expect(host).toMatch(/^contoso[a-z0-9]{6}\.westus\.cloudapp\.azure\.com$/);
    const keys = await target.getCredentials();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(keys.adminKubeConfig);
    const secret = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: 'azuremlfessl', namespace: 'azureml' });
    const served = new X509Certificate(Buffer.from(secret.data!['cert.pem'], 'base64'));
    expect(served.verify(new X509Certificate(berth.ca).publicKey)).toBe(true);
    expect(served.checkHost(host)).toBe(host);
  });

  it('07 attaches with a custom certificate and cname', async () => {
    const target = await tlsCustom(cert.cert, cert.key);
    expect(target.provisioningState).toBe('Succeeded');
    expect(aks(target).properties.sslConfiguration).toMatchObject({ status: 'Enabled', cname: 'www.contoso.com' });
    expect(aks(target).properties.sslConfiguration.key).toBeUndefined();
  });

  it('08 puts the front end behind an internal load balancer, on create and by update', async () => {
    const { created, updated } = await internalLoadBalancer();
    expect(aks(created).properties.systemServices[0].publicIpAddress).toMatch(/^10\./);
    expect(aks(updated).properties.loadBalancerType).toBe('InternalLoadBalancer');
    expect(aks(updated).properties.systemServices[0].publicIpAddress).toMatch(/^10\./);
  });

  it('09 detaches: the compute goes, the cluster stays', async () => {
    await detach();
    const ws = await Workspace.get('myworkspace', { client: clientFromEnvironment(), resourceGroup: 'myresourcegroup' });
    await expect(ComputeTarget.get(ws, 'attachedaks')).rejects.toMatchObject({ statusCode: 404 });
    const cluster = await berth.request(
      'GET',
      `/subscriptions/${berth.subscriptionId}/resourceGroups/myresourcegroup/providers/Microsoft.ContainerService/managedClusters/myexistingcluster?api-version=2024-08-01`,
    );
    expect(cluster.status).toBe(200);
  });

  it('10 detaches and re-attaches with the certificate again', async () => {
    const target = await detachReattach(cert.cert, cert.key, 'www.contoso.com');
    expect(target.provisioningState).toBe('Succeeded');
    expect(aks(target).isAttachedCompute).toBe(true);
  });

  it('validateConfiguration lists every broken rule before any call', async () => {
    const config = AksCompute.provisioningConfiguration({ agentCount: 2, vmSize: 'Standard_D3_v2', serviceCidr: '10.0.0.0/16', dnsServiceIp: '10.1.0.10' });
    config.enableSsl({ leafDomainLabel: 'contoso' });
    let error: unknown;
    try {
      config.validateConfiguration('9-bad_');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ComputeConfigurationError);
    const codes = (error as ComputeConfigurationError).details.map((d) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['InvalidComputeName', 'InsufficientVcpusForProduction', 'InvalidDNSServiceIP']));
  });
});
