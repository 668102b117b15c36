// azureml-fe: the entry point of the bundle (`node azureml-fe.mjs`). Configuration comes from the environment (see README.md).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { readConfig } from './config.js';
import { KubeClient, kubeAccessFromEnv } from './kube.js';
import { flushLogs, log } from './log.js';
import { Metrics } from './metrics.js';
import { Proxy, type ServerState } from './proxy.js';
import { KubeRouteTable, staticRouteTable, type RouteTable } from './routes.js';
import { readCertPair, watchCertificate } from './tls.js';

function listen(server: HttpServer | HttpsServer, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // No host unless HOST is set: server.listen's default (all interfaces), which the local cloud's preload rebinds.
    if (host) server.listen(port, host, () => resolve());
    else server.listen(port, () => resolve());
  });
}

function tune(server: HttpServer | HttpsServer): void {
  // Scoring calls and uploads can be long: the per-service timeout bounds them, not Node's whole-request timer.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
}

async function main(): Promise<void> {
  const config = readConfig();
  const routes: RouteTable = config.staticRoutes
    ? staticRouteTable(config, config.staticRoutes)
    : new KubeRouteTable(new KubeClient(kubeAccessFromEnv()), config);
  const state: ServerState = { draining: false, closing: false, inFlight: 0 };
  const proxy = new Proxy(routes, new Metrics(), config, state);

  const servers: (HttpServer | HttpsServer)[] = [];
  const http = createHttpServer(proxy.handle);
  tune(http);
  await listen(http, config.httpPort, config.host);
  servers.push(http);
  let stopTls = () => {};
  if (config.tlsEnabled) {
    const pair = readCertPair(config.tlsCertFile!, config.tlsKeyFile!);
    const https = createHttpsServer(pair, proxy.handle);
    tune(https);
    await listen(https, config.httpsPort, config.host);
    servers.push(https);
    stopTls = watchCertificate(https, config.tlsCertFile!, config.tlsKeyFile!, pair, config.tlsReloadIntervalMs);
  }
  log('info', 'azureml-fe is listening', {
    httpPort: config.httpPort,
    ...(config.tlsEnabled ? { httpsPort: config.httpsPort } : {}),
    discovery: config.staticRoutes ? 'static' : 'kubernetes',
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Readiness fails at once; the endpoints controller takes this pod out while it still serves.
    state.draining = true;
    log('info', 'draining', { signal, drainDelayMs: config.drainDelayMs });
    setTimeout(() => {
      state.closing = true;
      for (const s of servers) {
        s.close();
        s.closeIdleConnections();
      }
      const deadline = Date.now() + config.shutdownGraceMs;
      const check = setInterval(() => {
        if (state.inFlight > 0 && Date.now() < deadline) return;
        clearInterval(check);
        if (state.inFlight > 0) log('warn', 'grace period over; leaving requests in flight', { inFlight: state.inFlight });
        for (const s of servers) s.closeAllConnections();
        routes.stop();
        stopTls();
        proxy.close();
        log('info', 'stopped');
        flushLogs();
        process.exit(0);
      }, 50);
    }, config.drainDelayMs);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  log('error', 'azureml-fe failed to start', { error: err instanceof Error ? err.message : String(err) });
  flushLogs();
  process.exit(1);
});
