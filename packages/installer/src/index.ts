import { applyInstall, applyUninstall } from './apply.js';
import { ClusterClient } from './cluster-client.js';
import type { InstallSpec } from './install-spec.js';
import { checkReadiness, type Readiness } from './readiness.js';

export { INSTALLER_VERSION, NAMESPACE } from './constants.js';
export { computeLabel, type InstallSpec, type KubeObject } from './install-spec.js';
export { desiredObjects } from './desired-objects.js';
export { InstallerError, loadClientNode } from './cluster-client.js';
export type { Readiness } from './readiness.js';
export { DriftReconciler, type DriftTarget, type DriftReconcilerOptions, type DriftLog } from './drift-reconciler.js';

/**
 * Installs (or upgrades, or repairs) the inference front end of a compute:
 * level-triggered and idempotent. Returns `Kind/name` of each object it
 * created, changed or removed — empty when nothing had drifted.
 */
export async function install(kubeconfig: string, spec: InstallSpec, options: { signal?: AbortSignal } = {}): Promise<{ changed: string[] }> {
  return applyInstall(await ClusterClient.open(kubeconfig, { signal: options.signal }), spec);
}

/** Whether the compute's front end is ready to score, with the reason when it is not. */
export async function readiness(kubeconfig: string, spec: InstallSpec, options: { signal?: AbortSignal } = {}): Promise<Readiness> {
  return checkReadiness(await ClusterClient.open(kubeconfig, { signal: options.signal }), spec);
}

/** Removes every object of the compute (cluster-scoped too, and the namespace when only ours); idempotent. */
export async function uninstall(kubeconfig: string, computeId: string, options: { signal?: AbortSignal } = {}): Promise<{ deleted: string[] }> {
  return applyUninstall(await ClusterClient.open(kubeconfig, { signal: options.signal }), computeId);
}
