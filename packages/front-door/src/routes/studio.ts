import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError } from '@berth/arm';
import { deleteExpiredStudioRows, deleteStudioSession, findToken, insertStudioCode, insertStudioSession, takeStudioCode } from '@berth/store';
import { hashToken, roleMaps } from '../roles.js';
import { SESSION_COOKIE } from '../plugins/auth.js';

/** A one-time sign-in code lives 5 minutes; a session, 12 hours (never past its token's expiry). */
export const STUDIO_CODE_TTL_MS = 5 * 60_000;
const SESSION_TTL_MS = 12 * 3_600_000;

/** Where `npm run build` puts the Studio: `packages/studio/dist`, found through the workspace's package. */
export function defaultStudioRoot(): string | undefined {
  try {
    const root = join(dirname(createRequire(import.meta.url).resolve('@berth/studio/package.json')), 'dist');
    return existsSync(join(root, 'index.html')) ? root : undefined;
  } catch {
    return undefined;
  }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
/** 256 random bits, URL-safe. */
const secret = () => randomBytes(32).toString('base64url');

const Secret = Type.String({ minLength: 16, maxLength: 512, pattern: '^[A-Za-z0-9._~+/=-]+$' });
const SessionRequest = Type.Union([
  Type.Object({ code: Secret }, { additionalProperties: false }),
  Type.Object({ token: Secret }, { additionalProperties: false }),
]);
const SessionInfo = Type.Object({
  name: Type.String(),
  /** The token's roles, by subscription id (or `*`): what the Studio enables. */
  roles: Type.Record(Type.String(), Type.String()),
  /** Sent back in `X-Berth-CSRF` with every write. */
  csrf: Type.String(),
  expiresAt: Type.String(),
});
const CodeResponse = Type.Object({ code: Type.String(), url: Type.String(), expiresAt: Type.String() });

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function sessionCookie(value: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeS}`;
}

const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

/**
 * The Studio's paths (decoded): its pages and the files of its build are plain names, so anything
 * else — dot segments, hidden files, backslashes, encoded bytes, empty segments — is a 404 before the
 * file system is asked (send refuses `..` with a 403 the error handler would turn into a 500).
 */
const STUDIO_PATH = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*)?$/;
const MAX_STUDIO_PATH = 256;
const isStudioPath = (path: string) => path.length <= MAX_STUDIO_PATH && STUDIO_PATH.test(path);

/**
 * The Studio: its static files under /studio/ (from an encapsulated @fastify/static, index.html for
 * every page path), `/` redirecting there, and its sign-in. `berth studio` asks for a one-time code
 * bound to its caller's token; the page exchanges the code (or a pasted token) for a session whose
 * id only an HttpOnly cookie holds; the auth plugin takes that cookie in place of a bearer token.
 */
export function studioRoutes(options: { root?: string } = {}) {
  return async function studio(parent: FastifyInstance): Promise<void> {
    const app = parent.withTypeProvider<TypeBoxTypeProvider>();
    const { db } = app.berth;
    const root = options.root ?? defaultStudioRoot();

    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.redirect('/studio/', 302));

    await app.register(async (files) => {
      if (root) await files.register(fastifyStatic, { root, serve: false });
      const serve = async (path: string, reply: FastifyReply) => {
        if (!isStudioPath(path)) return reply.callNotFound();
        reply.headers(SECURITY_HEADERS);
        if (!root) {
          return reply
            .code(503)
            .type('text/plain; charset=utf-8')
            .send('The Studio is not built: run `npm run build` (it builds packages/studio), then start Berth again.');
        }
        // Page paths (no extension) are the app's routes: index.html, never cached; assets have hashed names.
        if (!extname(path)) return reply.header('cache-control', 'no-cache').sendFile('index.html');
        return reply.sendFile(path, { maxAge: path.startsWith('assets/') ? 31_536_000_000 : 0, immutable: path.startsWith('assets/') });
      };
      // The router ignores trailing slashes, so `/studio` and `/studio/` are one route: the app itself, not a redirect.
      files.get('/studio', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => serve('', reply));
      files.get('/studio/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) =>
        serve((request.params as Record<string, string>)['*'] ?? '', reply),
      );
    });

    /** A one-time code for `berth studio`: bound to the caller's Berth token, single use, 5 minutes. */
    app.post('/berth/studio/codes', { config: { access: 'signed-in' }, schema: { response: { 201: CodeResponse } } }, async (request, reply) => {
      const credential = request.credential;
      if (!credential || (credential.kind === 'bearer' && credential.token.includes('.'))) {
        throw new ArmError(
          400,
          'StudioNeedsBerthToken',
          'Studio sign-in codes are made for Berth tokens (the home folder token, or one from `berth token create`), not for tokens of the token service.',
        );
      }
      const tokenHash = credential.kind === 'bearer' ? hashToken(credential.token) : credential.tokenHash;
      const code = secret();
      const now = Date.now();
      const expiresAt = new Date(now + STUDIO_CODE_TTL_MS).toISOString();
      await deleteExpiredStudioRows(db, new Date(now).toISOString());
      await insertStudioCode(db, { code_hash: sha256(code), token_hash: tokenHash, created_at: new Date(now).toISOString(), expires_at: expiresAt });
      // In the fragment, which browsers never send: the code stays out of request lines, logs and Referer headers.
      const url = `${app.berth.publicUrl.replace(/\/$/, '')}/studio/signin#code=${code}`;
      return noStore(reply).code(201).send({ code, url, expiresAt });
    });

    /** Exchanges a one-time code, or a pasted token, for a session cookie. */
    app.post(
      '/berth/studio/session',
      { config: { access: 'public' }, schema: { body: SessionRequest, response: { 201: SessionInfo } } },
      async (request, reply) => {
        const body = request.body as { code?: string; token?: string };
        const now = Date.now();
        // Per address only: a code or token is the whole secret, with no client id that names what is guessed at.
        const wait = app.signInThrottle.retryAfterS(request.ip);
        if (wait > 0) {
          throw new ArmError(429, 'TooManyRequests', `Too many failed sign-ins from this address. Try again in ${wait} seconds.`, {
            headers: { 'Retry-After': String(wait) },
          });
        }
        let tokenHash: string;
        if (body.code !== undefined) {
          const row = await takeStudioCode(db, sha256(body.code));
          if (!row || Date.parse(row.expires_at) <= now) {
            app.signInThrottle.failed(request.ip);
            throw new ArmError(
              401,
              'InvalidSignInCode',
              'This sign-in link is invalid, was already used, or expired (links last 5 minutes). Run `berth studio` for a new one, or paste a token.',
            );
          }
          tokenHash = row.token_hash;
        } else {
          tokenHash = hashToken(body.token!);
        }
        const token = await findToken(db, tokenHash);
        const tokenExpiry = token?.expires_at ? Date.parse(token.expires_at) : Infinity;
        if (!token || tokenExpiry <= now) {
          app.signInThrottle.failed(request.ip);
          throw new ArmError(
            401,
            'InvalidAuthenticationToken',
            "The token is invalid, expired or revoked. Use the token in Berth's home folder or make a new one with `berth token create`.",
          );
        }
        await deleteExpiredStudioRows(db, new Date(now).toISOString());
        const sessionId = secret();
        const csrf = secret();
        const expires = Math.min(now + SESSION_TTL_MS, tokenExpiry);
        const expiresAt = new Date(expires).toISOString();
        await insertStudioSession(db, {
          id_hash: hashToken(sessionId),
          token_hash: tokenHash,
          csrf,
          created_at: new Date(now).toISOString(),
          expires_at: expiresAt,
        });
        reply.header('set-cookie', sessionCookie(sessionId, Math.max(1, Math.floor((expires - now) / 1000))));
        return noStore(reply)
          .code(201)
          .send({ name: token.name, roles: roleMaps.parse(token.roles), csrf, expiresAt });
      },
    );

    /** The session of the cookie: who, which roles, and the CSRF value a reloaded page needs. */
    app.get('/berth/studio/session', { config: { access: 'signed-in' }, schema: { response: { 200: SessionInfo } } }, async (request, reply) => {
      const credential = request.credential;
      if (credential?.kind !== 'session') throw new ArmError(404, 'NoStudioSession', 'This call is made with a Studio session cookie, not a bearer token.');
      const token = await findToken(db, credential.tokenHash);
      if (!token) throw new ArmError(401, 'StudioSessionEnded', 'The Studio session has ended. Sign in again.');
      return noStore(reply).send({
        name: token.name,
        roles: roleMaps.parse(token.roles),
        csrf: credential.csrf,
        expiresAt: credential.expiresAt,
      });
    });

    /** Sign out: the session ends for every process sharing the store (within a second), and the cookie is cleared. */
    app.delete('/berth/studio/session', { config: { access: 'signed-in' } }, async (request, reply) => {
      const credential = request.credential;
      if (credential?.kind === 'session') {
        await deleteStudioSession(db, credential.idHash);
        app.forgetStudioSession(credential.idHash);
      }
      return noStore(reply).header('set-cookie', sessionCookie('', 0)).code(204).send();
    });
  };
}
