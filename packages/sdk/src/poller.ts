import { sleep, type ArmRestClient, type OperationStatus } from './rest-client.js';
import { OperationFailedError } from './errors.js';

/** What a poller knows of its operation; `toString()` of the poller serializes it for `resumePoller`. */
export interface PollerState {
  /** The `Azure-AsyncOperation` URL. */
  statusUrl?: string;
  /** Where the final resource is read (PUT/PATCH); none for a delete. */
  resourceUrl?: string;
  status: string;
  error?: { code: string; message: string };
}

export interface PollUntilDoneOptions {
  abortSignal?: AbortSignal;
  /** Poll interval when the server sends no Retry-After. */
  intervalInMs?: number;
}

export type ProgressListener = (state: PollerState, elapsedMs: number) => void;

/**
 * A long-running operation of Berth (Azure SDK guidelines: `begin…` returns a
 * poller). Dropping the poller does not cancel the work; its state survives a
 * restart of the client through `toString()` and `BerthClient.resumePoller`.
 */
export class BerthPoller<T> {
  private readonly listeners = new Set<ProgressListener>();
  private result?: T;
  private readonly started = Date.now();

  constructor(
    private readonly rest: ArmRestClient,
    private state: PollerState,
    private readonly readResult: (url: string) => Promise<T>,
    initial?: T,
  ) {
    this.result = initial;
  }

  get isDone(): boolean {
    return ['succeeded', 'failed', 'canceled'].includes(this.state.status.toLowerCase());
  }

  getOperationState(): PollerState {
    return { ...this.state };
  }

  /** The result once done (or the first response's body before). */
  getResult(): T | undefined {
    return this.result;
  }

  onProgress(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One poll of the operation's status. */
  async poll(options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    if (this.isDone) return;
    if (!this.state.statusUrl) {
      this.state.status = 'Succeeded';
    } else {
      const res = await this.rest.request<OperationStatus>('GET', this.state.statusUrl, { abortSignal: options.abortSignal });
      this.state = { ...this.state, status: res.body.status, ...(res.body.error ? { error: res.body.error } : {}) };
    }
    for (const l of this.listeners) l(this.getOperationState(), Date.now() - this.started);
    if (this.state.status.toLowerCase() === 'succeeded' && this.state.resourceUrl) this.result = await this.readResult(this.state.resourceUrl);
  }

  /** Polls until the operation ends; resolves with the final resource, rejects with `OperationFailedError`. */
  async pollUntilDone(options: PollUntilDoneOptions = {}): Promise<T> {
    while (!this.isDone) {
      await this.poll(options);
      if (!this.isDone) await sleep(options.intervalInMs ?? 1000, options.abortSignal);
    }
    if (this.state.status.toLowerCase() !== 'succeeded') {
      throw new OperationFailedError(this.state.status, this.state.error ?? { code: this.state.status, message: 'The operation did not succeed.' }, this.state.statusUrl?.split('/').pop()?.split('?')[0] ?? '');
    }
    return this.result as T;
  }

  toString(): string {
    return JSON.stringify(this.state);
  }
}
