import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';

/** The `berth` that is measured: this checkout's, or BERTH_BIN's (another build, for before/after figures). */
export const berthBin = process.env.BERTH_BIN ?? fileURLToPath(new URL('../packages/cli/bin/berth.js', import.meta.url));

/** Starts a child process and resolves when a line of its stdout matches `ready`. */
export function startChild(args, ready) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

/** A `berth up` on a fresh home folder and a free port. */
export async function startBerth(extraArgs = []) {
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const { child, match } = await startChild(
    [berthBin, 'up', '--home', home, '--port', '0', '--provisioning-delay-ms', '0', ...extraArgs],
    /Berth is ready at (\S+)/,
  );
  const token = readFileSync(join(home, 'token'), 'utf8').trim();
  const ca = readFileSync(join(home, 'ca.pem'), 'utf8');
  const dispatcher = new Agent({ connect: { ca }, connections: 64 });
  const call = async (method, path, body) => {
    const res = await request(match[1] + path, {
      method,
      dispatcher,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.all([exited, dispatcher.close()]);
    rmSync(home, { recursive: true, force: true });
  };
  return { child, home, url: match[1], token, ca, call, stop };
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

/**
 * Load with autocannon over HTTPS (the CA is trusted for the run). GET by default;
 * `method`, `body` and `headers` change the request, and `setupRequest(request)`
 * may vary each one (autocannon's hook, e.g. a different body per request).
 */
export function load(url, { token, ca, connections = 10, duration = 10, method = 'GET', body, headers = {}, setupRequest }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration,
        method,
        ...(body === undefined ? {} : { body }),
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        ...(setupRequest ? { requests: [{ setupRequest }] } : {}),
        tlsOptions: { ca },
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

export function summary(result) {
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}
