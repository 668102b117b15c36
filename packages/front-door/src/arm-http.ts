import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OperationRow } from '@berth/store';

/**
 * Berth's configured address (`--public-url`), for the links it hands out: never the
 * request's `Host` header, which a client could point at a host of its choosing.
 */
export function baseUrl(request: FastifyRequest): string {
  return request.server.berth.publicUrl;
}

export function apiVersionOf(request: FastifyRequest): string {
  return String((request.query as Record<string, unknown>)['api-version'] ?? '');
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** Paging parameters: `$skipToken` (the last key of the previous page) and `$top`. */
export function pageOf(request: FastifyRequest): { after?: string; limit: number } {
  const query = request.query as Record<string, unknown>;
  const top = Number(query['$top'] ?? DEFAULT_PAGE);
  const limit = Number.isInteger(top) && top > 0 ? Math.min(top, MAX_PAGE) : DEFAULT_PAGE;
  const token = query['$skipToken'];
  return { after: typeof token === 'string' && token !== '' ? token : undefined, limit };
}

/** `{value, nextLink?}`: `nextLink` repeats this request's URL with `$skipToken` set when the page is full. */
export function page<T>(request: FastifyRequest, items: T[], keys: string[], limit: number): { value: T[]; nextLink?: string } {
  if (items.length < limit || keys.length === 0) return { value: items };
  const url = new URL(request.url, baseUrl(request));
  url.searchParams.set('$skipToken', keys[keys.length - 1]);
  url.searchParams.set('$top', String(limit));
  return { value: items, nextLink: url.toString() };
}

/** Where a client polls an operation: `Azure-AsyncOperation` (status) and `Location` (result). */
export function operationUrls(request: FastifyRequest, op: OperationRow, namespace: string, location: string) {
  const base = `${baseUrl(request)}/subscriptions/${op.subscription_key}/providers/${namespace}/locations/${encodeURIComponent(location)}`;
  const q = `?api-version=${encodeURIComponent(apiVersionOf(request))}`;
  return {
    status: `${base}/operationStatuses/${op.id}${q}`,
    result: `${base}/operationResults/${op.id}${q}`,
  };
}

/** Answers a call that started `op` (201 for a create, 200 for an update, 202 for a delete) with the polling headers. */
export function sendAccepted(
  request: FastifyRequest,
  reply: FastifyReply,
  op: OperationRow,
  options: { namespace: string; location: string; statusCode: 200 | 201 | 202; body?: unknown; withLocation?: boolean },
): FastifyReply {
  const urls = operationUrls(request, op, options.namespace, options.location);
  reply.header('Azure-AsyncOperation', urls.status);
  if (options.withLocation) reply.header('Location', urls.result);
  reply.header('Retry-After', '1');
  reply.code(options.statusCode);
  return options.body === undefined ? reply.send() : reply.send(options.body);
}

/** ARM locations compare without case or spaces: "West US" is `westus`. */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

export function nowIso(): string {
  return new Date().toISOString();
}
