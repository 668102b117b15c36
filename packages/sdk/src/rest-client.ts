import { createTransport } from '#transport';
import { BerthRestError, type ErrorDetail } from './errors.js';
import type { OperationStep } from './models.js';
import type { Transport } from './transport.js';

/** Where Berth is and how to prove who you are. */
export interface ConnectionSettings {
  endpoint: string;
  /** The bearer token; empty in a browser page signed in with a session cookie (the Studio), which sends no Authorization header. */
  token: string;
  /** Headers sent with every request, e.g. the Studio session's `X-Berth-CSRF`. */
  headers?: Record<string, string>;
  /** PEM of the CA that signs the endpoint's certificate (Berth's `ca.pem`); ignored in a browser, which trusts certificates itself. */
  ca?: string;
}

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
  /** Berth's steps of the operation, the current one last (other services may send none). */
  operations?: OperationStep[];
}

/** JSON over HTTPS to Berth's ARM API, with the bearer token, through this runtime's transport. */
export class ArmRestClient {
  private readonly transport: Transport;

  constructor(readonly connection: ConnectionSettings) {
    this.transport = createTransport({ ca: connection.ca });
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<RestResponse<T>> {
    const url = new URL(path, this.connection.endpoint);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const res = await this.transport({
      method,
      url,
      headers: {
        ...this.connection.headers,
        ...(this.connection.token ? { authorization: `Bearer ${this.connection.token}` } : {}),
        accept: 'application/json',
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: payload,
      abortSignal: options.abortSignal,
    });
    let body: any;
    try {
      body = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      body = res.text;
    }
    if (res.status >= 400) {
      const error: ErrorDetail = body?.error ?? { code: `HTTP${res.status}`, message: typeof body === 'string' && body ? body : `HTTP ${res.status}` };
      throw new BerthRestError(res.status, error, res.headers['x-ms-request-id']);
    }
    return { status: res.status, headers: res.headers, body };
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

  /** One GET of an `Azure-AsyncOperation` URL: how `BerthPoller` reads status unless given another reader. */
  readOperationStatus(statusUrl: string, abortSignal?: AbortSignal): Promise<RestResponse<OperationStatus>> {
    return this.request<OperationStatus>('GET', statusUrl, { abortSignal });
  }
}
