import { totalmem } from 'node:os';
import { PodCgroups } from './pod-cgroups.js';
import { Sandbox } from './sandbox.js';

/** How the local cloud runs pods: `sandboxed` (the default), `unsandboxed` (the operator's explicit choice), or not at all. */
export type RunWorkloads = 'sandboxed' | 'unsandboxed' | false;

/** What running pods for real takes: a sandbox (with cgroups where Berth may make them), or the operator's word that none is needed. */
export type WorkloadIsolation = { kind: 'sandboxed'; sandbox: Sandbox; cgroups?: PodCgroups; cgroupsMissing?: string } | { kind: 'unsandboxed' };

/** What `--run-workloads` comes to on this machine: how pods run, or why none runs (and how to fix it). */
export type WorkloadPlan = { isolation: WorkloadIsolation } | { off: string };

/** Real pods that fit in half the machine's memory at 256 MiB each, from 4 to 256: `--max-running-pods`'s default. */
export const defaultMaxRunningPods = () => Math.min(256, Math.max(4, Math.floor((totalmem() * 0.5) / 256 / 1024 ** 2)));

/**
 * Decides how workloads run. A sandbox is required unless the operator asked for
 * none: where it cannot be made, no workload runs (pods are simulated, and say why).
 */
export async function planWorkloads(mode: RunWorkloads, cgroupGroup: string): Promise<WorkloadPlan> {
  if (mode === false) return { off: 'berth up runs with --no-run-workloads.' };
  if (mode === 'unsandboxed') return { isolation: { kind: 'unsandboxed' } };
  const sandbox = await Sandbox.probe();
  if (typeof sandbox === 'string') {
    return {
      off: `no sandbox can be made on this machine: ${sandbox}. Fix that and restart berth up, or pass --run-workloads=unsandboxed to run pods without one (they can then read Berth's home folder).`,
    };
  }
  const cgroups = await PodCgroups.open(cgroupGroup);
  return { isolation: typeof cgroups === 'string' ? { kind: 'sandboxed', sandbox, cgroupsMissing: cgroups } : { kind: 'sandboxed', sandbox, cgroups } };
}
