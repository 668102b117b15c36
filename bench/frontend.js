// azureml-fe (the bundled scoring router) against Debian's nginx as the reference reverse proxy, both in front of
// the same Node echo backend, over HTTP and HTTPS with the same certificate: saturation throughput, and latency at
// fixed rates of 1,000 and 3,000 req/s with the latency added over calling the backend directly.
// The router runs with STATIC_ROUTES (its test and bench aid: a fixed route table, no Kubernetes API), access log on;
// nginx runs one worker (the router is one process), its access log buffered; the router's access log goes to a file.
// Everything on 127.0.0.1. At 3,000 req/s it also reports the proxy's CPU time per request, and, one request at a time on
// one connection, the latency with no client-side queueing (the steadiest view of what the proxy adds on a busy machine).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadOrCreateCa } from '@berth/pki';
import { cpuMs, figures, percentile, postLoad, poster, round3, sequential } from './lib.js';

const BUNDLE = fileURLToPath(new URL('../packages/inference-frontend/dist/azureml-fe.mjs', import.meta.url));
const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// The backend: a keep-alive Node server answering a small JSON body, in a process of its own.
const BACKEND = `
import { createServer } from 'node:http';
const body = JSON.stringify({ result: [0.1, 0.2, 0.7] });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

/** Starts a process with stdout to a file (as a container runtime does with the router's access log). */
function spawnReady(command, args, env, isReady, stdoutFile) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', openSync(stdoutFile, 'w'), 'inherit'] });
  // A command that cannot start (nginx not installed) must fail the run, not leave the other processes behind.
  let failed;
  const exited = new Promise((resolve) => {
    child.on('exit', resolve);
    child.once('error', (err) => resolve((failed = err)));
  });
  return {
    child,
    async ready() {
      for (let i = 0; i < 200; i++) {
        if (failed) throw new Error(`${command} did not start: ${failed.message}`);
        if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
        if (await isReady().catch(() => false)) return;
        await sleep(50);
      }
      throw new Error(`${command} did not start`);
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && !failed) child.kill(signal);
      await exited;
    },
  };
}

async function answers(url) {
  const res = await fetch(url).catch(() => undefined);
  return res?.status === 200;
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

function nginxConfig(dir, backendPort, httpPort, httpsPort) {
  return `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log combined buffer=64k flush=1s;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  client_max_body_size 100m;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  upstream echo { server 127.0.0.1:${backendPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${httpPort};
    listen 127.0.0.1:${httpsPort} ssl;
    ssl_certificate ${dir}/tls.crt;
    ssl_certificate_key ${dir}/tls.key;
    location /api/v1/service/echo/ {
      proxy_pass http://echo/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_read_timeout 60s;
    }
  }
}
`;
}

/**
 * Open-loop load at `rate` req/s spread evenly (autocannon's overallRate sends each connection's share for a second in a
 * burst, which measures queueing behind the burst as much as the proxy): a request is started whenever one is due, on
 * up to 64 kept-alive connections; p50 and p99 of the time from sending each to its answer (the client's own timer
 * lateness on a busy machine is left out).
 */
async function paced(url, ca, rate, seconds) {
  const { post, agent } = poster(url, ca, 64);
  const times = [];
  let errors = 0;
  const send = async () => {
    const { status, ms } = await post();
    if (status === 200) times.push(ms);
    else errors++;
  };
  /** Sends `rate` req/s for `secs` seconds, evenly; resolves when every answer is in. */
  const phase = async (secs) => {
    const inFlight = [];
    const start = performance.now();
    const total = rate * secs;
    let sent = 0;
    await new Promise((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
        for (; sent < due; sent++) inFlight.push(send());
        if (sent >= total) {
          clearInterval(tick);
          resolve();
        }
      }, 1);
    });
    await Promise.all(inFlight);
  };
  // A first second opens the connections (TLS handshakes included), unrecorded.
  await phase(1);
  times.length = 0;
  errors = 0;
  await phase(seconds);
  agent.destroy();
  const sorted = Float64Array.from(times).sort();
  return { requestsPerSecond: rate, p50Ms: round3(percentile(sorted, 50)), p99Ms: round3(percentile(sorted, 99)), errors };
}

export async function frontend({ duration = 8, rateDuration = 4 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-fe-'));
  mkdirSync(join(dir, 'tmp'));
  const ca = await loadOrCreateCa(join(dir, 'ca'));
  const leaf = await ca.issue({ commonName: 'azureml-fe', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
  writeFileSync(join(dir, 'tls.key'), leaf.keyPem);
  writeFileSync(join(dir, 'backend.mjs'), BACKEND);
  const [backendPort, feHttp, feHttps, ngHttp, ngHttps] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, backendPort, ngHttp, ngHttps));

  const backend = spawnReady(
    process.execPath,
    [join(dir, 'backend.mjs')],
    { PORT: String(backendPort) },
    () => portOpen(backendPort),
    join(dir, 'backend.out'),
  );
  const router = spawnReady(
    process.execPath,
    [BUNDLE],
    {
      HOST: '127.0.0.1',
      HTTP_PORT: String(feHttp),
      HTTPS_PORT: String(feHttps),
      TLS_ENABLED: 'true',
      TLS_CERT_FILE: join(dir, 'tls.crt'),
      TLS_KEY_FILE: join(dir, 'tls.key'),
      STATIC_ROUTES: JSON.stringify({ echo: [`127.0.0.1:${backendPort}`] }),
    },
    () => answers(`http://127.0.0.1:${feHttp}/readyz`),
    join(dir, 'router.out'),
  );
  const nginx = spawnReady(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {}, () => portOpen(ngHttp), join(dir, 'nginx.out'));
  const results = { name: 'azureml-fe vs nginx in front of one Node backend (POST, small JSON)' };
  try {
    await Promise.all([backend.ready(), router.ready(), nginx.ready()]);
    const path = '/api/v1/service/echo/score';
    const targets = [
      ['direct', `http://127.0.0.1:${backendPort}/score`],
      ['router-http', `http://127.0.0.1:${feHttp}${path}`],
      ['router-https', `https://127.0.0.1:${feHttps}${path}`],
      ['nginx-http', `http://127.0.0.1:${ngHttp}${path}`],
      ['nginx-https', `https://127.0.0.1:${ngHttps}${path}`],
    ];
    const proxyPid = { direct: backend.child.pid, router: router.child.pid, nginx: nginx.child.pid };
    for (const [name, url] of targets) {
      // Warm-up, long enough for the router's JIT to reach its steady state (a 1 s warm-up left its first target's figures cold).
      await postLoad(url, ca.certPem, { connections: 20, duration: 3 });
      const saturation = figures(await postLoad(url, ca.certPem, { connections: 50, duration }));
      const at1000 = figures(await postLoad(url, ca.certPem, { connections: 20, duration: rateDuration, overallRate: 1000 }));
      // The CPU the proxy (or, direct, the backend) spends per request: steadier than throughput on a shared machine.
      const pid = proxyPid[name.split('-')[0]];
      const cpuBefore = cpuMs(pid);
      const raw3000 = await postLoad(url, ca.certPem, { connections: 50, duration: rateDuration, overallRate: 3000 });
      const at3000 = { ...figures(raw3000), cpuMicrosPerRequest: Math.round(((cpuMs(pid) - cpuBefore) * 1000) / raw3000.requests.total) };
      const pacedAt1000 = await paced(url, ca.certPem, 1000, rateDuration);
      const pacedAt3000 = await paced(url, ca.certPem, 3000, rateDuration);
      results[name] = { saturation, at1000, at3000, pacedAt1000, pacedAt3000, sequential: await sequential(url, ca.certPem) };
    }
    const d = results.direct;
    for (const [name] of targets.slice(1)) {
      const t = results[name];
      t.addedMs = {
        sequential: { p50: round3(t.sequential.p50Ms - d.sequential.p50Ms), p99: round3(t.sequential.p99Ms - d.sequential.p99Ms) },
        pacedAt1000: { p50: round3(t.pacedAt1000.p50Ms - d.pacedAt1000.p50Ms), p99: round3(t.pacedAt1000.p99Ms - d.pacedAt1000.p99Ms) },
        pacedAt3000: { p50: round3(t.pacedAt3000.p50Ms - d.pacedAt3000.p50Ms), p99: round3(t.pacedAt3000.p99Ms - d.pacedAt3000.p99Ms) },
        at1000: { p50: round3(t.at1000.p50Ms - d.at1000.p50Ms), p99: round3(t.at1000.p99Ms - d.at1000.p99Ms) },
        at3000: { p50: round3(t.at3000.p50Ms - d.at3000.p50Ms), p99: round3(t.at3000.p99Ms - d.at3000.p99Ms) },
      };
    }
    const ratio = (a, b) => +(results[a].saturation.requestsPerSecond / results[b].saturation.requestsPerSecond).toFixed(2);
    results.routerOverNginxThroughput = { http: ratio('router-http', 'nginx-http'), https: ratio('router-https', 'nginx-https') };
  } finally {
    await Promise.all([router.stop(), nginx.stop('SIGQUIT'), backend.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await frontend(), null, 2));
