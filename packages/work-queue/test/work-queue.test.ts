import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue, type WorkQueueOptions } from '../src/index.js';

/** A promise settled from outside: a reconcile that runs until the test lets it end. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A queue whose reconciles record when (fake ms since the test began) each key started, and how many ran at once. */
function recordingQueue(options: Partial<WorkQueueOptions> & { body?: (key: string, signal: AbortSignal) => Promise<unknown> } = {}) {
  const t0 = Date.now();
  const runs: Array<{ key: string; at: number }> = [];
  let running = 0;
  let maxRunning = 0;
  const queue = new WorkQueue({
    ...options,
    async reconcile(key, signal) {
      runs.push({ key, at: Date.now() - t0 });
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        return (await options.body?.(key, signal)) as never;
      } finally {
        running--;
      }
    },
  });
  return { queue, runs, at: (key: string) => runs.filter((r) => r.key === key).map((r) => r.at), maxRunning: () => maxRunning };
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a key added many times while pending once', async () => {
    const { queue, at } = recordingQueue();
    for (let i = 0; i < 10; i++) queue.add('a');
    expect(queue.size).toBe(1);
    await advance(50);
    expect(at('a')).toEqual([0]);
    expect(queue.size).toBe(0);
    await queue.shutdown();
  });

  it('runs a key added while it runs exactly once more, after the run, never two at once', async () => {
    const gates = [deferred(), deferred()];
    let n = 0;
    const { queue, at, maxRunning } = recordingQueue({ body: () => gates[n++].promise });
    queue.add('a');
    await advance(1);
    expect(at('a')).toHaveLength(1);
    for (let i = 0; i < 5; i++) queue.add('a');
    await advance(100);
    expect(at('a')).toHaveLength(1);
    gates[0].resolve();
    await advance(1);
    expect(at('a')).toHaveLength(2);
    gates[1].resolve();
    await advance(100);
    expect(at('a')).toHaveLength(2);
    expect(maxRunning()).toBe(1);
    expect(queue.size).toBe(0);
    await queue.shutdown();
  });

  it('counts an add from inside the key’s own reconcile, even before its first await, as one during the run', async () => {
    const gate = deferred();
    let first = true;
    const { queue, at, maxRunning } = recordingQueue({
      body: (key) => {
        if (first) queue.add(key);
        first = false;
        return gate.promise;
      },
    });
    queue.add('a');
    await advance(10);
    expect(at('a')).toEqual([0]);
    gate.resolve();
    await advance(10);
    expect(at('a')).toEqual([0, 10]);
    expect(maxRunning()).toBe(1);
    await queue.shutdown();
  });

  it('debounces: adds within the window share one run at the end of the first add’s window', async () => {
    const { queue, at } = recordingQueue({ debounceMs: 100 });
    queue.add('a');
    await advance(50);
    queue.add('a');
    await advance(40);
    queue.add('a');
    expect(at('a')).toEqual([]);
    await advance(10);
    expect(at('a')).toEqual([100]);
    await advance(200);
    expect(at('a')).toEqual([100]);
    // After the run, a new window.
    queue.add('a');
    await advance(100);
    expect(at('a')).toEqual([100, 400]);
    await queue.shutdown();
  });

  it('never postpones a pending key: an earlier add brings a later one forward', async () => {
    const { queue, at } = recordingQueue({ debounceMs: 100 });
    queue.add('a', { delayMs: 5_000 });
    queue.add('a');
    await advance(100);
    expect(at('a')).toEqual([100]);
    queue.add('a', { delayMs: 5_000 });
    queue.add('a', { delayMs: 10 });
    await advance(5_000);
    expect(at('a')).toEqual([100, 110]);
    await queue.shutdown();
  });

  it('backs off exponentially after failures, up to the cap', async () => {
    const errors: Array<[number, number]> = [];
    const { queue, at } = recordingQueue({
      backoff: { baseMs: 100, maxMs: 500 },
      body: async () => {
        throw new Error('cluster unreachable');
      },
      onError: (key, err, failures, retryInMs) => {
        expect(key).toBe('a');
        expect((err as Error).message).toBe('cluster unreachable');
        errors.push([failures, retryInMs]);
      },
    });
    queue.add('a');
    await advance(2_000);
    expect(errors.slice(0, 6)).toEqual([
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 500],
      [5, 500],
      [6, 500],
    ]);
    expect(at('a').slice(0, 6)).toEqual([0, 100, 300, 700, 1200, 1700]);
    await queue.shutdown();
  });

  it('resets the failure count after a success', async () => {
    const retries: number[] = [];
    let fail = 2;
    const { queue, at } = recordingQueue({
      backoff: { baseMs: 100 },
      body: async () => {
        if (fail-- > 0) throw new Error('not yet');
      },
      onError: (_key, _err, _failures, retryInMs) => retries.push(retryInMs),
    });
    queue.add('a');
    await advance(1_000);
    expect(retries).toEqual([100, 200]);
    expect(at('a')).toEqual([0, 100, 300]);
    fail = 1;
    queue.add('a');
    await advance(1_000);
    expect(retries).toEqual([100, 200, 100]);
    await queue.shutdown();
  });

  it('runs again after requeueAfterMs, and a requeue resets failures', async () => {
    const outcomes: Array<'fail' | 'requeue' | 'done'> = ['requeue', 'fail', 'fail', 'requeue', 'fail', 'done'];
    const retries: number[] = [];
    const { queue, at } = recordingQueue({
      backoff: { baseMs: 10 },
      body: async () => {
        const outcome = outcomes.shift();
        if (outcome === 'fail') throw new Error('failed');
        return outcome === 'requeue' ? { requeueAfterMs: 1_000 } : undefined;
      },
      onError: (_key, _err, _failures, retryInMs) => retries.push(retryInMs),
    });
    queue.add('a');
    await advance(5_000);
    expect(at('a')).toEqual([0, 1_000, 1_010, 1_030, 2_030, 2_040]);
    expect(retries).toEqual([10, 20, 10]);
    expect(queue.size).toBe(0);
    await queue.shutdown();
  });

  it('serializes keys of one group and runs different groups concurrently', async () => {
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const gate = (key: string) => gates.get(key) ?? gates.set(key, deferred()).get(key)!;
    const { queue, at, maxRunning } = recordingQueue({ groupOf: (key) => key.split('/')[0], body: (key) => gate(key).promise });
    queue.add('c1/a');
    queue.add('c1/b');
    queue.add('c2/a');
    await advance(10);
    expect(at('c1/a')).toEqual([0]);
    expect(at('c2/a')).toEqual([0]);
    expect(at('c1/b')).toEqual([]);
    expect(queue.size).toBe(3);
    await advance(90);
    gate('c1/a').resolve();
    await advance(1);
    expect(at('c1/b')).toEqual([100]);
    expect(maxRunning()).toBe(2);
    gate('c1/b').resolve();
    gate('c2/a').resolve();
    await queue.idle();
    expect(queue.size).toBe(0);
    await queue.shutdown();
  });

  it('forget drops a pending key and its failure count', async () => {
    const retries: number[] = [];
    let fail = true;
    const { queue, at } = recordingQueue({
      backoff: { baseMs: 100 },
      body: async () => {
        if (fail) throw new Error('failed');
      },
      onError: (_key, _err, _failures, retryInMs) => retries.push(retryInMs),
    });
    queue.add('a');
    await advance(150);
    expect(retries).toEqual([100, 200]);
    queue.forget('a');
    expect(queue.size).toBe(0);
    await advance(1_000);
    expect(at('a')).toEqual([0, 100]);
    queue.add('a');
    await advance(0);
    expect(retries).toEqual([100, 200, 100]);
    fail = false;
    await advance(100);
    queue.add('b', { delayMs: 100 });
    queue.forget('b');
    await advance(1_000);
    expect(at('b')).toEqual([]);
    expect(queue.size).toBe(0);
    await queue.shutdown();
  });

  it('forget of a running key drops its re-run and failure count, without aborting the run', async () => {
    const retries: number[] = [];
    let gate: ReturnType<typeof deferred> | undefined;
    let aborted = false;
    const { queue, at } = recordingQueue({
      backoff: { baseMs: 100 },
      body: async (_key, signal) => {
        await gate?.promise;
        aborted ||= signal.aborted;
        throw new Error('failed');
      },
      onError: (_key, _err, _failures, retryInMs) => retries.push(retryInMs),
    });
    queue.add('a');
    await advance(150);
    gate = deferred();
    await advance(150);
    expect(at('a')).toEqual([0, 100, 300]);
    queue.add('a');
    queue.forget('a');
    expect(queue.size).toBe(1);
    gate.resolve();
    gate = undefined;
    await advance(0);
    // The run still failed and retries, from the first backoff step and without the re-run it was asked for.
    expect(aborted).toBe(false);
    expect(retries).toEqual([100, 200, 100]);
    await advance(100);
    expect(at('a')).toEqual([0, 100, 300, 400]);
    await queue.shutdown();
  });

  it('idle() resolves once nothing is pending or running', async () => {
    const gate = deferred();
    const { queue } = recordingQueue({ body: () => gate.promise });
    let idle = false;
    queue.add('a', { delayMs: 50 });
    void queue.idle().then(() => (idle = true));
    await advance(100);
    expect(idle).toBe(false);
    gate.resolve();
    await advance(0);
    expect(idle).toBe(true);
    await queue.shutdown();
  });

  it('shutdown aborts running reconciles, awaits them, drops pending keys and ignores later adds', async () => {
    const aborted: unknown[] = [];
    let ended = false;
    const errors: unknown[] = [];
    const { queue, at } = recordingQueue({
      debounceMs: 10,
      body: (key, signal) =>
        key === 'slow'
          ? new Promise<void>((_resolve, reject) =>
              signal.addEventListener('abort', () => {
                aborted.push(signal.reason);
                // Ends a little after the abort, as a real request would.
                setTimeout(() => {
                  ended = true;
                  reject(signal.reason);
                }, 20);
              }),
            )
          : Promise.resolve({ requeueAfterMs: 1_000 }),
      onError: (_key, err) => errors.push(err),
    });
    queue.add('slow');
    queue.add('periodic');
    await advance(10);
    queue.add('pending', { delayMs: 500 });
    expect(queue.size).toBe(3);
    expect(vi.getTimerCount()).toBeGreaterThan(0);

    let done = false;
    const first = queue.shutdown().then(() => (done = true));
    expect(aborted).toHaveLength(1);
    await advance(10);
    expect(done).toBe(false);
    await advance(10);
    await first;
    expect(ended).toBe(true);
    expect(queue.shutdown()).toBe(queue.shutdown());
    await queue.shutdown();

    queue.add('later');
    queue.add('slow');
    expect(queue.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await queue.idle();
    await advance(5_000);
    expect(at('later')).toEqual([]);
    expect(at('slow')).toEqual([10]);
    expect(at('periodic')).toEqual([10]);
    expect(at('pending')).toEqual([]);
    // The abort is not reported as a failure to retry.
    expect(errors).toEqual([]);
  });
});
