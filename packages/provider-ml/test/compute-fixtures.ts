import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { loadOrCreateCa, type CertificateAuthority } from '@berth/pki';
import { credential, type HttpResponse, type TestBerth } from '../../../test-support/berth.js';
import {
  AKS_API,
  clusterBody,
  clusterCredential,
  kubeApi,
  Kubectl,
  managedClusterPath,
  pollOperation,
  putManagedCluster,
  type ArmCall,
} from '../../../test-support/kube.js';

export const ML_API = 'api-version=2022-10-01';
/** Every LRO of the official client polls this often (Berth's Retry-After: 1 still applies). */
export const POLL = { updateIntervalInMs: 50 };

/** The official `@azure/arm-machinelearning` client against a Berth at `url`, trusting its CA. */
export function mlClient(url: string, ca: string, token: string, subscriptionId: string): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(credential(token), subscriptionId, { endpoint: url, tlsOptions: { ca } } as never);
}

/** Paths of one Berth subscription's ML and ContainerService resources. */
export function paths(sub: string) {
  return {
    group: (rg: string) => `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`,
    workspace: (rg: string, ws: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}?${ML_API}`,
    computes: (rg: string, ws: string) =>
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}/computes?${ML_API}`,
    compute: (rg: string, ws: string, name: string, query = '') =>
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}/computes/${name}?${ML_API}${query}`,
    computeAction: (rg: string, ws: string, name: string, action: string) =>
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}/computes/${name}/${action}?${ML_API}`,
    clusters: (rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters?${AKS_API}`,
    cluster: (rg: string, name: string) => managedClusterPath(sub, rg, name),
    clusterId: (rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`,
  };
}

/** Creates resource groups and workspaces (in westus) through raw calls, waiting for each workspace. */
export async function setUpWorkspaces(call: ArmCall, sub: string, workspaces: Array<[rg: string, ws: string]>): Promise<void> {
  const p = paths(sub);
  await Promise.all(
    workspaces.map(async ([rg, ws]) => {
      const group = await call('PUT', p.group(rg), { body: { location: 'westus' } });
      expect([200, 201]).toContain(group.status);
      const put = await call('PUT', p.workspace(rg, ws), { body: { location: 'westus' } });
      expect(put.status, put.text).toBe(201);
      expect((await pollOperation(call, put.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    }),
  );
}

/** Creates a managed cluster (3 x Standard_D3_v2 by default) through the ContainerService API and waits for it. */
export async function makeCluster(call: ArmCall, sub: string, rg: string, name: string, o: Parameters<typeof clusterBody>[0] = {}): Promise<string> {
  const { operation } = await putManagedCluster(call, paths(sub).cluster(rg, name), clusterBody(o));
  expect(operation.status, JSON.stringify(operation)).toBe('Succeeded');
  return paths(sub).clusterId(rg, name);
}

/** Names of the managed clusters in a resource group. */
export async function clusterNames(call: ArmCall, sub: string, rg: string): Promise<string[]> {
  const res = await call('GET', paths(sub).clusters(rg));
  expect(res.status, res.text).toBe(200);
  return (res.body.value as Array<{ name: string }>).map((c) => c.name).sort();
}

/**
 * What a rejected request must leave as it was: the workspace's computes (whole
 * bodies), the managed clusters of the given groups (whole bodies), and the
 * namespaces of the given clusters' Kubernetes APIs.
 */
export async function snapshot(call: ArmCall, sub: string, o: { rg: string; ws: string; clusterGroups: string[]; clusterApis?: string[] }): Promise<unknown> {
  const p = paths(sub);
  const computes = await call('GET', p.computes(o.rg, o.ws));
  expect(computes.status, computes.text).toBe(200);
  const clusters: Record<string, unknown> = {};
  for (const rg of o.clusterGroups) {
    const res = await call('GET', p.clusters(rg));
    expect(res.status, res.text).toBe(200);
    clusters[rg] = res.body.value;
  }
  const namespaces: Record<string, string[]> = {};
  for (const clusterPath of o.clusterApis ?? []) {
    const api = kubeApi(await clusterCredential(call, clusterPath, 'admin'));
    const res = await api('GET', '/api/v1/namespaces');
    namespaces[clusterPath] = (res.body.items as Array<{ metadata: { name: string } }>).map((n) => n.metadata.name).sort();
  }
  return { computes: computes.body.value, clusters, namespaces };
}

/** Addresses of RFC 1918 private networks: where an internal load balancer's front end lives. */
export function isPrivateIp(ip: string): boolean {
  return /^10\./.test(ip) || /^192\.168\./.test(ip) || /^172\.(1[6-9]|2\d|3[01])\./.test(ip);
}

/** The ARM error of a rejected request, with its details. */
export function armError(res: HttpResponse): { code: string; message: string; details?: Array<{ code: string; target?: string; message: string }> } {
  expect(res.body?.error, res.text).toBeDefined();
  return res.body.error;
}

/** Every `299 - "..."` warning text of a `Warning` header. */
export function warnings(res: { headers: Record<string, string | string[] | undefined> }): string[] {
  const header = res.headers['warning'];
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  return [...text.matchAll(/299 - "([^"]*)"/g)].map((m) => m[1]);
}

/** A throwaway CA (not Berth's) that issues certificates for custom TLS. */
export async function throwawayCa(): Promise<{ ca: CertificateAuthority; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-test-ca-'));
  return { ca: await loadOrCreateCa(dir), close: () => rm(dir, { recursive: true, force: true }) };
}

/** kubectl on the admin kubeconfig that `listKeys` returned for a compute. */
export async function kubectlFor(client: AzureMachineLearningWorkspaces, rg: string, ws: string, compute: string): Promise<Kubectl> {
  const keys = (await client.computeOperations.listKeys(rg, ws, compute)) as { adminKubeConfig?: string };
  expect(keys.adminKubeConfig).toContain('apiVersion');
  return Kubectl.create(keys.adminKubeConfig!);
}

/** `kubectl get <what> -o json`, parsed. */
export async function kubectlJson(kubectl: Kubectl, args: string[]): Promise<any> {
  return JSON.parse(await kubectl.ok(['get', ...args, '-o', 'json']));
}

/** True when `certPem` was signed by `caPem`. */
export function signedBy(certPem: string, caPem: string): boolean {
  const ca = new X509Certificate(caPem);
  const cert = new X509Certificate(certPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** Polls `check` until it returns a value other than undefined (each poll ~50 ms apart); fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every namespace, Deployment, Service, ConfigMap and Secret of a cluster with its resourceVersion, read with the cluster's admin kubeconfig. */
export async function clusterObjects(berth: TestBerth, rg: string, cluster: string): Promise<Record<string, string>> {
  const api = kubeApi(await clusterCredential(berth.request, paths(berth.subscriptionId).cluster(rg, cluster), 'admin'));
  const out: Record<string, string> = {};
  for (const path of ['/api/v1/namespaces', '/apis/apps/v1/deployments', '/api/v1/services', '/api/v1/configmaps', '/api/v1/secrets']) {
    const res = await api('GET', path);
    expect(res.status, res.text).toBe(200);
    for (const item of res.body.items as Array<{ metadata: { namespace?: string; name: string; resourceVersion: string } }>) {
      out[`${path.split('/').pop()}/${item.metadata.namespace ?? ''}/${item.metadata.name}`] = item.metadata.resourceVersion;
    }
  }
  return out;
}

export { AKS_API, clusterBody, clusterCredential, kubeApi, Kubectl, pollOperation };
