import { timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { ArmError, parseScope, type ScopePath } from '@berth/arm';
import { findServicePrincipalByObjectId, findStudioSession, findToken, getOperation, getSubscription, tokenCreator } from '@berth/store';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { accessKinds, type Access } from '../access.js';
import { canWrite, grantsOfRoleMap, hashToken, roleAt, roleMaps, type Principal } from '../roles.js';
import { requestScope, scopeString } from '../scopes.js';
import { servicePrincipalPrincipal } from '../service-principals.js';
import { acceptedAudiences, ADFS_TENANT, baseOf, issuerFor } from '../token-keys.js';

/**
 * A token's row is cached this long: short enough that a revocation or an
 * expiry made by any process sharing the store is seen within a second.
 */
const TOKEN_CACHE_MS = 500;

/** The Studio's session cookie, and the header every write it authenticates must carry (see routes/studio.ts). */
export const SESSION_COOKIE = 'berth_session';
export const CSRF_HEADER = 'x-berth-csrf';

/** How a request proved who it is: a bearer token (a Berth token or a JWT), or a Studio session cookie. */
export type Credential = { kind: 'bearer'; token: string } | { kind: 'session'; idHash: string; tokenHash: string; csrf: string; expiresAt: string };

declare module 'fastify' {
  interface FastifyRequest {
    credential: Credential | null;
  }
  interface FastifyInstance {
    /** Drops a signed-out Studio session from this process's cache at once (other processes sharing the store see it within a second). */
    forgetStudioSession(idHash: string): void;
  }
}

/** The value of the Studio's session cookie, if the request has one. */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A compact JWS (three base64url parts), as Berth's token service issues; Berth's own tokens have no dots. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function unauthorized(code: string, message: string): ArmError {
  return new ArmError(401, code, message, { headers: { 'WWW-Authenticate': 'Bearer realm="berth", error="invalid_token"' } });
}

/** The access rule of the route a request matched; unmatched requests (404s) need a signed-in caller. */
function accessOf(request: FastifyRequest): Access {
  if (request.is404) return 'signed-in';
  return request.routeOptions.config.access!;
}

/** Refuses, at registration, a route that declares no access rule, or a subscription rule on a path without `:subscriptionId`. */
function checkDeclared(route: RouteOptions): void {
  const declared = (route.config as { access?: Access } | undefined)?.access;
  if (declared === undefined || !accessKinds.includes(declared)) {
    throw new Error(`The route ${route.method} ${route.url} declares no access rule: set config.access to one of ${accessKinds.join(', ')}.`);
  }
  if ((declared === 'read' || declared === 'write' || declared === 'owner' || declared === 'operation') && !/\/:subscriptionId(\/|$)/.test(route.url)) {
    throw new Error(`The route ${route.method} ${route.url} declares '${declared}' access but has no :subscriptionId parameter to authorize on.`);
  }
  if (declared === 'operation' && !/\/:operationId(\/|$)/.test(route.url)) {
    throw new Error(`The route ${route.method} ${route.url} declares 'operation' access but has no :operationId parameter to authorize on.`);
  }
}

/**
 * Bearer-token authentication and role checks, decided on what the router
 * matched: the route's declared access and the scope of its template with the
 * decoded params, never the raw URL, so every spelling of a path is authorized alike.
 */
export const auth = fp(
  async (app: FastifyInstance) => {
    /**
     * Principals by the token as presented (a Berth token or a verified JWT), only in this process's memory,
     * until min(the token's expiry, now + TOKEN_CACHE_MS): a hit needs no hashing, no signature check and no
     * store query, and a revoked token or deleted principal is refused within a second.
     */
    const cache = new Map<string, { principal: Principal; until: number }>();
    const knownSubscriptions = new Set<string>();
    /** Studio sessions by the hash of their cookie, like `cache`: a signed-out session or a revoked token is refused within a second. */
    const sessions = new Map<string, { principal: Principal; tokenHash: string; csrf: string; expiresAt: string; until: number }>();
    app.decorateRequest('principal', null);
    app.decorateRequest('credential', null);
    app.decorate('forgetStudioSession', (idHash: string) => void sessions.delete(idHash));
    app.addHook('onRoute', checkDeclared);

    /** The principal of a token from the cache while fresh; 'stale' when it must be looked up or verified (again). */
    function cachedPrincipal(token: string, now: number): Principal | 'stale' {
      const hit = cache.get(token);
      return hit && hit.until > now ? hit.principal : 'stale';
    }

    function remember(token: string, principal: Principal, expiresAt: number, now: number): void {
      if (cache.size > 10_000) cache.clear();
      cache.set(token, { principal, until: Math.min(expiresAt, now + TOKEN_CACHE_MS) });
    }

    /** A Berth token's principal; undefined when it is unknown, revoked or expired. */
    async function loadPrincipal(token: string, now: number): Promise<Principal | undefined> {
      const hash = hashToken(token);
      const row = await findToken(app.berth.db, hash);
      const expiresAt = row?.expires_at ? Date.parse(row.expires_at) : Infinity;
      if (!row || expiresAt <= now) return undefined;
      const principal = { name: row.name, creatorId: tokenCreator(hash), grants: grantsOfRoleMap(roleMaps.parse(row.roles)) };
      remember(token, principal, expiresAt, now);
      return principal;
    }

    const invalidJwt = (why: string) =>
      unauthorized(
        'InvalidAuthenticationToken',
        `The access token is invalid: ${why}. Get a new one from Berth's token service (az login --service-principal, or ClientSecretCredential with Berth's URL as authority host).`,
      );

    /** Verifies a JWT of Berth's token service (signature, exp/nbf, audience, issuer) and finds its service principal; throws the ARM refusal. */
    async function loadJwtPrincipal(token: string, now: number): Promise<Principal> {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, app.tokenKeys.verificationKeys, { algorithms: ['RS256'], requiredClaims: ['exp', 'nbf', 'aud', 'iss'] }));
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) {
          const exp = typeof err.payload.exp === 'number' ? new Date(err.payload.exp * 1000).toISOString() : 'unknown';
          throw unauthorized(
            'ExpiredAuthenticationToken',
            `The access token expired at '${exp}', before the current time '${new Date(now).toISOString()}'. Get a new token from Berth's token service.`,
          );
        }
        throw invalidJwt(
          err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey
            ? "its signature is not Berth's"
            : 'it is malformed or its claims are not valid',
        );
      }
      const base = baseOf(app.berth.publicUrl);
      const audiences = acceptedAudiences(base);
      if (typeof payload.aud !== 'string' || !audiences.includes(payload.aud)) {
        throw unauthorized(
          'InvalidAuthenticationTokenAudience',
          `The access token has been obtained for the wrong audience or resource '${String(payload.aud).slice(0, 200)}'. It should exactly match one of the allowed audiences ${audiences.map((a) => `'${a}'`).join(', ')}.`,
        );
      }
      const { oid, appid, tid } = payload as { oid?: unknown; appid?: unknown; tid?: unknown };
      const sp = typeof oid === 'string' ? await findServicePrincipalByObjectId(app.berth.db, oid) : undefined;
      if (!sp || appid !== sp.app_id || tid !== sp.tenant) throw invalidJwt('its service principal does not exist (any more)');
      if (payload.iss !== issuerFor(base, ADFS_TENANT) && payload.iss !== issuerFor(base, sp.tenant)) throw invalidJwt('it was not issued by Berth');
      const principal = await servicePrincipalPrincipal(app.berth.db, sp);
      remember(token, principal, payload.exp! * 1000, now);
      return principal;
    }

    /** The bearer token of a request; throws when there is none. */
    function bearerOf(request: FastifyRequest): string {
      const header = request.headers.authorization;
      if (!header) {
        throw unauthorized(
          'AuthenticationFailed',
          "Authentication failed. The 'Authorization' header is missing. Send 'Authorization: Bearer <token>' (the admin token is in Berth's home folder, file 'token').",
        );
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) {
        throw unauthorized('InvalidAuthenticationToken', "The 'Authorization' header is not a bearer token. Send 'Authorization: Bearer <token>'.");
      }
      return match[1];
    }

    const invalidToken = () =>
      unauthorized(
        'InvalidAuthenticationToken',
        "The access token is invalid, expired or revoked. Use the token in Berth's home folder or make a new one with `berth token create`.",
      );

    /**
     * The scope an `operation` route is decided on: the resource the stored operation named by the matched
     * `:operationId` acts on, when the operation is one of the matched subscription's; otherwise (unknown, another
     * subscription's, or an id that is no scope) the subscription, as any subscription-level route.
     */
    async function operationScope(request: FastifyRequest): Promise<ScopePath> {
      const params = request.params as Record<string, unknown>;
      const subscriptionId = String(params.subscriptionId ?? '').toLowerCase();
      const op = await getOperation(app.berth.db, String(params.operationId ?? ''));
      const resource = op && op.subscription_key === subscriptionId ? parseScope(op.resource_id) : undefined;
      return resource && resource.subscriptionId.toLowerCase() === subscriptionId ? resource.path : ['subscriptions', subscriptionId];
    }

    /**
     * Whether the principal may make this call at `scope` (by default what the router matched); throws the ARM
     * refusal when not. Returns the subscription still to be checked for existence, if any.
     */
    function authorize(request: FastifyRequest, rule: Access, principal: Principal, decidedScope?: ScopePath): string | undefined {
      request.principal = principal;
      if (rule === 'signed-in') return undefined;
      const params = request.params as Record<string, unknown>;
      const subscriptionId = String(params.subscriptionId ?? '').toLowerCase();
      // The scope of what the router matched, never the raw URL; unmatched requests never get here (they are 'signed-in').
      const scope = decidedScope ?? requestScope(request.routeOptions.url ?? '', params);
      const role = roleAt(principal, scope);
      if (!role && rule === 'operation') {
        // The same words for an operation of a resource the caller may not read and for an unknown id: nothing learnt.
        throw new ArmError(
          403,
          'AuthorizationFailed',
          `The client '${principal.name}' does not have authorization to perform ${request.method} ${request.routeOptions.url} on the operation '${String(params.operationId).slice(0, 100)}' of subscription '${subscriptionId.slice(0, 100)}': it has no role on the resource the operation acts on or above it, or there is no such operation.`,
        );
      }
      // No role answers the same whether or not the scope exists: no existence oracle.
      if (!role) {
        throw new ArmError(
          403,
          'AuthorizationFailed',
          `The client '${principal.name}' does not have authorization to perform ${request.method} ${request.routeOptions.url} over scope '${scopeString(scope)}': it has no role at that scope or above it. Ask an Owner for a role assignment there.`,
        );
      }
      const needs = rule === 'owner' ? 'Owner' : rule === 'write' ? 'Contributor or Owner' : undefined;
      if ((rule === 'write' && !canWrite(role)) || (rule === 'owner' && role !== 'Owner')) {
        throw new ArmError(
          403,
          'AuthorizationFailed',
          `The client '${principal.name}' has the role '${role}' over scope '${scopeString(scope)}', which does not allow ${request.method} ${request.routeOptions.url}. This call needs ${needs}.`,
        );
      }
      return knownSubscriptions.has(subscriptionId) ? undefined : subscriptionId;
    }

    async function requireSubscription(subscriptionId: string): Promise<void> {
      if (!(await getSubscription(app.berth.db, subscriptionId))) {
        throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
      }
      knownSubscriptions.add(subscriptionId);
    }

    async function slowPath(request: FastifyRequest, rule: Access, token: string, now: number): Promise<void> {
      // A stale entry goes first: a token refused now is not kept.
      cache.delete(token);
      const principal = JWT_SHAPE.test(token) ? await loadJwtPrincipal(token, now) : await loadPrincipal(token, now);
      if (!principal) throw invalidToken();
      await decide(request, rule, principal);
    }

    /** authorize() where it needs the store: an `operation` route's scope, and a subscription not yet known to exist. */
    async function decide(request: FastifyRequest, rule: Access, principal: Principal): Promise<void> {
      const unchecked = authorize(request, rule, principal, rule === 'operation' ? await operationScope(request) : undefined);
      if (unchecked !== undefined) await requireSubscription(unchecked);
    }

    const sessionEnded = () =>
      unauthorized(
        'StudioSessionEnded',
        'The Studio session has ended: signed out, expired, or its token was revoked. Sign in again (`berth studio` prints a sign-in link).',
      );

    /**
     * A Studio session cookie in place of a bearer token: the principal of the token it was opened with,
     * and, for a write, the session's CSRF value in `X-Berth-CSRF` (a cross-site form can send neither).
     */
    async function sessionPath(request: FastifyRequest, rule: Access, sessionId: string): Promise<void> {
      const now = Date.now();
      const idHash = hashToken(sessionId);
      let entry = sessions.get(idHash);
      if (!entry || entry.until <= now) {
        sessions.delete(idHash);
        const row = await findStudioSession(app.berth.db, idHash);
        const sessionExpiry = row ? Date.parse(row.expires_at) : 0;
        if (!row || sessionExpiry <= now) throw sessionEnded();
        const token = await findToken(app.berth.db, row.token_hash);
        const tokenExpiry = token?.expires_at ? Date.parse(token.expires_at) : Infinity;
        if (!token || tokenExpiry <= now) throw sessionEnded();
        entry = {
          principal: { name: token.name, creatorId: tokenCreator(row.token_hash), grants: grantsOfRoleMap(roleMaps.parse(token.roles)) },
          tokenHash: row.token_hash,
          csrf: row.csrf,
          expiresAt: row.expires_at,
          until: Math.min(sessionExpiry, tokenExpiry, now + TOKEN_CACHE_MS),
        };
        if (sessions.size > 10_000) sessions.clear();
        sessions.set(idHash, entry);
      }
      if (!SAFE_METHODS.has(request.method)) {
        const proof = request.headers[CSRF_HEADER];
        if (typeof proof !== 'string' || !sameSecret(proof, entry.csrf)) {
          throw new ArmError(
            403,
            'CsrfProofMissing',
            `A change made with a Studio session cookie must carry the session's '${CSRF_HEADER}' header; the Studio sends it. Other clients send 'Authorization: Bearer <token>' instead.`,
          );
        }
      }
      request.credential = { kind: 'session', idHash, tokenHash: entry.tokenHash, csrf: entry.csrf, expiresAt: entry.expiresAt };
      await decide(request, rule, entry.principal);
    }

    // Callback style: a request whose token and subscription are cached is decided with no promise at all.
    app.addHook('onRequest', (request, _reply, done) => {
      const rule = accessOf(request);
      if (rule === 'public' || rule === 'own') return done();
      try {
        if (!request.headers.authorization) {
          const sessionId = sessionCookieOf(request);
          if (sessionId) return void sessionPath(request, rule, sessionId).then(() => done(), done);
        }
        const token = bearerOf(request);
        request.credential = { kind: 'bearer', token };
        const now = Date.now();
        const cached = cachedPrincipal(token, now);
        if (cached === 'stale') return void slowPath(request, rule, token, now).then(() => done(), done);
        if (rule === 'operation') return void decide(request, rule, cached).then(() => done(), done);
        const unchecked = authorize(request, rule, cached);
        if (unchecked === undefined) return done();
        requireSubscription(unchecked).then(() => done(), done);
      } catch (err) {
        done(err as Error);
      }
    });
  },
  { name: 'auth', dependencies: ['arm-errors'] },
);
