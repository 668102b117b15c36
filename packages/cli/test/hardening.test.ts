import { describe, expect, it } from 'vitest';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { httpsRequest } from '../../../test-support/berth.js';
import { berthProcesses } from '../../../test-support/process.js';

const { tempHome, up } = berthProcesses('berth-hardening-');

const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** How long `GET /healthz` takes over `count` calls: the 90th percentile and the maximum (ms). */
async function healthzTimes(url: string, ca: string, count: number): Promise<{ p90: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await httpsRequest(`${url}/healthz`, ca, 'GET', { token: null });
    expect(res.status).toBe(200);
    times.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 20));
  }
  times.sort((a, b) => a - b);
  return { p90: times[Math.ceil(count * 0.9) - 1], max: times[count - 1] };
}

interface SlowSender {
  socket: TLSSocket;
  /** Resolves when the server closed the connection, with what it answered. */
  closed: Promise<{ answered: string; at: number }>;
}

/**
 * A client that starts a request and never finishes it: headers that never end
 * (`headersOnly`), or a 1 MiB body announced and sent a byte at a time.
 */
function slowSender(url: string, ca: string, localAddress: string, headersOnly: boolean): SlowSender {
  const { hostname, port } = new URL(url);
  // The TCP connection from `localAddress`, then TLS over it.
  const tcp = netConnect({ host: hostname, port: Number(port), localAddress });
  tcp.on('error', () => undefined);
  const socket = connect({ socket: tcp, ca, host: hostname });
  socket.on('error', () => undefined);
  let answered = '';
  socket.on('data', (c: Buffer) => (answered += c.toString()));
  const closed = new Promise<{ answered: string; at: number }>((resolve) => socket.on('close', () => resolve({ answered, at: Date.now() })));
  socket.on('secureConnect', () => {
    const head = `PUT /subscriptions/x/resourcegroups/slow?api-version=2021-04-01 HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n`;
    socket.write(headersOnly ? head : `${head}content-length: 1048576\r\n\r\n{`);
    const drip = setInterval(() => (socket.writable ? socket.write(headersOnly ? 'x-drip: 1\r\n' : ' ') : clearInterval(drip)), 500);
    socket.on('close', () => clearInterval(drip));
  });
  return { socket, closed };
}

describe('HTTP hygiene of the shared port', () => {
  it('cuts 500 slow unauthenticated senders, caps connections per address, and keeps /healthz fast', async () => {
    const home = await tempHome();
    const p = await up(['--home', home, '--port', '0', '--request-timeout-ms', '3000', '--max-connections-per-address', '200']);
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');
    const pid = p.child.pid!;
    expect((await healthzTimes(p.url, ca, 5)).max).toBeLessThan(1000);
    const rssBefore = await rssMiB(pid);

    // 250 slow bodies and 250 endless header sections, from another loopback address than the health probe's.
    const started = Date.now();
    const senders = Array.from({ length: 500 }, (_, i) => slowSender(p.url, ca, '127.0.0.2', i % 2 === 1));
    await new Promise((r) => setTimeout(r, 1500));
    const rssDuring = await rssMiB(pid);
    const health = await healthzTimes(p.url, ca, 20);
    const ends = await Promise.race([
      Promise.all(senders.map((s) => s.closed)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow senders were not cut within 15 s')), 15_000)),
    ]);
    const bodies = ends.filter((_, i) => i % 2 === 0);
    const headers = ends.filter((_, i) => i % 2 === 1);
    // A body nobody asked for is refused at once: 401 before the body, and the connection closed.
    const answered401 = bodies.filter((e) => e.answered.startsWith('HTTP/1.1 401'));
    for (const e of answered401) expect(e.answered).toMatch(/"code":"AuthenticationFailed"/);
    // Endless headers are cut by the request timeout with an ARM-shaped 408.
    const answered408 = headers.filter((e) => e.answered.startsWith('HTTP/1.1 408'));
    for (const e of answered408) expect(e.answered).toMatch(/"code":"RequestTimeout"/);
    // Beyond 200 open connections from 127.0.0.2, the rest were closed unanswered.
    const unanswered = ends.filter((e) => e.answered === '').length;
    console.log(
      `500 slow senders: ${answered401.length} got 401 at once, ${answered408.length} cut with 408, ${unanswered} refused over the cap; ` +
        `RSS ${rssBefore.toFixed(1)} MiB -> ${rssDuring.toFixed(1)} MiB; /healthz p90 ${health.p90.toFixed(1)} ms, max ${health.max.toFixed(1)} ms over 20 calls`,
    );
    expect(unanswered).toBeGreaterThan(0);
    expect(answered401.length + answered408.length + unanswered).toBe(500);
    expect(Math.max(...headers.map((e) => e.at)) - started).toBeLessThan(3000 + 1500 + 3000);
    expect(rssDuring - rssBefore).toBeLessThan(64);
    // A 90th percentile: one probe may share its moment with a burst of handshakes on two cores.
    expect(health.p90).toBeLessThan(50);
    // The server is still there, and answers at once afterwards.
    expect((await healthzTimes(p.url, ca, 10)).p90).toBeLessThan(50);
  }, 60_000);
});

describe('files at rest', () => {
  it('makes the home folder 0700, every file in it 0600 but the public certificates, and its folders 0700, even when it existed wider', async () => {
    const home = join(await tempHome(), 'home');
    await mkdir(home, { mode: 0o755 });
    await chmod(home, 0o755);
    await writeFile(join(home, 'cli-defaults.json'), '{}\n', { mode: 0o644 });
    await chmod(join(home, 'cli-defaults.json'), 0o644);
    // A first start, then a second one over files a careless user opened up.
    const first = await up(['--home', home, '--port', '0']);
    first.child.kill('SIGTERM');
    await first.exited;
    for (const name of await readdir(home)) await chmod(join(home, name), 0o644);
    await chmod(home, 0o755);
    const p = await up(['--home', home, '--port', '0']);
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');
    const token = (await readFile(join(home, 'token'), 'utf8')).trim();
    // A write, so SQLite has its WAL and shared-memory files open.
    const subs = await httpsRequest(`${p.url}/subscriptions?api-version=2020-01-01`, ca, 'GET', { token });
    const sub = subs.body.value[0].subscriptionId;
    expect(
      (await httpsRequest(`${p.url}/subscriptions/${sub}/resourcegroups/modes?api-version=2021-04-01`, ca, 'PUT', { token, body: { location: 'westus' } }))
        .status,
    ).toBe(201);

    expect(await mode(home)).toBe(0o700);
    const names = (await readdir(home)).sort();
    for (const expected of [
      'berth.db',
      'berth.db-wal',
      'berth.db-shm',
      'ca-key.pem',
      'server-key.pem',
      'token',
      'config.json',
      'cli-defaults.json',
      'ca.pem',
      'server.pem',
    ]) {
      expect(names).toContain(expected);
    }
    // The running workloads' folder (their volumes hold Secrets) is the owner's only.
    expect(names).toContain('workloads');
    for (const name of names) {
      const expected = name === 'ca.pem' || name === 'server.pem' ? 0o644 : name === 'workloads' ? 0o700 : 0o600;
      expect((await mode(join(home, name))).toString(8), name).toBe(expected.toString(8));
    }
  });
});
