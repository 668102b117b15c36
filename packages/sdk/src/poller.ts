import { OperationFailedError } from './errors.js';
import type { ArmRestClient, OperationStatus } from './rest-client.js';

/** What a poller knows of its operation; `toString()` of the poller serializes it for `resumePoller`. */
export interface PollerState {
  /** The `Azure-AsyncOperation` URL. */
  statusUrl?: string;
  /** Where the final resource is read (PUT/PATCH); none for a delete. */
  resourceUrl?: string;
  status: string;
  error?: { code: string; message: string };
  /** The operation's steps so far, the current one last, as its last status listed them. */
  steps?: OperationStatus['operations'];
}

export interface PollUntilDoneOptions {
  abortSignal?: AbortSignal;
  /** Wait between polls; without it, the server's Retry-After, else 1 s. */
  intervalInMs?: number;
}

export type ProgressListener = (state: PollerState, elapsedMs: number) => void;

/** An operation-status document and the headers it came with (Retry-After sets the next wait). */
export interface OperationStatusResponse {
  body: OperationStatus;
  headers: Record<string, string | string[] | undefined>;
}

/** One GET of an operation-status URL; rejects when the status cannot be read. */
export type OperationStatusReader = (statusUrl: string, abortSignal?: AbortSignal) => Promise<OperationStatusResponse>;

export interface BerthPollerOptions<T> {
  /** Reads the status URL: a client's `readOperationStatus`, or any other way to GET it. */
  readStatus: OperationStatusReader;
  /**
   * The result from the final status document, e.g. a GET of the resource the
   * operation made. Called once it succeeded (once it ended, with
   * `resolveOnUnsuccessful`); without it the result stays `initialResult`.
   */
  readResult?: (final: OperationStatus, abortSignal?: AbortSignal) => Promise<T>;
  /** The result until the operation ends: the first response's body. */
  initialResult?: T;
  /** `pollUntilDone` resolves with the result when the operation fails or is canceled, instead of throwing (as @azure/core-lro's option of that name). */
  resolveOnUnsuccessful?: boolean;
}

const DEFAULT_INTERVAL_MS = 1000;

/** Waits `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    // The listener goes with the wait: one signal serves every poll of a long operation.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in seconds (the form ARM sends with operation status), as milliseconds. */
function retryAfterInMs(header: string | string[] | undefined): number | undefined {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * A long-running operation of Berth (Azure SDK guidelines: `begin…` returns a
 * poller). Dropping the poller does not cancel the work; its state survives a
 * restart of the client through `toString()` and `BerthClient.resumePoller`.
 */
export class BerthPoller<T> {
  private readonly listeners = new Set<ProgressListener>();
  private result?: T;
  private retryAfterInMs?: number;
  private readonly started = Date.now();

  constructor(
    private state: PollerState,
    private readonly options: BerthPollerOptions<T>,
  ) {
    this.result = options.initialResult;
  }

  /**
   * A poller of a bare `Azure-AsyncOperation` URL (one a raw ARM call returned),
   * whose result is the final operation-status document. It reads through
   * `reader`'s `readOperationStatus`, or through `reader` itself when a function.
   */
  static forOperationStatus(
    statusUrl: string,
    reader: ArmRestClient | OperationStatusReader,
    options: { resolveOnUnsuccessful?: boolean } = {},
  ): BerthPoller<OperationStatus> {
    const readStatus: OperationStatusReader = typeof reader === 'function' ? reader : (url, abortSignal) => reader.readOperationStatus(url, abortSignal);
    return new BerthPoller<OperationStatus>(
      { statusUrl, status: 'InProgress' },
      { readStatus, readResult: async (final) => final, resolveOnUnsuccessful: options.resolveOnUnsuccessful },
    );
  }

  get isDone(): boolean {
    return ['succeeded', 'failed', 'canceled'].includes(this.state.status.toLowerCase());
  }

  private get succeeded(): boolean {
    return this.state.status.toLowerCase() === 'succeeded';
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
      this.state = { ...this.state, status: 'Succeeded' };
      return;
    }
    const { body, headers } = await this.options.readStatus(this.state.statusUrl, options.abortSignal);
    this.retryAfterInMs = retryAfterInMs(headers['retry-after']);
    this.state = { ...this.state, status: body.status, ...(body.error ? { error: body.error } : {}), ...(body.operations ? { steps: body.operations } : {}) };
    for (const l of this.listeners) l(this.getOperationState(), Date.now() - this.started);
    if (this.isDone && (this.succeeded || this.options.resolveOnUnsuccessful) && this.options.readResult) {
      this.result = await this.options.readResult(body, options.abortSignal);
    }
  }

  /**
   * Polls until the operation ends, waiting `intervalInMs` between polls, else
   * what the server's Retry-After asks, else 1 s. Resolves with the result;
   * rejects with `OperationFailedError` unless it succeeded or `resolveOnUnsuccessful`.
   */
  async pollUntilDone(options: PollUntilDoneOptions = {}): Promise<T> {
    while (!this.isDone) {
      await this.poll(options);
      if (!this.isDone) await sleep(options.intervalInMs ?? this.retryAfterInMs ?? DEFAULT_INTERVAL_MS, options.abortSignal);
    }
    if (!this.succeeded && !this.options.resolveOnUnsuccessful) {
      throw new OperationFailedError(
        this.state.status,
        this.state.error ?? { code: this.state.status, message: 'The operation did not succeed.' },
        this.state.statusUrl?.split('/').pop()?.split('?')[0] ?? '',
      );
    }
    return this.result as T;
  }

  toString(): string {
    return JSON.stringify(this.state);
  }
}
