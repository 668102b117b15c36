import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Agent, request as undiciRequest } from 'undici';
import type { TokenCredential } from '@azure/core-auth';
import { BerthPoller } from '@berth/sdk';
import { createBerth, type BerthOptions, type RunningBerth } from '@berth/server';

export type StoreKind = 'sqlite' | 'postgres';

/** Store kinds the suite runs on: SQLite always, PostgreSQL when BERTH_TEST_PG holds a URL. */
export function testStores(): StoreKind[] {
  return process.env.BERTH_TEST_PG ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A fresh, empty PostgreSQL database for one test server; dropped by the returned function. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.BERTH_TEST_PG!;
  const name = `berth_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

export interface TestBerth {
  url: string;
  home: string;
  token: string;
  ca: string;
  subscriptionId: string;
  server: RunningBerth;
  /** An HTTPS call with the admin token unless `token` (or `null` for none) is given. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> },
  ): Promise<HttpResponse>;
  close(): Promise<void>;
}

export async function httpsRequest(
  url: string,
  ca: string,
  method: string,
  options: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<HttpResponse> {
  const dispatcher = new Agent({ connect: { ca } });
  try {
    const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const res = await undiciRequest(url, {
      method: method as 'GET',
      dispatcher,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: payload,
    });
    const text = await res.body.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, text };
  } finally {
    await dispatcher.close();
  }
}

/** Starts Berth in this process on a free port with a temporary home folder, on the given store. */
export async function startTestBerth(
  options: {
    store?: StoreKind;
    provisioningDelayMs?: number;
    home?: string;
    storeUrl?: string;
    leaseMs?: number;
    containerServiceEndpoint?: string;
    resyncIntervalMs?: number;
    publicUrl?: string;
    limits?: BerthOptions['limits'];
    /** Run pods of Node.js images for real, sandboxed (as `berth up` does); off by default: most tests need only their objects. */
    runWorkloads?: BerthOptions['runWorkloads'];
    maxRunningPods?: number;
    /** How long running pods' service-account tokens live (1 hour). */
    podTokenLifetimeMs?: number;
    frontEndImage?: string;
  } = {},
): Promise<TestBerth> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), 'berth-test-')));
  const pgDb = !options.storeUrl && options.store === 'postgres' ? await freshPostgresDatabase() : undefined;
  const server = await createBerth({
    home,
    host: '127.0.0.1',
    port: 0,
    store: options.storeUrl ?? pgDb?.url,
    provisioningDelayMs: options.provisioningDelayMs ?? 0,
    logLevel: 'silent',
    leaseMs: options.leaseMs,
    containerServiceEndpoint: options.containerServiceEndpoint,
    // Tests put the endpoint in front of this Berth's own local cloud (a fault proxy): its own token and CA.
    containerServiceAuth: 'local',
    resyncIntervalMs: options.resyncIntervalMs,
    publicUrl: options.publicUrl,
    limits: options.limits,
    runWorkloads: options.runWorkloads ?? false,
    maxRunningPods: options.maxRunningPods,
    podTokenLifetimeMs: options.podTokenLifetimeMs,
    frontEndImage: options.frontEndImage,
  });
  const token = (await readFile(join(home, 'token'), 'utf8')).trim();
  const ca = await readFile(join(home, 'ca.pem'), 'utf8');
  const berth: TestBerth = {
    url: server.url,
    home,
    token,
    ca,
    subscriptionId: '',
    server,
    request: (method, path, o = {}) => httpsRequest(new URL(path, server.url).toString(), ca, method, { ...o, token: o.token === undefined ? token : o.token }),
    async close() {
      await server.close();
      await pgDb?.drop();
      if (!options.home) await rm(home, { recursive: true, force: true });
    },
  };
  const subs = await berth.request('GET', '/subscriptions?api-version=2020-01-01');
  berth.subscriptionId = subs.body.value[0].subscriptionId;
  return berth;
}

/**
 * Polls an `Azure-AsyncOperation` URL with the SDK's poller until the operation
 * ends; returns the final status document, Failed and Canceled included.
 */
export async function waitForOperation(berth: TestBerth, statusUrl: string, timeoutMs = 20_000): Promise<any> {
  const poller = BerthPoller.forOperationStatus(
    statusUrl,
    async (url) => {
      const res = await berth.request('GET', url);
      if (res.status !== 200) throw new Error(`operation status answered ${res.status}: ${res.text}`);
      return res;
    },
    { resolveOnUnsuccessful: true },
  );
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await poller.pollUntilDone({ intervalInMs: 50, abortSignal: timeout });
  } catch (err) {
    throw timeout.aborted ? new Error(`operation still InProgress after ${timeoutMs} ms`) : err;
  }
}

/** A credential for the official Azure SDK clients that hands them Berth's bearer token. */
export function credential(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}

/** A policy assignment's body: Azure's built-in "Not allowed resource types" forbidding public IP addresses (R10). */
export function noPublicIpPolicy(displayName?: string) {
  return {
    properties: {
      ...(displayName ? { displayName } : {}),
      policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/6c112d4e-5bc7-47ae-a041-ea2d9dccd749',
      parameters: { listOfResourceTypesNotAllowed: { value: ['Microsoft.Network/publicIPAddresses'] } },
    },
  };
}
