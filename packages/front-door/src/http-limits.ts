import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ArmError } from '@berth/arm';
import { defaultSignInLimits, type SignInLimits } from './sign-in-throttle.js';

/** What guards the HTTPS port, failed sign-ins included (see sign-in-throttle.ts). */
export interface HttpLimits extends SignInLimits {
  /** A request's headers and body must arrive within this time; slow senders are cut (default 30 s). */
  requestTimeoutMs: number;
  /** Open connections one client address may hold; more are closed at once (default 512). */
  maxConnectionsPerAddress: number;
}

export const defaultHttpLimits: HttpLimits = { requestTimeoutMs: 30_000, maxConnectionsPerAddress: 512, ...defaultSignInLimits };

/** Longest request target served; ARM's own front door refuses longer URLs too. */
const MAX_URL_LENGTH = 8192;

function armErrorBytes(status: number, reason: string, code: string, message: string): string {
  const body = JSON.stringify(new ArmError(status, code, message).toBody());
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Node's HTTP parser errors (before Fastify sees a request), answered in the ARM error shape. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let answer: string;
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      answer = armErrorBytes(
        408,
        'Request Timeout',
        'RequestTimeout',
        "The request did not arrive in time: its headers and body must be sent within the server's request timeout.",
      );
      break;
    case 'HPE_HEADER_OVERFLOW':
      answer = armErrorBytes(
        431,
        'Request Header Fields Too Large',
        'RequestHeaderFieldsTooLarge',
        'The request line and headers are larger than the 16 KiB this server accepts. Send a shorter URL or fewer headers.',
      );
      break;
    default:
      answer = armErrorBytes(400, 'Bad Request', 'BadRequest', `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}).`);
  }
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // end(), not write() then destroy(): over TLS a destroy right after the write can drop the answer unsent.
  socket.end(answer);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** A cluster's Kubernetes API (`/clusters/{id}/...`) answers in its own error shape, a `Status`. */
const KUBE_API_PATH = /^\/clusters\//i;

/** Fastify's routing failures (a malformed percent-encoding in the path), in the ARM error shape or, on a cluster's API, a Kubernetes Status. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const bad = error.code === 'FST_ERR_BAD_URL';
  const code = bad ? 'InvalidRequestUri' : 'BadRequest';
  const message = bad
    ? 'The request URL is not valid: it holds a malformed percent-encoding. Encode reserved characters as %XX with two hex digits.'
    : 'The request could not be routed.';
  reply
    .code(400)
    .header('connection', 'close')
    .send(
      KUBE_API_PATH.test(request.url)
        ? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 400 }
        : { error: { code, message } },
    );
}

/**
 * Absolute-form request targets (`PUT https://host/subscriptions/...`) are routed
 * as their path (and `//metadata/...` as `/metadata/...`), so every later step (routing, authorization, links) sees one spelling.
 */
export function originForm(request: IncomingMessage): string {
  const url = request.url ?? '/';
  if (url.startsWith('/')) return collapseLeadingSlashes(url);
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(url);
  if (!match) return url;
  return match[1].startsWith('/') ? collapseLeadingSlashes(match[1]) : `/${match[1]}`;
}

/** The cloud metadata path with its leading slash doubled (or more). */
const DOUBLED_METADATA_PATH = /^\/{2,}(?=metadata\/)/i;

/**
 * A role assignment or definition path with its leading slash doubled: `@azure/arm-authorization` builds
 * `/{scope}/providers/Microsoft.Authorization/...` from a scope that starts with `/`, and ARM accepts it.
 */
const DOUBLED_AUTHORIZATION_PATH =
  /^\/{2,}(?=(?:subscriptions|providers)\/[^?#]*?providers\/Microsoft\.Authorization\/role(?:Assignments|Definitions)(?:[/?#]|$))/i;

/**
 * `//metadata/endpoints` (what the Azure CLI asks for when its ARM endpoint ends in `/`) is routed as
 * `/metadata/endpoints`, and so are role assignment and definition paths (see above): only the path's
 * leading slashes collapse, the rest stays byte for byte. Other paths keep their doubled slash and are
 * refused (404), as every odd spelling of an ARM path is.
 */
function collapseLeadingSlashes(path: string): string {
  return path.startsWith('//') ? path.replace(DOUBLED_METADATA_PATH, '/').replace(DOUBLED_AUTHORIZATION_PATH, '/') : path;
}

/**
 * Refuses, before any other work, request targets too long to be an ARM call (414)
 * and NUL characters anywhere in them (400): no name holds one, and PostgreSQL text cannot.
 */
export function checkRequestTarget(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (request.url.length > MAX_URL_LENGTH) {
    done(new ArmError(414, 'RequestUriTooLong', `The request URL is ${request.url.length} characters long; this server accepts at most ${MAX_URL_LENGTH}.`));
  } else if (request.url.includes('%00')) {
    done(new ArmError(400, 'InvalidRequestUri', 'The request URL holds an encoded NUL character (%00); no name or parameter may contain one.'));
  } else done();
}

/**
 * Where Berth's own calls to its local cloud come from: its installer's calls and drift watches (four
 * per compute, so a few hundred computes pass any cap). They are not capped: a local process can
 * call from any other loopback address, so a cap on this one would protect nothing, and it would
 * cut Berth off from its own clusters.
 */
const OWN_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Closes, at once, connections beyond the per-address cap: one client cannot hold every socket. */
export function limitConnectionsPerAddress(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (OWN_ADDRESSES.has(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
