import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ContainerConfigError } from './pod-files.js';
import { imagePullError } from './runnable.js';

/** The preload module that gives the process its pod's network (see pod-network.ts). */
const POD_NETWORK = fileURLToPath(new URL('./pod-network.js', import.meta.url));

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
}

/** What starting the process takes, made afresh at each start (config may have changed). */
export interface Launch {
  args: string[];
  env: Record<string, string>;
  cwd: string;
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
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['--import', POD_NETWORK, ...launch.args], {
        cwd: launch.cwd,
        env: launch.env,
        stdio: ['ignore', log, log, 'ipc'],
      });
    } finally {
      closeSync(log);
    }
    this.child = child;
    this.startedAtMs = Date.now();
    const startedAt = stamp();
    this.state = { running: { startedAt } };
    this.readiness = { successes: 0, failures: 0 };
    this.livenessFailures = 0;
    this.ready = this.spec.readinessProbe === undefined;
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => this.exited(child, startedAt, code, signal));
    this.changed();
    if (this.spec.readinessProbe) this.later((this.spec.readinessProbe.initialDelaySeconds ?? 0) * 1000, () => this.probeReadiness(child));
    if (this.spec.livenessProbe) this.later(Math.max(1, this.spec.livenessProbe.initialDelaySeconds ?? 0) * 1000, () => this.probeLiveness(child));
  }

  /** SIGTERM, then SIGKILL once the grace period is over; resolves when the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private later(ms: number, run: () => unknown): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, ms);
    this.timers.add(timer);
  }

  private exited(child: ChildProcess, startedAt: string, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.ready = false;
    const signum = signal ? (constants.signals[signal] ?? 9) : undefined;
    const exitCode = code ?? 128 + (signum ?? 9);
    const terminated: ContainerState = {
      terminated: { exitCode, ...(signum ? { signal: signum } : {}), reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: stamp() },
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
