import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Pool } from 'undici';
import { startTestBerth, type StoreKind, type TestBerth } from '../berth.js';
import { clusterCredential, kubeconfigParts, managedClusterPath, pollOperation } from '../kube.js';
import { rawHttps } from '../raw-http.js';
import type { JsonSchema } from './bodies.js';
import { armPlanArb, FIXTURE, kubePlanArb, type Operation, type RequestPlan } from './plans.js';

const ML_API = 'api-version=2022-10-01';
/** Share of the run spent on the cluster's Kubernetes API; the rest walks the OpenAPI document. */
const KUBE_SHARE = 0.3;
/** A state is settled when two snapshots this far apart agree (the simulated controllers act 50 ms after a change). */
const SETTLE_GAP_MS = 120;
/** Past this, a change is taken to never settle (a controller looping, say), and the run stops: later checks would blame the wrong requests. */
const SETTLE_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 20_000;
/** Fixtures are re-made this often, so that deletions don't leave the rest of the run facing 404s. */
const REPAIR_EVERY = 250;

export interface FuzzOptions {
  requests: number;
  seed: number;
  /** The store Berth runs on (PostgreSQL needs BERTH_TEST_PG); SQLite by default. */
  store?: StoreKind;
  /** Progress lines (every 1,000 requests). */
  log?: (line: string) => void;
}

/** A request the fuzzer flags, with what it sent, ready to print. */
export interface Finding {
  index: number;
  kind: '5xx' | 'state change after 4xx' | 'error shape' | 'no answer' | 'never settles';
  request: { method: string; path: string; headers: Record<string, string>; body?: string };
  status?: number;
  response?: string;
  detail?: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  durationMs: number;
  byStatusClass: Record<string, number>;
  byStatus: Record<string, number>;
  byRoute: Record<string, Record<string, number>>;
  serverErrors: number;
  stateChangesAfter4xx: number;
  findings: Finding[];
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

interface Snapshot {
  hash: string;
  rows: Map<string, string>;
}

interface RunContext {
  berth: TestBerth;
  sub: string;
  readerToken: string;
  kubeAdmin: string;
  kubeUser: string;
  kubePrefix: string;
  kubeClusterId: string;
  clusterId: string;
  operationPaths: string[];
  apiVersions: Map<string, string[]>;
}

/** The OpenAPI document's operations, with their path parameters in order and their JSON body schema. */
export function operationsOf(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const bodySchema = op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined;
      const armRoute = (op.parameters ?? []).some((p: { in: string; name: string }) => p.in === 'query' && p.name === 'api-version');
      ops.push({ method: method.toUpperCase(), path, params, armRoute, bodySchema });
    }
  }
  return ops;
}

/** The plans of a run: deterministic for a seed. */
export function plansFor(ops: Operation[], seed: number, count: number): RequestPlan[] {
  const arb = fc.oneof(
    { weight: Math.round((1 - KUBE_SHARE) * 100), arbitrary: armPlanArb(ops) },
    { weight: Math.round(KUBE_SHARE * 100), arbitrary: kubePlanArb() },
  );
  return fc.sample(arb, { seed, numRuns: count });
}

async function expectOk(what: string, res: { status: number; text: string }, ok = [200, 201, 202]): Promise<void> {
  if (!ok.includes(res.status)) throw new Error(`fuzz fixture: ${what} answered ${res.status}: ${res.text.slice(0, 500)}`);
}

/** What the fuzzer works on: a group with a workspace, a created compute, a spare cluster to attach, and a cluster whose Kubernetes API it calls. */
async function makeFixtures(berth: TestBerth, sub: string): Promise<void> {
  const call = berth.request;
  const group = (g: string) => `/subscriptions/${sub}/resourcegroups/${g}?api-version=2021-04-01`;
  const ws = `/subscriptions/${sub}/resourceGroups/${FIXTURE.group}/providers/Microsoft.MachineLearningServices/workspaces/${FIXTURE.workspace}`;
  await expectOk('group', await call('PUT', group(FIXTURE.group), { body: { location: 'westus' } }));
  await expectOk('kube group', await call('PUT', group(FIXTURE.kubeGroup), { body: { location: 'westus' } }));
  if ((await call('GET', `${ws}?${ML_API}`)).status === 404) {
    const put = await call('PUT', `${ws}?${ML_API}`, { body: { location: 'westus' } });
    await expectOk('workspace', put);
    await pollOperation(call, put.headers['azure-asyncoperation'] as string);
  }
  const waits: Promise<unknown>[] = [];
  const clusters: Array<[string, string, object]> = [
    [
      FIXTURE.group,
      FIXTURE.cluster,
      { location: 'westus', properties: { agentPoolProfiles: [{ name: 'np', count: 1, vmSize: 'Standard_D2_v2', mode: 'System' }] } },
    ],
    [
      FIXTURE.kubeGroup,
      FIXTURE.kubeCluster,
      { location: 'westus', properties: { agentPoolProfiles: [{ name: 'np', count: 2, vmSize: 'Standard_D3_v2', mode: 'System' }] } },
    ],
  ];
  for (const [g, name, body] of clusters) {
    if ((await call('GET', managedClusterPath(sub, g, name))).status === 404) {
      const put = await call('PUT', managedClusterPath(sub, g, name), { body });
      await expectOk(`cluster ${name}`, put);
      waits.push(pollOperation(call, put.headers['azure-asyncoperation'] as string));
    }
  }
  const compute = `${ws}/computes/${FIXTURE.compute}?${ML_API}`;
  if ((await call('GET', compute)).status === 404) {
    const put = await call('PUT', compute, {
      body: { properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } } },
    });
    await expectOk('compute', put);
    waits.push(pollOperation(call, put.headers['azure-asyncoperation'] as string, 60_000));
  }
  await Promise.all(waits);
}

async function makeKubeFixtures(ctx: RunContext): Promise<void> {
  const kube = (method: string, path: string, body?: unknown) =>
    send(ctx, {
      method,
      path: `${ctx.kubePrefix}${path}`,
      headers: { authorization: `Bearer ${ctx.kubeAdmin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const ns = FIXTURE.namespace;
  if ((await kube('GET', `/api/v1/namespaces/${ns}`)).status === 404)
    await expectOk('namespace', await kube('POST', '/api/v1/namespaces', { metadata: { name: ns } }));
  if ((await kube('GET', `/api/v1/namespaces/${ns}/configmaps/${FIXTURE.configMap}`)).status === 404) {
    await expectOk(
      'configmap',
      await kube('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: FIXTURE.configMap, labels: { app: 'fz' } }, data: { k: 'v' } }),
    );
  }
  if ((await kube('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${FIXTURE.deployment}`)).status === 404) {
    const labels = { app: FIXTURE.deployment };
    await expectOk(
      'deployment',
      await kube('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
        metadata: { name: FIXTURE.deployment },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
        },
      }),
    );
  }
}

/** The api-versions a route accepts, read from the refusal of an unsupported one. */
async function apiVersionsOf(ctx: RunContext, op: Operation): Promise<string[]> {
  const valid: Record<string, string> = {
    subscriptionId: ctx.sub,
    resourceGroupName: FIXTURE.group,
    workspaceName: FIXTURE.workspace,
    computeName: FIXTURE.compute,
    resourceName: FIXTURE.cluster,
    namespace: 'Microsoft.MachineLearningServices',
    location: 'westus',
    operationId: 'x',
    aliasName: 'x',
    assignmentName: 'x',
    '*': 'x',
  };
  const path = op.path.replace(/\{([^}]+)\}/g, (_, n: string) => valid[n] ?? 'x');
  const res = await send(ctx, { method: 'GET', path: `${path}?api-version=0000-00-00`, headers: { authorization: `Bearer ${ctx.berth.token}` } });
  const found = [...res.text.matchAll(/\d{4}-\d{2}-\d{2}(-preview)?/g)].map((m) => m[0]).filter((v) => v !== '0000-00-00');
  return found.length ? [...new Set(found)] : ['2021-04-01'];
}

let pool: Pool | undefined;

async function send(ctx: Pick<RunContext, 'berth'>, req: Sent, raw = false): Promise<Answer> {
  if (raw) {
    const res = await rawHttps(ctx.berth.url, ctx.berth.ca, req.method, req.path, {
      headers: req.headers,
      body: req.body === undefined ? undefined : req.body.toString('latin1'),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    return { status: res.status, headers: res.headers, text: res.text };
  }
  pool ??= new Pool(ctx.berth.url, { connect: { ca: ctx.berth.ca }, connections: 4, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  const res = await pool.request({ method: req.method as 'GET', path: req.path, headers: req.headers, body: req.body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Fills a plan's placeholders with this run's values. */
function materialize(ctx: RunContext, plan: RequestPlan): Sent {
  const apiVersions = ctx.apiVersions.get(plan.route.slice(plan.route.indexOf(' ') + 1)) ?? ['2021-04-01'];
  const op = ctx.operationPaths.length ? ctx.operationPaths[plan.pick % ctx.operationPaths.length] : 'none';
  const fill = (s: string) =>
    s
      .replaceAll('{{sub}}', ctx.sub)
      .replaceAll('{{api}}', apiVersions[plan.pick % apiVersions.length])
      .replaceAll('{{op}}', op)
      .replaceAll('{{clusterId}}', ctx.clusterId)
      .replaceAll('{{kubeClusterId}}', ctx.kubeClusterId)
      .replaceAll('{{kubeCluster}}', ctx.kubePrefix.split('/').pop()!);
  const tokens: Record<RequestPlan['token'], string | undefined> = {
    admin: ctx.berth.token,
    reader: ctx.readerToken,
    none: undefined,
    bad: 'not-a-token',
    kubeAdmin: ctx.kubeAdmin,
    kubeUser: ctx.kubeUser,
  };
  const token = tokens[plan.token];
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let body: string | Buffer | undefined;
  if (plan.body.binary !== undefined) body = Buffer.from(plan.body.binary, 'hex');
  else if (plan.body.text !== undefined) body = fill(plan.body.text);
  if (body !== undefined && plan.body.contentType) headers['content-type'] = plan.body.contentType;
  const path = (plan.area === 'kube' ? ctx.kubePrefix : '') + fill(plan.path) + (plan.query ? `?${fill(plan.query)}` : '');
  return { method: plan.method, path, headers, body };
}

/**
 * Every row a refused request must leave as it was. Left out: what changes
 * with no request (operation leases, attempts and next-run times) and the
 * watch event log, whose rows follow the objects' resourceVersions anyway.
 */
async function snapshot(berth: TestBerth): Promise<Snapshot> {
  const db = berth.server.store.db;
  const rows = new Map<string, string>();
  const [resources, secrets, objects, clusters, events, subscriptions, tokens, operations] = await Promise.all([
    db.selectFrom('resources').selectAll().execute(),
    db.selectFrom('resource_secrets').selectAll().execute(),
    db.selectFrom('kube_objects').selectAll().execute(),
    db.selectFrom('kube_clusters').selectAll().execute(),
    db
      .selectFrom('kube_events')
      .select(['cluster_id'])
      .select((eb) => eb.fn.countAll().as('n'))
      .groupBy('cluster_id')
      .execute(),
    db.selectFrom('subscriptions').selectAll().execute(),
    db.selectFrom('tokens').select(['hash', 'name', 'roles', 'expires_at']).execute(),
    db.selectFrom('operations').select(['id', 'kind', 'resource_id', 'status', 'error']).execute(),
  ]);
  for (const r of resources) rows.set(`resources ${r.id_key}`, JSON.stringify(r));
  for (const r of secrets) rows.set(`resource_secrets ${r.id_key} ${r.name}`, r.value);
  for (const r of objects) rows.set(`kube_objects ${r.cluster_id} ${r.resource} ${r.namespace}/${r.name}`, JSON.stringify(r));
  for (const r of clusters) rows.set(`kube_clusters ${r.cluster_id}`, JSON.stringify(r));
  for (const r of events) rows.set(`kube_events ${r.cluster_id}`, String(r.n));
  for (const r of subscriptions) rows.set(`subscriptions ${r.subscription_id}`, JSON.stringify(r));
  for (const r of tokens) rows.set(`tokens ${r.hash}`, JSON.stringify(r));
  for (const r of operations) rows.set(`operations ${r.id}`, JSON.stringify(r));
  const hash = createHash('sha256');
  for (const [k, v] of [...rows].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`${k}\u0000${v}\u0000`);
  return { hash: hash.digest('hex'), rows };
}

function diff(before: Snapshot, after: Snapshot): string {
  const lines: string[] = [];
  for (const [k, v] of after.rows) {
    if (!before.rows.has(k)) lines.push(`+ ${k}`);
    else if (before.rows.get(k) !== v) lines.push(`~ ${k}: ${before.rows.get(k)!.slice(0, 300)} -> ${v.slice(0, 300)}`);
  }
  for (const k of before.rows.keys()) if (!after.rows.has(k)) lines.push(`- ${k}`);
  return lines.slice(0, 10).join('\n');
}

async function inProgress(berth: TestBerth): Promise<number> {
  const row = await berth.server.store.db
    .selectFrom('operations')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', 'InProgress')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class NeverSettles extends Error {}

/** A snapshot once no operation is in progress and the simulated controllers have stopped changing things. */
async function settle(berth: TestBerth): Promise<Snapshot> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let last = await snapshot(berth);
  for (;;) {
    await sleep(SETTLE_GAP_MS);
    const next = await snapshot(berth);
    if (next.hash === last.hash && (await inProgress(berth)) === 0) return next;
    if (Date.now() > deadline) throw new NeverSettles(`the store still changes ${SETTLE_TIMEOUT_MS / 1000} s later:\n${diff(last, next)}`);
    last = next;
  }
}

/** The error body a refusal must have: ARM's `{"error":{code,message}}`, or a Kubernetes `Status` on a cluster's API. */
function shapeProblem(area: RequestPlan['area'], method: string, answer: Answer): string | undefined {
  if (method === 'HEAD') return undefined;
  let body: any;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return 'the body is not JSON';
  }
  if (area === 'arm') {
    return typeof body?.error?.code === 'string' && typeof body.error.message === 'string' ? undefined : 'not an ARM error body {"error":{"code","message"}}';
  }
  const ok = body?.kind === 'Status' && body.code === answer.status && typeof body.reason === 'string' && typeof body.message === 'string';
  return ok ? undefined : 'not a Kubernetes Status with the response code';
}

function describeRequest(req: Sent): Finding['request'] {
  const body =
    req.body === undefined
      ? undefined
      : Buffer.isBuffer(req.body)
        ? `hex:${req.body.toString('hex').slice(0, 200)}`
        : req.body.length > 300
          ? `${req.body.slice(0, 300)}… (${req.body.length} chars)`
          : req.body;
  const headers = { ...req.headers };
  if (headers.authorization) headers.authorization = 'Bearer <redacted>';
  return { method: req.method, path: req.path.length > 400 ? `${req.path.slice(0, 400)}…` : req.path, headers, body };
}

async function setUp(berth: TestBerth): Promise<{ ctx: RunContext; ops: Operation[] }> {
  const sub = berth.subscriptionId;
  await makeFixtures(berth, sub);
  const reader = await berth.request('POST', '/berth/tokens', { body: { role: 'Reader', name: 'fuzz-reader' } });
  await expectOk('reader token', reader, [201]);
  const kubePath = managedClusterPath(sub, FIXTURE.kubeGroup, FIXTURE.kubeCluster);
  const admin = kubeconfigParts(await clusterCredential(berth.request, kubePath, 'admin'));
  const user = kubeconfigParts(await clusterCredential(berth.request, kubePath, 'user'));
  const doc = await berth.request('GET', '/openapi.json');
  await expectOk('openapi.json', doc, [200]);
  const ops = operationsOf(doc.body);
  const ctx: RunContext = {
    berth,
    sub,
    readerToken: reader.body.token,
    kubeAdmin: admin.token,
    kubeUser: user.token,
    kubePrefix: new URL(admin.server).pathname,
    kubeClusterId: `/subscriptions/${sub}/resourceGroups/${FIXTURE.kubeGroup}/providers/Microsoft.ContainerService/managedClusters/${FIXTURE.kubeCluster}`,
    clusterId: `/subscriptions/${sub}/resourceGroups/${FIXTURE.group}/providers/Microsoft.ContainerService/managedClusters/${FIXTURE.cluster}`,
    operationPaths: [],
    apiVersions: new Map(),
  };
  for (const op of ops) if (op.armRoute && !ctx.apiVersions.has(op.path)) ctx.apiVersions.set(op.path, await apiVersionsOf(ctx, op));
  await makeKubeFixtures(ctx);
  return { ctx, ops };
}

/** Remembers `.../operationStatuses/{id}` of an answer's Azure-AsyncOperation header, for plans that ask for `{{op}}`. */
function rememberOperation(ctx: RunContext, answer: Answer): void {
  const url = answer.headers['azure-asyncoperation'];
  const match = typeof url === 'string' ? /\/operationStatuses\/([^?/]+)/.exec(url) : null;
  if (match && !ctx.operationPaths.includes(match[1])) ctx.operationPaths.push(match[1]);
}

/**
 * Starts a Berth, makes the fixtures, and sends `requests` planned requests
 * one at a time, checking each: no 5xx, refusals in the right error shape,
 * and a store left exactly as it was by every 4xx.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const berth = await startTestBerth({ provisioningDelayMs: 0, store: options.store });
  const report: FuzzReport = {
    seed: options.seed,
    requests: 0,
    durationMs: 0,
    byStatusClass: {},
    byStatus: {},
    byRoute: {},
    serverErrors: 0,
    stateChangesAfter4xx: 0,
    findings: [],
  };
  const record = (f: Finding) => {
    report.findings.push(f);
    options.log?.(formatFinding(f));
  };
  try {
    const { ctx, ops } = await setUp(berth);
    const plans = plansFor(ops, options.seed, options.requests);
    let baseline = await settle(berth);
    for (const [index, plan] of plans.entries()) {
      if (index > 0 && index % REPAIR_EVERY === 0) {
        await makeFixtures(berth, ctx.sub);
        await makeKubeFixtures(ctx);
        baseline = await settle(berth);
      }
      if (index > 0 && index % 1000 === 0)
        options.log?.(`${index} requests, ${Math.round((Date.now() - started) / 1000)} s, ${report.findings.length} findings`);
      const req = materialize(ctx, plan);
      let answer: Answer | undefined;
      try {
        answer = await send(ctx, req, plan.raw);
      } catch (err) {
        // A body over the limit may be cut off mid-send once the server has answered 413 and closed.
        const big = req.body !== undefined && req.body.length > 1024 * 1024;
        if (!big) record({ index, kind: 'no answer', request: describeRequest(req), detail: (err as Error).message });
      }
      report.requests++;
      try {
        baseline = await check(ctx, plan, answer, baseline, (kind, detail) =>
          record({ index, kind, request: describeRequest(req), status: answer?.status, response: answer?.text.slice(0, 500), detail }),
        );
      } catch (err) {
        if (!(err instanceof NeverSettles)) throw err;
        record({
          index,
          kind: 'never settles',
          request: describeRequest(req),
          status: answer?.status,
          response: answer?.text.slice(0, 500),
          detail: err.message,
        });
        break;
      }
    }
  } finally {
    await pool?.close();
    pool = undefined;
    await berth.close();
    report.durationMs = Date.now() - started;
  }
  return report;

  /** Counts an answer, checks it, and returns the baseline the next request is compared with. */
  async function check(
    ctx: RunContext,
    plan: RequestPlan,
    answer: Answer | undefined,
    baseline: Snapshot,
    finding: (kind: Finding['kind'], detail?: string) => void,
  ): Promise<Snapshot> {
    if (!answer) return settle(berth);
    const statusClass = `${Math.floor(answer.status / 100)}xx`;
    report.byStatusClass[statusClass] = (report.byStatusClass[statusClass] ?? 0) + 1;
    report.byStatus[answer.status] = (report.byStatus[answer.status] ?? 0) + 1;
    const route = (report.byRoute[plan.route] ??= {});
    route[statusClass] = (route[statusClass] ?? 0) + 1;
    if (answer.status >= 500) {
      report.serverErrors++;
      finding('5xx');
      return settle(berth);
    }
    if (answer.status >= 400) {
      const problem = shapeProblem(plan.area, plan.method, answer);
      if (problem) finding('error shape', problem);
      const after = await snapshot(berth);
      if (after.hash === baseline.hash) return baseline;
      report.stateChangesAfter4xx++;
      finding('state change after 4xx', diff(baseline, after));
      return settle(berth);
    }
    rememberOperation(ctx, answer);
    return ['GET', 'HEAD'].includes(plan.method) ? snapshot(berth) : settle(berth);
  }
}

/** One finding: the request as sent (token redacted, body cut), the answer, and what was wrong. */
export function formatFinding(f: Finding): string {
  return [
    `FINDING #${f.index} ${f.kind}${f.status ? ` (${f.status})` : ''}: ${f.request.method} ${f.request.path}`,
    `  headers: ${JSON.stringify(f.request.headers)}`,
    ...(f.request.body !== undefined ? [`  body: ${JSON.stringify(f.request.body)}`] : []),
    ...(f.response ? [`  response: ${f.response}`] : []),
    ...(f.detail ? [`  ${f.detail.replace(/\n/g, '\n  ')}`] : []),
  ].join('\n');
}

/** The report as text: counts, then each finding with what to replay. */
export function formatReport(report: FuzzReport): string {
  const lines = [
    `seed ${report.seed}: ${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s`,
    `by status class: ${JSON.stringify(report.byStatusClass)}`,
    `by status: ${JSON.stringify(report.byStatus)}`,
    `5xx: ${report.serverErrors}, state changes after 4xx: ${report.stateChangesAfter4xx}, error-shape problems: ${report.findings.filter((f) => f.kind === 'error shape').length}, no answer: ${report.findings.filter((f) => f.kind === 'no answer').length}, never settles: ${report.findings.filter((f) => f.kind === 'never settles').length}`,
    'by route:',
    ...Object.entries(report.byRoute)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(
        ([route, counts]) =>
          `  ${route}  ${Object.entries(counts)
            .sort()
            .map(([c, n]) => `${c}=${n}`)
            .join(' ')}`,
      ),
  ];
  for (const f of report.findings.slice(0, 30)) lines.push(formatFinding(f));
  if (report.findings.length)
    lines.push(`replay: FUZZ_SEED=${report.seed} FUZZ_REQUESTS=${report.findings[report.findings.length - 1].index + 1} npm run fuzz`);
  return lines.join('\n');
}
