import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { constants } from 'node:os';
import { ContainerConfigError } from './pod-files.js';
import { imagePullError } from './runnable.js';

/** CrashLoopBackOff: 10 s after the first exit, doubling up to 5 minutes, as the kubelet waits. */
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
/** A container that ran this long without exiting starts its back-off afresh. */
const BACKOFF_RESET_MS = 600_000;
/** Until a container is first ready its readiness is probed this often, not every periodSeconds, so a local compute is ready as soon as it serves. */
const FIRST_READY_PROBE_MS = 100;
/** How often a container whose config cannot be made is tried again. */
const CONFIG_RETRY_MS = 2000;

export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string; httpHeaders?: Array<{ name: string; value: string }> };
  tcpSocket?: { port: number | string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
}

/** What starting the process takes, made afresh at each start (config may have changed): `node`'s arguments, environment and folder. */
export interface Launch {
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** A container's process once started, and what its end meant. */
export interface StartedProcess {
  child: ChildProcess;
  /** Whether the kernel killed it for going past its memory limit. */
  oomKilled(): Promise<boolean>;
  /** Asks the process to stop (SIGTERM to what runs in a sandbox, not to the sandbox). */
  terminate(): void;
  /** Frees what the start took (its cgroup), once the process is gone. */
  release(): Promise<void>;
}

/** Starts a container's process (in a sandbox, or not), its output to the log file given. */
export type ProcessLauncher = (launch: Launch, log: number) => Promise<StartedProcess>;

/** What V8 prints when a process runs out of heap or cannot get memory: the container ran out of its memory. */
const OUT_OF_MEMORY = /JavaScript heap out of memory|Fatal process out of memory|Fatal process OOM/;

/** Whether a log's end says the process ran out of memory. */
async function logSaysOutOfMemory(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const { size } = await file.stat();
    const length = Math.min(size, 4096);
    const { buffer } = await file.read(Buffer.alloc(length), 0, length, size - length);
    return OUT_OF_MEMORY.test(buffer.toString('utf8'));
  } finally {
    await file.close();
  }
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; signal?: number; reason: string; startedAt: string; finishedAt: string } };

const stamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * One container of a pod, run as a child process: started with the pod's network,
 * probed, restarted with back-off when it exits (as its pod's restartPolicy says),
 * its output kept in a log file per start, stopped with SIGTERM then SIGKILL.
 */
export class ContainerRun {
  restartCount = 0;
  state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: ContainerState | undefined;
  ready = false;
  private child: ChildProcess | undefined;
  private process: StartedProcess | undefined;
  private startedAtMs = 0;
  private stopping = false;
  private timers = new Set<NodeJS.Timeout>();
  private everReady = false;
  private readiness = { successes: 0, failures: 0 };
  private livenessFailures = 0;

  constructor(
    readonly spec: ContainerSpec,
    private readonly podIp: string,
    private readonly restartPolicy: string,
    private readonly logPath: (restart: number) => string,
    private readonly prepare: () => Promise<Launch>,
    private readonly launcher: ProcessLauncher,
    private readonly changed: () => void,
  ) {}

  /** The log file of the current start, or of the one before. */
  logFile(previous: boolean): string | undefined {
    const n = previous ? this.restartCount - 1 : this.restartCount;
    return n >= 0 ? this.logPath(n) : undefined;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.stopping) return;
    const pullError = imagePullError(this.spec.image ?? '');
    if (pullError) {
      // As the kubelet reports it: ErrImagePull, then ImagePullBackOff; the container never starts.
      this.state = { waiting: { reason: 'ErrImagePull', message: pullError } };
      this.changed();
      this.later(1000, () => {
        this.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${this.spec.image}"` } };
        this.changed();
      });
      return;
    }
    let launch: Launch;
    try {
      launch = await this.prepare();
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      this.state = { waiting: { reason: 'CreateContainerConfigError', message: err.message } };
      this.changed();
      this.later(CONFIG_RETRY_MS, () => this.start());
      return;
    }
    if (this.stopping) return;
    const log = openSync(this.logPath(this.restartCount), 'a', 0o600);
    let started: StartedProcess;
    try {
      started = await this.launcher(launch, log);
    } catch (err) {
      // As the kubelet reports a container its runtime could not start; tried again, as a missing config is.
      this.state = { waiting: { reason: 'RunContainerError', message: (err as Error).message } };
      this.changed();
      this.later(CONFIG_RETRY_MS, () => this.start());
      return;
    } finally {
      closeSync(log);
    }
    const { child } = started;
    if (this.stopping) {
      // Stopped while it was being started: it goes at once.
      child.once('exit', () => void started.release().catch(() => undefined));
      child.kill('SIGKILL');
      return;
    }
    this.child = child;
    this.process = started;
    this.startedAtMs = Date.now();
    const startedAt = stamp();
    this.state = { running: { startedAt } };
    this.readiness = { successes: 0, failures: 0 };
    this.livenessFailures = 0;
    this.ready = this.spec.readinessProbe === undefined;
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => void this.exited(started, startedAt, code, signal));
    this.changed();
    if (this.spec.readinessProbe) this.later((this.spec.readinessProbe.initialDelaySeconds ?? 0) * 1000, () => this.probeReadiness(child));
    if (this.spec.livenessProbe) this.later(Math.max(1, this.spec.livenessProbe.initialDelaySeconds ?? 0) * 1000, () => this.probeLiveness(child));
  }

  /** SIGTERM, then SIGKILL once the grace period is over; resolves when the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const { child, process: started } = this;
    if (!child || !started || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      started.terminate();
    });
  }

  private later(ms: number, run: () => unknown): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, ms);
    this.timers.add(timer);
  }

  private async exited(started: StartedProcess, startedAt: string, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.child !== started.child) return;
    this.child = undefined;
    this.ready = false;
    const finishedAt = stamp();
    const oomKilled =
      !this.stopping && code !== 0 && ((await started.oomKilled().catch(() => false)) || (await logSaysOutOfMemory(this.logPath(this.restartCount))));
    await started.release().catch(() => undefined);
    const signum = signal ? (constants.signals[signal] ?? 9) : undefined;
    // As the kubelet reports a container the kernel killed for its memory: OOMKilled, 137.
    const exitCode = oomKilled ? 137 : (code ?? 128 + (signum ?? 9));
    const reason = oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    const terminated: ContainerState = {
      terminated: { exitCode, ...(signum && !oomKilled ? { signal: signum } : {}), reason, startedAt, finishedAt },
    };
    if (this.stopping) {
      this.state = terminated;
      return;
    }
    const restart = this.restartPolicy === 'Always' || (this.restartPolicy === 'OnFailure' && exitCode !== 0);
    if (!restart) {
      this.state = terminated;
      this.changed();
      return;
    }
    if (Date.now() - this.startedAtMs > BACKOFF_RESET_MS) this.restartCount = 0;
    this.lastState = terminated;
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.restartCount, 10));
    this.restartCount++;
    this.state = {
      waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(backoff / 1000)}s restarting failed container=${this.spec.name}` },
    };
    this.changed();
    this.later(backoff, () => this.start());
  }

  private async probeReadiness(child: ChildProcess): Promise<void> {
    const probe = this.spec.readinessProbe!;
    if (this.child !== child) return;
    const ok = await this.check(probe);
    if (this.child !== child) return;
    const r = this.readiness;
    if (ok) {
      r.failures = 0;
      r.successes++;
      if (!this.ready && r.successes >= (probe.successThreshold ?? 1)) {
        this.ready = true;
        this.everReady = true;
        this.changed();
      }
    } else {
      r.successes = 0;
      r.failures++;
      if (this.ready && r.failures >= (probe.failureThreshold ?? 3)) {
        this.ready = false;
        this.changed();
      }
    }
    const period = (probe.periodSeconds ?? 10) * 1000;
    this.later(this.everReady ? period : Math.min(period, FIRST_READY_PROBE_MS), () => this.probeReadiness(child));
  }

  private async probeLiveness(child: ChildProcess): Promise<void> {
    const probe = this.spec.livenessProbe!;
    if (this.child !== child) return;
    const ok = await this.check(probe);
    if (this.child !== child) return;
    this.livenessFailures = ok ? 0 : this.livenessFailures + 1;
    // Failed liveness: the kubelet kills the container, and its restart policy brings it back.
    if (this.livenessFailures >= (probe.failureThreshold ?? 3)) child.kill('SIGKILL');
    else this.later((probe.periodSeconds ?? 10) * 1000, () => this.probeLiveness(child));
  }

  private portOf(port: number | string): number | undefined {
    if (typeof port === 'number') return port;
    if (/^\d+$/.test(port)) return Number(port);
    return this.spec.ports?.find((p) => p.name === port)?.containerPort;
  }

  /** One probe: an HTTP GET answered 200–399, or a TCP connection accepted, within timeoutSeconds. */
  private check(probe: Probe): Promise<boolean> {
    const timeout = (probe.timeoutSeconds ?? 1) * 1000;
    const target = probe.httpGet ?? probe.tcpSocket;
    const port = target ? this.portOf(target.port) : undefined;
    // Probes the runtime cannot run (exec) count as passing: what they check is simulated.
    if (!target || port === undefined) return Promise.resolve(target === undefined);
    return new Promise<boolean>((resolve) => {
      if (!probe.httpGet) {
        const socket = net.connect({ host: this.podIp, port, timeout }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false)).on('timeout', () => (socket.destroy(), resolve(false)));
        return;
      }
      const get = probe.httpGet;
      const client = get.scheme?.toUpperCase() === 'HTTPS' ? https : http;
      const request = client.get(
        {
          host: this.podIp,
          port,
          path: get.path ?? '/',
          timeout,
          agent: false,
          rejectUnauthorized: false,
          headers: { 'User-Agent': 'kube-probe/1.30', ...Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value])) },
        },
        (res) => {
          res.resume();
          resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        },
      );
      request.on('error', () => resolve(false)).on('timeout', () => (request.destroy(), resolve(false)));
    });
  }
}
