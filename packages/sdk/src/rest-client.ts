import { request as httpsRequest } from 'node:https';
import { BerthConnectionError, BerthRestError, OperationFailedError, type ErrorDetail } from './errors.js';
import type { ConnectionSettings } from './connection.js';

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  abortSignal?: AbortSignal;
}

export interface RestResponse<T = any> {
  status: number;
  headers: Record<string, string | undefined>;
  body: T;
}

export interface OperationStatus {
  id?: string;
  name: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled' | string;
  startTime?: string;
  endTime?: string;
  error?: ErrorDetail;
}

export interface PollOptions {
  abortSignal?: AbortSignal;
  /** Poll interval when the server gives no Retry-After. */
  intervalInMs?: number;
  onProgress?(status: OperationStatus, elapsedMs: number): void;
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/** Waits `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** JSON over HTTPS to Berth's ARM API, with the bearer token and Berth's CA. */
export class ArmRestClient {
  constructor(readonly connection: ConnectionSettings) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<RestResponse<T>> {
    const url = new URL(path, this.connection.endpoint);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          ca: this.connection.ca,
          signal: options.abortSignal,
          headers: {
            authorization: `Bearer ${this.connection.token}`,
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: any;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = text;
            }
            const status = res.statusCode ?? 0;
            const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
            if (status >= 400) {
              const error: ErrorDetail = body?.error ?? { code: `HTTP${status}`, message: typeof body === 'string' && body ? body : `HTTP ${status}` };
              reject(new BerthRestError(status, error, headers['x-ms-request-id']));
              return;
            }
            resolve({ status, headers, body });
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') return reject(err);
        const untrusted = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(err.code ?? '');
        reject(
          new BerthConnectionError(
            untrusted
              ? `Berth at ${this.connection.endpoint} presented a certificate this client does not trust (${err.code}); use the ca.pem from that Berth's home folder.`
              : `Cannot reach Berth at ${this.connection.endpoint} (${err.code ?? err.message}); is it running? Start it with \`berth up\`.`,
            err.code ?? 'ECONNECTION',
          ),
        );
      });
      req.end(payload);
    });
  }

  /** Every item of a paged ARM list, following `nextLink`. */
  async listAll<T>(path: string, options: RequestOptions = {}): Promise<T[]> {
    const items: T[] = [];
    let res = await this.request<{ value: T[]; nextLink?: string }>('GET', path, options);
    items.push(...res.body.value);
    while (res.body.nextLink) {
      res = await this.request('GET', res.body.nextLink, { abortSignal: options.abortSignal });
      items.push(...res.body.value);
    }
    return items;
  }

  /** Polls an `Azure-AsyncOperation` URL until the operation ends; throws `OperationFailedError` unless it succeeded. */
  async pollOperation(statusUrl: string, options: PollOptions = {}): Promise<OperationStatus> {
    const started = Date.now();
    for (;;) {
      const res = await this.request<OperationStatus>('GET', statusUrl, { abortSignal: options.abortSignal });
      options.onProgress?.(res.body, Date.now() - started);
      const state = String(res.body.status).toLowerCase();
      if (TERMINAL.has(state)) {
        if (state !== 'succeeded') {
          throw new OperationFailedError(res.body.status, res.body.error ?? { code: res.body.status, message: 'The operation did not succeed.' }, res.body.name);
        }
        return res.body;
      }
      const retryAfter = Number(res.headers['retry-after']);
      await sleep(options.intervalInMs ?? (retryAfter > 0 ? retryAfter * 1000 : 1000), options.abortSignal);
    }
  }
}
