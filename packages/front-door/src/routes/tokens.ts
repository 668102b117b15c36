import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError } from '@berth/arm';
import { getSubscription, insertToken } from '@berth/store';
import { hashToken, newToken, roleFor, roles, type RoleMap } from '../roles.js';
import { nowIso } from '../arm-http.js';

const TokenRequest = Type.Object({
  role: Type.Union(roles.map((r) => Type.Literal(r))),
  subscription: Type.Optional(Type.String({ minLength: 1 })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
});

const TokenResponse = Type.Object({
  token: Type.String(),
  name: Type.String(),
  role: Type.String(),
  subscription: Type.String(),
});

/** Berth's own API to mint bearer tokens; an Owner of the scope may grant any role on it. */
export async function tokenRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.berth;

  app.post('/berth/tokens', { schema: { body: TokenRequest, response: { 201: TokenResponse } } }, async (request, reply) => {
    const principal = request.principal!;
    const scope = request.body.subscription?.toLowerCase() ?? '*';
    const grantor = scope === '*' ? principal.roles['*'] : roleFor(principal, scope);
    if (grantor !== 'Owner') {
      throw new ArmError(403, 'AuthorizationFailed', `Only an Owner of ${scope === '*' ? 'every subscription' : `subscription '${scope}'`} can create tokens for it.`);
    }
    if (scope !== '*' && !(await getSubscription(db, scope))) {
      throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${scope}' could not be found.`);
    }
    const token = newToken();
    const name = request.body.name ?? `${request.body.role.toLowerCase()}-${token.slice(6, 14)}`;
    const roleMap: RoleMap = { [scope]: request.body.role };
    await insertToken(db, { hash: hashToken(token), name, roles: JSON.stringify(roleMap), created_at: nowIso() });
    return reply.code(201).send({ token, name, role: request.body.role, subscription: scope });
  });
}
