import { BerthConnectionError } from './errors.js';
import type { Transport, TransportOptions } from './transport.js';

/**
 * `fetch`. The browser decides which certificates to trust, so `ca` does not apply here. Same-origin
 * cookies go along, so a page Berth serves (the Studio) is signed in by its session cookie.
 */
export function createTransport(_options: TransportOptions): Transport {
  return async (request) => {
    let res: Response;
    try {
      res = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: request.abortSignal,
        credentials: 'same-origin',
      });
    } catch (err) {
      if (request.abortSignal?.aborted) throw err;
      // A browser's fetch says no more than "failed to fetch": refused, untrusted and cross-origin-blocked
      // look alike. Node's fetch puts the socket's error in `cause`.
      const cause = (err as Error).cause as { code?: string; message?: string } | undefined;
      throw new BerthConnectionError(
        `Cannot reach Berth at ${request.url.origin} (${cause?.code ?? cause?.message ?? (err as Error).message}); is it running, does this browser trust its certificate, and does it accept calls from this page's origin?`,
        cause?.code ?? 'ECONNECTION',
      );
    }
    return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
  };
}
