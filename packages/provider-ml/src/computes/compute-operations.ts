import { randomBytes, X509Certificate } from 'node:crypto';
import type { ArmErrorDetail } from '@berth/arm';
import { ArmError, parentResourceId, parseResourceId } from '@berth/arm';
import { install, InstallerError, INSTALLER_VERSION, readiness, uninstall, type DriftReconciler, type DriftTarget, type InstallSpec } from '@berth/installer';
import type { OperationHandler, StepContext, StepResult } from '@berth/operations';
import type { CertificateAuthority } from '@berth/pki';
import { deleteResourceTree, type Db } from '@berth/store';
import { cloudRefusal, type CloudAccess } from './cloud-access.js';
import type { ComputeBody } from '@berth/shapes';
import { computes } from '../repositories.js';
import type { ComputeSecrets } from './compute-state.js';
import { releaseMarkers } from './compute-markers.js';

export const CREATE_COMPUTE = 'Microsoft.MachineLearningServices/workspaces/computes/write';
export const ATTACH_COMPUTE = 'Microsoft.MachineLearningServices/workspaces/computes/attach';
export const UPDATE_COMPUTE = 'Microsoft.MachineLearningServices/workspaces/computes/update';
export const DELETE_COMPUTE = 'Microsoft.MachineLearningServices/workspaces/computes/delete';

export interface ComputeOpData {
  idKey: string;
  subscriptionId: string;
  clusterGroup: string;
  clusterName: string;
  /** Update: the node count to scale the created cluster to. */
  scaleTo?: number;
  /** Delete: detach only, or also delete the cluster Berth created. */
  action?: 'Detach' | 'Delete';
  /** When waiting for the front end gives up. */
  readyDeadline?: number;
}

export interface ComputeRuntime {
  cloud: CloudAccess;
  secrets: ComputeSecrets;
  reconciler: DriftReconciler;
  ca: CertificateAuthority;
  settings: { frontEndImage: string; frontEndRouter: string; cloudappZone: string; readyTimeoutMs: number };
}

const RENEW_BEFORE_DAYS = 30;

function isPrivateAddress(ip: string): boolean {
  return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip);
}
const AUTO_CERT_DAYS = 90;

async function loadCompute(db: Db, idKey: string): Promise<ComputeBody | undefined> {
  return (await computes.get(db, idKey))?.body;
}

export async function saveCompute(db: Db, idKey: string, change: (body: ComputeBody) => void): Promise<ComputeBody | undefined> {
  const body = await loadCompute(db, idKey);
  if (!body) return undefined;
  change(body);
  body.properties.modifiedOn = new Date().toISOString();
  await computes.update(db, idKey, body, body.properties.modifiedOn);
  return body;
}

/** A random `<label>######` host under the region's cloudapp zone, as R8 describes. */
export function autoTlsHost(label: string, region: string, zone: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const random = [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
  return `${label}${random}.${region}.cloudapp.${zone}`;
}

/** What the installer should put in the cluster for this compute. */
export async function installSpecOf(runtime: ComputeRuntime, idKey: string, body: ComputeBody): Promise<InstallSpec> {
  const p = body.properties.properties;
  const workspaceId = parentResourceId(body.id)!;
  const workspaceName = parseResourceId(workspaceId)!.names[0];
  let tls: InstallSpec['tls'];
  if (p.sslConfiguration.status !== 'Disabled') {
    const [certPem, keyPem] = await Promise.all([runtime.secrets.get(idKey, 'tlsCert'), runtime.secrets.get(idKey, 'tlsKey')]);
    const cname = p.sslConfiguration.status === 'Auto' ? await runtime.secrets.get(idKey, 'autoFqdn') : p.sslConfiguration.cname;
    if (certPem && keyPem) tls = { certPem, keyPem, ...(cname ? { cname } : {}) };
  }
  return {
    computeId: body.id,
    computeName: body.name,
    workspaceName,
    workspaceId,
    clusterPurpose: p.clusterPurpose,
    loadBalancerType: p.loadBalancerType,
    ...(p.loadBalancerSubnet ? { loadBalancerSubnet: p.loadBalancerSubnet } : {}),
    ...(tls ? { tls } : {}),
    image: runtime.settings.frontEndImage,
    router: runtime.settings.frontEndRouter,
  };
}

/** What drift repair keeps in the cluster: the compute's spec and admin kubeconfig while it is installed (Succeeded), nothing otherwise. */
export async function driftTargetOf(runtime: ComputeRuntime, db: Db, idKey: string): Promise<DriftTarget | undefined> {
  const body = await loadCompute(db, idKey);
  if (body?.properties.provisioningState !== 'Succeeded') return undefined;
  const kubeconfig = await runtime.secrets.get(idKey, 'adminKubeConfig');
  return kubeconfig ? { spec: await installSpecOf(runtime, idKey, body), kubeconfig } : undefined;
}

/** Issues (or renews, 30 days before expiry) the certificate of an `Auto` TLS compute from Berth's CA. */
export async function ensureAutoCertificate(runtime: ComputeRuntime, idKey: string, body: ComputeBody): Promise<boolean> {
  if (body.properties.properties.sslConfiguration.status !== 'Auto') return false;
  const host = await runtime.secrets.get(idKey, 'autoFqdn');
  if (!host) throw new Error('the compute has TLS Auto but no generated host name');
  const current = await runtime.secrets.get(idKey, 'tlsCert');
  if (current) {
    const cert = new X509Certificate(current);
    const fresh = new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_DAYS * 86_400_000;
    if (fresh && cert.checkHost(host) !== undefined) return false;
  }
  const issued = await runtime.ca.issue({ commonName: host, dnsNames: [host], validityDays: AUTO_CERT_DAYS });
  await runtime.secrets.put(idKey, 'tlsCert', issued.certPem);
  await runtime.secrets.put(idKey, 'tlsKey', issued.keyPem);
  return true;
}

function clusterParameters(body: ComputeBody, networking: ComputeBody['properties']['properties']['aksNetworkingConfiguration'], count: number) {
  const p = body.properties.properties;
  return {
    location: body.properties.computeLocation,
    identity: { type: 'SystemAssigned' as const },
    tags: { 'created-by': 'berth', 'ml-compute': body.id },
    agentPoolProfiles: [
      {
        name: 'agentpool',
        count,
        vmSize: p.agentVmSize,
        mode: 'System' as const,
        osType: 'Linux' as const,
        ...(networking?.subnetId ? { vnetSubnetID: networking.subnetId } : {}),
      },
    ],
    // Clusters a workspace creates get the Basic load balancer, as in the original (R4: attach for Standard).
    networkProfile: {
      loadBalancerSku: 'basic' as const,
      ...(networking?.serviceCidr ? { serviceCidr: networking.serviceCidr } : {}),
      ...(networking?.dnsServiceIP ? { dnsServiceIP: networking.dnsServiceIP } : {}),
    },
  };
}

/**
 * The steps of every compute operation. Each reads current state, does one
 * idempotent thing and names the next step, so a restart resumes it and a
 * replay changes nothing; errors thrown are retried with backoff by the engine.
 */
export function computeOperationHandlers(runtime: ComputeRuntime): OperationHandler<ComputeOpData>[] {
  const { cloud, secrets, reconciler } = runtime;

  async function kubeconfig(idKey: string): Promise<string> {
    const config = await secrets.get(idKey, 'adminKubeConfig');
    if (!config) throw new Error('the compute has no cluster credentials yet');
    return config;
  }

  /** Without a poller to resume, the cluster's provisioningState tells whether it is done. */
  async function clusterStateByGet(data: ComputeOpData): Promise<{ done: boolean; error?: { code: string; message: string } }> {
    const cluster = await cloud.getCluster(data.subscriptionId, data.clusterGroup, data.clusterName);
    const state = cluster?.provisioningState;
    if (!cluster) return { done: true, error: { code: 'ClusterNotFound', message: 'the managed cluster does not exist' } };
    if (state === 'Succeeded') return { done: true };
    if (state === 'Failed' || state === 'Canceled')
      return { done: true, error: { code: 'ClusterProvisioningFailed', message: `the managed cluster's provisioningState is ${state}` } };
    return { done: false };
  }

  /** Errors no retry can cure end the operation at once, naming the step; others are thrown for the engine to retry. */
  async function run(ctx: StepContext<ComputeOpData>): Promise<StepResult> {
    try {
      return await runStep(ctx);
    } catch (err) {
      const refusal = cloudRefusal(err);
      if (refusal)
        return {
          failed: {
            code: refusal.code,
            message: `Step ${ctx.step}: the ContainerService API refused the call for managed cluster ${ctx.data.clusterName} (${refusal.statusCode}): ${refusal.message}`,
          },
        };
      if (err instanceof InstallerError && err.reason === 'OwnedByAnotherCompute')
        return { failed: { code: 'OwnedByAnotherCompute', message: `Step ${ctx.step}: ${err.message}.` } };
      throw err;
    }
  }

  async function runStep(ctx: StepContext<ComputeOpData>): Promise<StepResult> {
    const { db, data, step } = ctx;
    const body = await loadCompute(db, data.idKey);
    if (!body) return { done: true };
    switch (step) {
      case 'create-cluster': {
        // A replay after the cluster was submitted waits for it instead of submitting again.
        const exists = await cloud.getCluster(data.subscriptionId, data.clusterGroup, data.clusterName);
        if (!exists && !(await secrets.get(data.idKey, 'clusterPoller'))) {
          const state = await cloud.submitClusterPut(
            data.subscriptionId,
            data.clusterGroup,
            data.clusterName,
            clusterParameters(body, body.properties.properties.aksNetworkingConfiguration, body.properties.properties.agentCount),
          );
          await secrets.put(data.idKey, 'clusterPoller', state);
        }
        return { next: 'wait-cluster' };
      }
      case 'scale-cluster': {
        const cluster = await cloud.getCluster(data.subscriptionId, data.clusterGroup, data.clusterName);
        if (!cluster) return { failed: { code: 'ClusterNotFound', message: `Step scale-cluster: the managed cluster ${data.clusterName} no longer exists.` } };
        const pools = (cluster.agentPoolProfiles ?? []).map((p, i) => (i === 0 ? { ...p, count: data.scaleTo } : p));
        const state = await cloud.submitClusterPut(data.subscriptionId, data.clusterGroup, data.clusterName, {
          location: cluster.location,
          agentPoolProfiles: pools,
        });
        await secrets.put(data.idKey, 'clusterPoller', state);
        return { next: 'wait-cluster' };
      }
      case 'wait-cluster': {
        const state = await secrets.get(data.idKey, 'clusterPoller');
        const result = state ? await cloud.pollCluster(data.subscriptionId, state, 'put') : await clusterStateByGet(data);
        if (!result.done) return { next: 'wait-cluster', afterMs: 250 };
        if (result.error) {
          return {
            failed: {
              code: result.error.code,
              message: `Step wait-cluster: the cloud could not ${data.scaleTo ? 'scale' : 'create'} managed cluster ${data.clusterName}: ${result.error.message}`,
            },
          };
        }
        return { next: data.scaleTo ? 'install' : 'fetch-credentials' };
      }
      case 'fetch-credentials': {
        const { admin, user } = await cloud.kubeconfigs(data.subscriptionId, data.clusterGroup, data.clusterName);
        await secrets.put(data.idKey, 'adminKubeConfig', admin);
        await secrets.put(data.idKey, 'userKubeConfig', user);
        return { next: 'install' };
      }
      case 'install': {
        // The compute is not Succeeded, so drift repair lets go of it; once this resolves, no apply of an older spec still runs.
        await reconciler.reconcile(body.id);
        await ensureAutoCertificate(runtime, data.idKey, body);
        await install(await kubeconfig(data.idKey), await installSpecOf(runtime, data.idKey, body), { signal: ctx.signal });
        return { next: 'wait-ready', data: { ...data, readyDeadline: Date.now() + runtime.settings.readyTimeoutMs } };
      }
      case 'wait-ready': {
        const spec = await installSpecOf(runtime, data.idKey, body);
        const config = await kubeconfig(data.idKey);
        const ready = await readiness(config, spec);
        // After a switch between public and internal, the old address lingers until the cloud moves the load balancer.
        if (ready.ready && ready.endpointIp && isPrivateAddress(ready.endpointIp) !== (spec.loadBalancerType === 'InternalLoadBalancer')) {
          ready.ready = false;
          ready.reason = `the load balancer still has the ${isPrivateAddress(ready.endpointIp) ? 'private' : 'public'} address ${ready.endpointIp}`;
        }
        if (!ready.ready) {
          if (ready.failure) {
            return { failed: { code: 'FrontEndNotReady', message: `Step wait-ready: the inference front end cannot start: ${ready.failure}` } };
          }
          if (Date.now() > (data.readyDeadline ?? 0)) {
            return {
              failed: {
                code: 'FrontEndNotReady',
                message: `Step wait-ready: the inference front end did not become ready in ${Math.round(runtime.settings.readyTimeoutMs / 1000)} s: ${ready.reason}`,
              },
            };
          }
          return { next: 'wait-ready', afterMs: 250 };
        }
        await saveCompute(db, data.idKey, (b) => {
          b.properties.provisioningState = 'Succeeded';
          b.properties.provisioningErrors = null;
          b.properties.properties.clusterFqdn = spec.tls?.cname ?? ready.endpointIp ?? null;
          b.properties.properties.systemServices = [
            {
              systemServiceType: 'ScoringFrontEnd',
              publicIpAddress: ready.endpointIp ?? '',
              version: INSTALLER_VERSION,
              ...(ready.localEndpoints ? { localEndpoints: ready.localEndpoints } : {}),
            },
          ];
          if (data.scaleTo) b.properties.properties.agentCount = data.scaleTo;
        });
        void reconciler.reconcile(body.id);
        return { done: true };
      }
      case 'uninstall': {
        // The compute is Deleting: once drift repair has seen that, nothing puts back what uninstall removes.
        await reconciler.reconcile(body.id);
        const config = await secrets.get(data.idKey, 'adminKubeConfig');
        if (config) {
          const cluster = await cloud.getCluster(data.subscriptionId, data.clusterGroup, data.clusterName);
          // A cluster deleted behind Berth's back has nothing left to uninstall.
          if (cluster) await uninstall(config, body.id);
        }
        return { next: data.action === 'Delete' ? 'delete-cluster' : 'remove' };
      }
      case 'delete-cluster': {
        const state = await cloud.submitClusterDelete(data.subscriptionId, data.clusterGroup, data.clusterName);
        await secrets.put(data.idKey, 'clusterPoller', state);
        return { next: 'wait-cluster-deleted' };
      }
      case 'wait-cluster-deleted': {
        const result = await cloud.pollCluster(data.subscriptionId, (await secrets.get(data.idKey, 'clusterPoller'))!, 'delete');
        if (!result.done) return { next: 'wait-cluster-deleted', afterMs: 250 };
        if (result.error)
          return {
            failed: {
              code: result.error.code,
              message: `Step wait-cluster-deleted: the cloud could not delete managed cluster ${data.clusterName}: ${result.error.message}`,
            },
          };
        return { next: 'remove' };
      }
      case 'remove':
        await releaseMarkers(db, body);
        await deleteResourceTree(db, data.idKey);
        return { done: true };
      default:
        throw new ArmError(500, 'UnknownStep', `Unknown step '${step}'.`);
    }
  }

  async function onFailed(ctx: StepContext<ComputeOpData>, error: ArmErrorDetail): Promise<void> {
    await saveCompute(ctx.db, ctx.data.idKey, (b) => {
      b.properties.provisioningState = 'Failed';
      b.properties.provisioningErrors = [{ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } }];
    });
  }

  return [CREATE_COMPUTE, ATTACH_COMPUTE, UPDATE_COMPUTE, DELETE_COMPUTE].map((kind) => ({ kind, run, onFailed }));
}
