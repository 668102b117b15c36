import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BerthPoller, OperationFailedError, type OperationStatusReader } from '@berth/sdk';

/** A status URL that answers `answers` in turn, recording when each read happened. */
function scripted(answers: Array<{ status: string; retryAfter?: string; error?: { code: string; message: string } }>) {
  const readAt: number[] = [];
  const read: OperationStatusReader = async () => {
    readAt.push(Date.now());
    const a = answers[Math.min(readAt.length - 1, answers.length - 1)];
    return { body: { name: 'op1', status: a.status, ...(a.error ? { error: a.error } : {}) }, headers: a.retryAfter ? { 'retry-after': a.retryAfter } : {} };
  };
  const gaps = () => readAt.slice(1).map((t, i) => t - readAt[i]);
  return { read, gaps };
}

const STATUS_URL = 'https://berth.test/providers/Microsoft.MachineLearningServices/locations/westus/operationStatuses/op1';

describe('BerthPoller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  async function settle<T>(promise: Promise<T>): Promise<T> {
    const settled = promise.then(
      (value) => ({ value }),
      (error) => ({ error }),
    );
    await vi.runAllTimersAsync();
    const outcome = (await settled) as { value?: T; error?: unknown };
    if ('error' in outcome) throw outcome.error;
    return outcome.value as T;
  }

  it("waits what the server's Retry-After asks, else 1 s, and reports each status", async () => {
    const server = scripted([{ status: 'InProgress', retryAfter: '3' }, { status: 'InProgress' }, { status: 'Succeeded' }]);
    const poller = BerthPoller.forOperationStatus(STATUS_URL, server.read);
    const seen: string[] = [];
    poller.onProgress((state) => seen.push(state.status));
    const final = await settle(poller.pollUntilDone());
    expect(server.gaps()).toEqual([3000, 1000]);
    expect(seen).toEqual(['InProgress', 'InProgress', 'Succeeded']);
    expect(final).toEqual({ name: 'op1', status: 'Succeeded' });
  });

  it("waits the caller's intervalInMs over the server's Retry-After", async () => {
    const server = scripted([{ status: 'InProgress', retryAfter: '3' }, { status: 'InProgress', retryAfter: '3' }, { status: 'Succeeded' }]);
    await settle(BerthPoller.forOperationStatus(STATUS_URL, server.read).pollUntilDone({ intervalInMs: 25 }));
    expect(server.gaps()).toEqual([25, 25]);
  });

  it('keeps no abort listener after a wait: one signal serves a long operation of many polls', async () => {
    const server = scripted([...Array.from({ length: 20 }, () => ({ status: 'InProgress' })), { status: 'Succeeded' }]);
    const controller = new AbortController();
    await settle(BerthPoller.forOperationStatus(STATUS_URL, server.read).pollUntilDone({ abortSignal: controller.signal }));
    expect(server.gaps()).toHaveLength(20);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with OperationFailedError, or resolves with the final document when asked to', async () => {
    const error = { code: 'RequestDisallowedByPolicy', message: 'Denied.' };
    const failing = scripted([{ status: 'InProgress' }, { status: 'Failed', error }]);
    const err = await settle(BerthPoller.forOperationStatus(STATUS_URL, failing.read).pollUntilDone()).catch((e) => e);
    expect(err).toBeInstanceOf(OperationFailedError);
    expect(err).toMatchObject({ status: 'Failed', error, operationId: 'op1' });
    const canceled = scripted([{ status: 'Canceled' }]);
    expect(await settle(BerthPoller.forOperationStatus(STATUS_URL, canceled.read, { resolveOnUnsuccessful: true }).pollUntilDone())).toMatchObject({
      status: 'Canceled',
    });
  });

  it('stops waiting when aborted, and resumes from its serialized state', async () => {
    const server = scripted([{ status: 'InProgress', retryAfter: '60' }, { status: 'Succeeded' }]);
    const poller = BerthPoller.forOperationStatus(STATUS_URL, server.read);
    const aborted = new AbortController();
    const waiting = poller.pollUntilDone({ abortSignal: aborted.signal }).catch((e) => e);
    await vi.advanceTimersByTimeAsync(1000);
    aborted.abort(new Error('stopped by the caller'));
    expect(await waiting).toMatchObject({ message: 'stopped by the caller' });
    expect(poller.getOperationState()).toEqual({ statusUrl: STATUS_URL, status: 'InProgress' });
    const resumed = new BerthPoller(JSON.parse(poller.toString()), { readStatus: server.read });
    await settle(resumed.pollUntilDone());
    expect(resumed.getOperationState().status).toBe('Succeeded');
  });
});
