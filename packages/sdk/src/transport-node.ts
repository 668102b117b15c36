import { request as httpsRequest } from 'node:https';
import { BerthConnectionError } from './errors.js';
import type { Transport, TransportOptions } from './transport.js';

const UNTRUSTED_CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

/** `node:https`, trusting `options.ca` when given (Berth's own CA, which Node does not know). */
export function createTransport(options: TransportOptions): Transport {
  return (request) =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        request.url,
        {
          method: request.method,
          ca: options.ca,
          signal: request.abortSignal,
          headers: { ...request.headers, ...(request.body !== undefined ? { 'content-length': Buffer.byteLength(request.body) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v])),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') return reject(err);
        const endpoint = request.url.origin;
        reject(
          new BerthConnectionError(
            UNTRUSTED_CERTIFICATE.test(err.code ?? '')
              ? `Berth at ${endpoint} presented a certificate this client does not trust (${err.code}); use the ca.pem from that Berth's home folder.`
              : `Cannot reach Berth at ${endpoint} (${err.code ?? err.message}); is it running? Start it with \`berth up\`.`,
            err.code ?? 'ECONNECTION',
          ),
        );
      });
      req.end(request.body);
    });
}
