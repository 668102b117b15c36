import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseQuantity } from '../kube/quantity.js';
import type { ContainerSpec, ProcessLauncher, StartedProcess } from './container-run.js';
import type { PodCgroups } from './pod-cgroups.js';
import { POD_NETWORK, SANDBOX_BRIDGE_DIR, type Mount, type Sandbox } from './sandbox.js';

/** A sandboxed container without a memory limit gets this one, as a LimitRange's default would give it: no pod may take the machine. */
export const DEFAULT_MEMORY_LIMIT = 1024 ** 3;
/** Processes (threads included) one container may hold: bounds a fork bomb, leaves node its worker threads. */
const MAX_PIDS = 256;

/** A container's `resources.limits.memory` in bytes, when it has one. */
export function memoryLimitOf(container: ContainerSpec): number | undefined {
  const bytes = parseQuantity(container.resources?.limits?.memory);
  return bytes && bytes > 0 ? Math.floor(bytes) : undefined;
}

/** V8's heap limit for a memory limit: three quarters of it, leaving room for buffers and the runtime, as container images commonly set it. */
const heapFlag = (bytes: number) => `--max-old-space-size=${Math.max(16, Math.floor((bytes * 0.75) / 1024 ** 2))}`;

/** Whether a process lives in a PID namespace below this one (its NSpid has more than one id): a sandbox's, never a host process. */
const inSandbox = (status: string) => (/^NSpid:\s*(.*)$/m.exec(status)?.[1].trim().split(/\s+/).length ?? 0) > 1;

/** The processes below a sandbox's outer bwrap that live in its PID namespace and are not bwrap: what a container runs. */
async function processesInside(pid: number): Promise<number[]> {
  const found: number[] = [];
  const walk = async (parent: number): Promise<void> => {
    for (const task of await readdir(`/proc/${parent}/task`).catch(() => [] as string[])) {
      const children = (await readFile(`/proc/${parent}/task/${task}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number);
      for (const child of children) {
        const status = await readFile(`/proc/${child}/status`, 'utf8').catch(() => '');
        if (!inSandbox(status)) continue;
        if (!/^Name:\s*bwrap$/m.test(status)) found.push(child);
        await walk(child);
      }
    }
  };
  await walk(pid);
  return found;
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
};

/** Without a sandbox: a child process of Berth's, as Berth's user, on the machine's network (see pod-network.ts). */
export function unsandboxedLauncher(container: ContainerSpec): ProcessLauncher {
  const limit = memoryLimitOf(container);
  return async (launch, log) => {
    const child = spawn(process.execPath, ['--import', POD_NETWORK, ...(limit ? [heapFlag(limit)] : []), ...launch.args], {
      cwd: launch.cwd,
      env: launch.env,
      stdio: ['ignore', log, log, 'ipc'],
    });
    return { child, oomKilled: async () => false, terminate: () => child.kill('SIGTERM'), release: async () => undefined };
  };
}

export interface SandboxedPod {
  sandbox: Sandbox;
  cgroups?: PodCgroups;
  /** The pod's unprivileged user, where Berth is root. */
  uid?: number;
  hostname: string;
  /** The pod's folders and files as its processes see them. */
  mounts: Mount[];
  /** The folder of the pod's bridge socket (see pod-network-bridge.ts). */
  bridgeDir: string;
  /** Names the container's cgroup: unique among running containers. */
  cgroupName: string;
}

/** In a sandbox (see sandbox.ts), within the container's memory limit (or the default) and a bound on its processes. */
export function sandboxedLauncher(pod: SandboxedPod, container: ContainerSpec): ProcessLauncher {
  const limit = memoryLimitOf(container) ?? DEFAULT_MEMORY_LIMIT;
  return async (launch, log): Promise<StartedProcess> => {
    const cgroup = await pod.cgroups?.create(pod.cgroupName, { memoryBytes: limit, maxPids: MAX_PIDS });
    const mounted = (path: string) => path === '/' || pod.mounts.some((m) => path === m.target || path.startsWith(`${m.target}/`));
    let child: ChildProcess;
    try {
      child = pod.sandbox.launch({
        nodeArgs: [heapFlag(limit), ...launch.args],
        env: { ...launch.env, BERTH_POD_BRIDGE: `${SANDBOX_BRIDGE_DIR}/bridge.sock` },
        cwd: mounted(launch.cwd) ? launch.cwd : '/',
        hostname: pod.hostname,
        mounts: [...pod.mounts, { source: pod.bridgeDir, target: SANDBOX_BRIDGE_DIR }],
        uid: pod.uid,
        cgroup,
        log,
      });
    } catch (err) {
      await cgroup?.remove();
      throw err;
    }
    return {
      child,
      oomKilled: async () => ((await cgroup?.oomKills()) ?? 0) > 0,
      // SIGTERM reaches bwrap's child only if sent to it: bwrap itself would just die and take it with SIGKILL.
      terminate: () =>
        void processesInside(child.pid ?? 0).then((pids) => (pids.length ? pids.forEach((pid) => signal(pid, 'SIGTERM')) : child.kill('SIGTERM'))),
      release: async () => {
        // The kernel empties the cgroup shortly after the sandbox's last process is reaped.
        for (let i = 0; i < 20 && cgroup; i++) {
          await cgroup.remove();
          if (!(await cgroup.exists())) return;
          await sleep(50);
        }
      },
    };
  };
}
