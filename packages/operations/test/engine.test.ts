import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type OperationRow, type Store } from '@berth/store';
import { freshPostgresDatabase, testStores, type StoreKind } from '../../../test-support/berth.js';
import { OperationsEngine, type EngineOptions, type OperationHandler } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.each(testStores())('the operations engine on %s', (kind: StoreKind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function store(): Promise<Store> {
    let url: string;
    if (kind === 'postgres') {
      const database = await freshPostgresDatabase();
      cleanups.push(() => database.drop());
      url = database.url;
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'berth-engine-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      url = join(dir, 'berth.db');
    }
    const s = await openStore(url);
    cleanups.push(() => s.close());
    return s;
  }

  function engine(s: Store, handler: OperationHandler<any>, options: Partial<EngineOptions> = {}): OperationsEngine {
    const e = new OperationsEngine({ db: s.db, leaseMs: 2_000, ...options });
    e.register(handler);
    cleanups.push(() => e.stop());
    return e;
  }

  const begin = (e: OperationsEngine, step = 'one') =>
    e.begin({ kind: 'Test/run', resourceId: `/subscriptions/s/things/${Math.random()}`, subscriptionId: 's', step });

  it('runs the steps of an operation, waking for its own waits and retries without waiting for the next poll', async () => {
    const s = await store();
    const runs: string[] = [];
    const e = engine(
      s,
      {
        kind: 'Test/run',
        async run({ step, attempt }) {
          runs.push(`${step}#${attempt}`);
          if (step === 'one') return { next: 'two', afterMs: 100 };
          if (step === 'two' && attempt === 1) throw new Error('flaky');
          return { done: true };
        },
      },
      // Polls this rare would leave the wait and the retry (400 ms) for a minute.
      { pollIntervalMs: 60_000 },
    );
    e.start();
    const started = Date.now();
    const op = await begin(e);
    const done = await until('the operation to succeed', async () => {
      const row = await e.get(op.id);
      return row?.status === 'Succeeded' ? row : undefined;
    });
    expect(runs).toEqual(['one#1', 'two#1', 'two#2']);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(done.lease_owner).toBeNull();
    // Its record of steps: each once (the retry is the same step), in order, each ended by the next.
    const steps = JSON.parse(done.steps) as Array<{ name: string; status: string; startTime: string; endTime: string }>;
    expect(steps.map((st) => `${st.name}:${st.status}`)).toEqual(['one:Succeeded', 'two:Succeeded']);
    expect(steps[0].startTime).toBe(done.start_time);
    expect(steps[0].endTime).toBe(steps[1].startTime);
    expect(steps[1].endTime).toBe(done.end_time);
    // A step begins when the one before ends: its wait and its retry are part of it.
    expect(Date.parse(steps[1].endTime) - Date.parse(steps[1].startTime)).toBeGreaterThanOrEqual(100);
  });

  it('records the step an operation failed in', async () => {
    const s = await store();
    const e = engine(s, {
      kind: 'Test/run',
      async run({ step }) {
        if (step === 'one') return { next: 'two' };
        return { failed: { code: 'Refused', message: 'no' } };
      },
    });
    e.start();
    const op = await begin(e);
    const failed = await until('the operation to fail', async () => {
      const row = await e.get(op.id);
      return row?.status === 'Failed' ? row : undefined;
    });
    expect(JSON.parse(failed.steps).map((st: { name: string; status: string }) => `${st.name}:${st.status}`)).toEqual(['one:Succeeded', 'two:Failed']);
  });

  it('two engines on one database share the operations, and each step runs once', async () => {
    const s = await store();
    const ran = new Map<string, string[]>();
    const handler = (name: string): OperationHandler => ({
      kind: 'Test/run',
      async run({ operation, step }) {
        const key = `${operation.id}/${step}`;
        ran.set(key, [...(ran.get(key) ?? []), name]);
        await sleep(20);
        return step === 'one' ? { next: 'two', afterMs: 30 } : { done: true };
      },
    });
    const a = engine(s, handler('a'), { pollIntervalMs: 20, concurrency: 3 });
    const b = engine(s, handler('b'), { pollIntervalMs: 20, concurrency: 3 });
    a.start();
    b.start();
    const ops: OperationRow[] = [];
    for (let i = 0; i < 16; i++) ops.push(await begin(a));
    await until('every operation to succeed', async () => {
      const rows = await Promise.all(ops.map((op) => a.get(op.id)));
      return rows.every((r) => r?.status === 'Succeeded') ? true : undefined;
    });
    expect(ran.size).toBe(32);
    expect([...ran.values()].every((by) => by.length === 1)).toBe(true);
    const by = new Set([...ran.values()].flat());
    expect(by).toEqual(new Set(['a', 'b']));
  });

  it('a stopped engine releases its operation and claims nothing more; another resumes it', async () => {
    const s = await store();
    let open = false;
    const runsBy = { a: 0, b: 0 };
    const handler = (name: 'a' | 'b'): OperationHandler => ({
      kind: 'Test/run',
      async run({ step }) {
        runsBy[name]++;
        if (step === 'wait') return open ? { next: 'last' } : { next: 'wait', afterMs: 30 };
        return { done: true };
      },
    });
    const a = engine(s, handler('a'), { pollIntervalMs: 20 });
    a.start();
    const op = await begin(a, 'wait');
    await until('a few waits', async () => (runsBy.a >= 3 ? true : undefined));
    await a.stop();
    const row = await a.get(op.id);
    expect(row).toMatchObject({ status: 'InProgress', step: 'wait', lease_owner: null });

    // Stopped: neither its poll, its wake-ups nor a kick claim anything.
    const runsWhenStopped = runsBy.a;
    a.kick();
    await sleep(200);
    expect(runsBy.a).toBe(runsWhenStopped);
    expect((await a.get(op.id))?.status).toBe('InProgress');

    const b = engine(s, handler('b'), { pollIntervalMs: 20 });
    open = true;
    b.start();
    await until('the other engine to finish it', async () => ((await b.get(op.id))?.status === 'Succeeded' ? true : undefined));
    expect(runsBy.b).toBeGreaterThanOrEqual(2);
    expect(runsBy.a).toBe(runsWhenStopped);
  });
});
