/** Everything azureml-fe reads from its environment (the installer passes it from the ConfigMap `azuremlfeconfig`). */
export interface FrontEndConfig {
  httpPort: number;
  httpsPort: number;
  tlsEnabled: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Listen address; undefined: all interfaces (server.listen's own default). */
  host?: string;
  scoringTimeoutMs: number;
  /** Per endpoint (replica): requests in flight before the next one queues. */
  maxConcurrentRequests: number;
  maxQueuedRequests: number;
  maxBodyBytes: number;
  drainDelayMs: number;
  shutdownGraceMs: number;
  tlsReloadIntervalMs: number;
  authRefreshMs: number;
  accessLog: boolean;
  /** Test and bench aid: a fixed route table `{"name":["host:port",...]}` instead of discovery from the Kubernetes API. */
  staticRoutes?: Record<string, string[]>;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not "${raw}"`);
  return n;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): FrontEndConfig {
  const tlsEnabled = env.TLS_ENABLED === 'true';
  const config: FrontEndConfig = {
    httpPort: int(env, 'HTTP_PORT', 9001),
    httpsPort: int(env, 'HTTPS_PORT', 9443),
    tlsEnabled,
    tlsCertFile: env.TLS_CERT_FILE || undefined,
    tlsKeyFile: env.TLS_KEY_FILE || undefined,
    host: env.HOST || undefined,
    scoringTimeoutMs: int(env, 'SCORING_TIMEOUT_MS', 60_000),
    maxConcurrentRequests: int(env, 'SCORING_MAX_CONCURRENT_REQUESTS', 1000),
    maxQueuedRequests: int(env, 'SCORING_MAX_QUEUED_REQUESTS', 100),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 100 * 1024 * 1024),
    drainDelayMs: int(env, 'DRAIN_DELAY_MS', 2000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 25_000),
    tlsReloadIntervalMs: int(env, 'TLS_RELOAD_INTERVAL_MS', 1000),
    authRefreshMs: int(env, 'AUTH_REFRESH_MS', 5000),
    accessLog: env.ACCESS_LOG !== 'false',
  };
  if (tlsEnabled && (!config.tlsCertFile || !config.tlsKeyFile)) throw new Error('TLS_ENABLED=true needs TLS_CERT_FILE and TLS_KEY_FILE');
  if (env.STATIC_ROUTES) {
    const parsed: unknown = JSON.parse(env.STATIC_ROUTES);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('STATIC_ROUTES must be a JSON object {"name":["host:port"]}');
    config.staticRoutes = parsed as Record<string, string[]>;
  }
  return config;
}
