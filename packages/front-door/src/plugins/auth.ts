import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { ArmError } from '@berth/arm';
import { findToken, getSubscription } from '@berth/store';
import { accessKinds, type Access } from '../access.js';
import { canWrite, hashToken, roleFor, roleMaps, type Principal } from '../roles.js';

/**
 * A token's row is cached this long: short enough that a revocation or an
 * expiry made by any process sharing the store is seen within a second.
 */
const TOKEN_CACHE_MS = 500;

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
  if ((declared === 'read' || declared === 'write') && !/\/:subscriptionId(\/|$)/.test(route.url)) {
    throw new Error(`The route ${route.method} ${route.url} declares '${declared}' access but has no :subscriptionId parameter to authorize on.`);
  }
}

/**
 * Bearer-token authentication and role checks, decided on what the router
 * matched: the route's declared access and its decoded `:subscriptionId`,
 * never the raw URL, so every spelling of a path is authorized alike.
 */
export const auth = fp(
  async (app: FastifyInstance) => {
    const cache = new Map<string, { principal: Principal; expiresAt: number | null; until: number }>();
    const knownSubscriptions = new Set<string>();
    app.decorateRequest('principal', null);
    app.addHook('onRoute', checkDeclared);

    async function principalFor(token: string): Promise<Principal | undefined> {
      const hash = hashToken(token);
      const now = Date.now();
      let hit = cache.get(hash);
      if (!hit || hit.until <= now) {
        const row = await findToken(app.berth.db, hash);
        if (!row) {
          cache.delete(hash);
          return undefined;
        }
        hit = {
          principal: { name: row.name, roles: roleMaps.parse(row.roles) },
          expiresAt: row.expires_at ? Date.parse(row.expires_at) : null,
          until: now + TOKEN_CACHE_MS,
        };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, hit);
      }
      if (hit.expiresAt !== null && hit.expiresAt <= now) return undefined;
      return hit.principal;
    }

    async function authenticate(request: FastifyRequest): Promise<Principal> {
      const header = request.headers.authorization;
      if (!header) {
        throw unauthorized('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing. Send 'Authorization: Bearer <token>' (the admin token is in Berth's home folder, file 'token').");
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) {
        throw unauthorized('InvalidAuthenticationToken', "The 'Authorization' header is not a bearer token. Send 'Authorization: Bearer <token>'.");
      }
      const principal = await principalFor(match[1]);
      if (!principal) {
        throw unauthorized(
          'InvalidAuthenticationToken',
          "The access token is invalid, expired or revoked. Use the token in Berth's home folder or make a new one with `berth token create`.",
        );
      }
      return principal;
    }

    app.addHook('onRequest', async (request) => {
      const rule = accessOf(request);
      if (rule === 'public' || rule === 'own') return;
      const principal = await authenticate(request);
      request.principal = principal;
      if (rule === 'signed-in') return;

      const subscriptionId = String((request.params as { subscriptionId?: string }).subscriptionId ?? '').toLowerCase();
      const role = roleFor(principal, subscriptionId);
      // No role answers the same whether or not the subscription exists: no existence oracle.
      if (!role) {
        throw new ArmError(403, 'AuthorizationFailed', `The client '${principal.name}' has no role on subscription '${subscriptionId}'. Ask an Owner for a token with a role on it.`);
      }
      if (rule === 'write' && !canWrite(role)) {
        throw new ArmError(
          403,
          'AuthorizationFailed',
          `The client '${principal.name}' has the role '${role}' on subscription '${subscriptionId}', which does not allow ${request.method} ${request.routeOptions.url}. This call needs Contributor or Owner.`,
        );
      }
      if (!knownSubscriptions.has(subscriptionId)) {
        if (!(await getSubscription(app.berth.db, subscriptionId))) {
          throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
        }
        knownSubscriptions.add(subscriptionId);
      }
    });
  },
  { name: 'auth', dependencies: ['arm-errors'] },
);
