import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';

export const berthBin = fileURLToPath(new URL('../packages/cli/bin/berth.js', import.meta.url));

export interface BerthProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `berth up` as its own process and waits for its ready line. */
export async function spawnBerthUp(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BerthProcess> {
  const child = spawn(process.execPath, [berthBin, 'up', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth up printed no ready line in 20 s; stderr: ${err}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /^Berth is ready at (https:\/\/\S+)$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`berth up exited with ${code} before it was ready; stderr: ${err}`));
    });
  });
  return { child, url, stdout: () => out, stderr: () => err, exited };
}

/** Runs one `berth` command to completion. */
export function runBerth(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [berthBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The `berth up` processes and temporary home folders of one test file: each
 * test's are killed and removed after it, with whatever else it registers.
 */
export function berthProcesses(prefix: string) {
  const running: BerthProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    for (const c of cleanups.splice(0)) await c();
  });
  return {
    /** Runs after the current test. */
    cleanup(fn: () => Promise<void>): void {
      cleanups.push(fn);
    },
    async tempHome(): Promise<string> {
      const home = await mkdtemp(join(tmpdir(), prefix));
      cleanups.push(() => rm(home, { recursive: true, force: true }));
      return home;
    },
    /** `berth up`, killed after the current test unless it ended before. */
    async up(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BerthProcess> {
      const p = await spawnBerthUp(args, env);
      running.push(p);
      return p;
    },
  };
}
