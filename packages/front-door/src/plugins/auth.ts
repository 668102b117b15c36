import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ArmError } from '@berth/arm';
import { findToken, getSubscription } from '@berth/store';
import { canWrite, hashToken, roleFor, type Principal, type RoleMap } from '../roles.js';

const PUBLIC_PATHS = new Set(['/healthz']);
// A token's roles are cached briefly: the hash lookup would otherwise cost a query on every call.
const TOKEN_CACHE_MS = 10_000;
const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

function unauthorized(code: string, message: string): ArmError {
  return new ArmError(401, code, message, { headers: { 'WWW-Authenticate': 'Bearer realm="berth", error="invalid_token"' } });
}

export function isWrite(request: FastifyRequest): boolean {
  return !readMethods.has(request.method);
}

/** The subscription a path addresses (`/subscriptions/{id}/...`), if any. */
function subscriptionOf(url: string): string | undefined {
  const match = /^\/subscriptions\/([^/?]+)/i.exec(url);
  return match ? decodeURIComponent(match[1]).toLowerCase() : undefined;
}

/**
 * Bearer-token authentication on every route but `/healthz`, and role checks
 * for everything under `/subscriptions/{id}`: any role reads, Contributor and
 * Owner write.
 */
export const auth = fp(
  async (app: FastifyInstance, options: { selfAuthenticatedPrefixes?: string[] }) => {
    const ownAuth = options.selfAuthenticatedPrefixes ?? [];
    const cache = new Map<string, { principal: Principal; until: number }>();
    const knownSubscriptions = new Set<string>();
    app.decorateRequest('principal', null);

    async function principalFor(token: string): Promise<Principal | undefined> {
      const hash = hashToken(token);
      const hit = cache.get(hash);
      if (hit && hit.until > Date.now()) return hit.principal;
      const row = await findToken(app.berth.db, hash);
      if (!row) return undefined;
      const principal: Principal = { name: row.name, roles: JSON.parse(row.roles) as RoleMap };
      cache.set(hash, { principal, until: Date.now() + TOKEN_CACHE_MS });
      return principal;
    }

    app.addHook('onRequest', async (request) => {
      const path = request.url.split('?')[0];
      if (PUBLIC_PATHS.has(path) || ownAuth.some((prefix) => path.startsWith(prefix))) return;
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
        throw unauthorized('InvalidAuthenticationToken', 'The access token is invalid. Use the token in Berth\'s home folder or one made with `berth token create`.');
      }
      request.principal = principal;

      const subscriptionId = subscriptionOf(path);
      if (subscriptionId === undefined) return;
      const role = roleFor(principal, subscriptionId);
      if (!role) {
        throw new ArmError(403, 'AuthorizationFailed', `The client '${principal.name}' has no role on subscription '${subscriptionId}'. Ask an Owner for a token with a role on it.`);
      }
      if (isWrite(request) && !canWrite(role)) {
        throw new ArmError(
          403,
          'AuthorizationFailed',
          `The client '${principal.name}' has the role '${role}' on subscription '${subscriptionId}', which does not allow ${request.method} ${path}. Writes need Contributor or Owner.`,
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
