import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError } from '@berth/arm';
import { creatorExists, deleteTokensMadeBy, deleteTokensNamed, getSubscription, insertToken, listTokens } from '@berth/store';
import { hashToken, newToken, owns, roleMaps, roles } from '../roles.js';
import { nowIso } from '../arm-http.js';

const DAY_S = 86_400;
/** New tokens live 90 days unless asked otherwise; the admin token in the home folder never expires. */
const DEFAULT_LIFETIME_S = 90 * DAY_S;
const MAX_LIFETIME_S = 3650 * DAY_S;

const TokenName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });

const TokenRequest = Type.Object(
  {
    role: Type.Union(roles.map((r) => Type.Literal(r))),
    subscription: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    name: Type.Optional(TokenName),
    expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIFETIME_S })),
  },
  { additionalProperties: false },
);

const TokenResponse = Type.Object({
  token: Type.String(),
  name: Type.String(),
  role: Type.String(),
  subscription: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.String(),
});

const TokenInfo = Type.Object({
  name: Type.String(),
  roles: Type.Record(Type.String(), Type.String()),
  createdAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
});

/** Berth's own API for bearer tokens: mint (an Owner of the scope may grant any role on it), list and revoke. */
export async function tokenRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.berth;
  const signedIn = { access: 'signed-in' as const };

  app.post('/berth/tokens', { config: signedIn, schema: { body: TokenRequest, response: { 201: TokenResponse } } }, async (request, reply) => {
    const principal = request.principal!;
    const scope = request.body.subscription?.toLowerCase() ?? '*';
    if (!owns(principal, { [scope]: 'Owner' })) {
      throw new ArmError(
        403,
        'AuthorizationFailed',
        `Only an Owner of ${scope === '*' ? 'every subscription' : `subscription '${scope}'`} can create tokens for it.`,
      );
    }
    if (scope !== '*' && !(await getSubscription(db, scope))) {
      throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${scope}' could not be found.`);
    }
    const token = newToken();
    const name = request.body.name ?? `${request.body.role.toLowerCase()}-${token.slice(6, 14)}`;
    if ((await listTokens(db, name)).length > 0) {
      throw new ArmError(
        409,
        'TokenNameInUse',
        `A token named '${name}' already exists. Choose another name, or revoke it first with \`berth token revoke ${name}\`.`,
      );
    }
    const createdAt = nowIso();
    const expiresAt = new Date(Date.now() + (request.body.expiresInSeconds ?? DEFAULT_LIFETIME_S) * 1000).toISOString();
    await insertToken(db, {
      hash: hashToken(token),
      name,
      roles: JSON.stringify({ [scope]: request.body.role }),
      created_at: createdAt,
      expires_at: expiresAt,
      created_by: principal.creatorId ?? null,
    });
    // Its maker may have been deleted (revoking what it made) since this request was authorized from the cache: then this token goes too.
    if (principal.creatorId !== undefined && !(await creatorExists(db, principal.creatorId))) {
      await deleteTokensMadeBy(db, principal.creatorId);
      throw new ArmError(
        401,
        'InvalidAuthenticationToken',
        'The credential this request was made with has been revoked or its service principal deleted; no token was created.',
      );
    }
    return reply.code(201).send({ token, name, role: request.body.role, subscription: scope, createdAt, expiresAt });
  });

  app.get('/berth/tokens', { config: signedIn, schema: { response: { 200: Type.Object({ value: Type.Array(TokenInfo) }) } } }, async (request) => {
    const rows = await listTokens(db);
    const value = rows
      .map((row) => ({ name: row.name, roles: roleMaps.parse(row.roles), createdAt: row.created_at, expiresAt: row.expires_at }))
      .filter((t) => owns(request.principal!, t.roles));
    return { value };
  });

  app.delete('/berth/tokens/:name', { config: signedIn, schema: { params: Type.Object({ name: TokenName }) } }, async (request, reply) => {
    const { name } = request.params;
    const mine = (await listTokens(db, name)).filter((row) => owns(request.principal!, roleMaps.parse(row.roles)));
    if (mine.length === 0) {
      throw new ArmError(404, 'TokenNotFound', `No token named '${name}' that you own. \`berth token list\` shows the tokens you can revoke.`);
    }
    if (mine.some((row) => row.expires_at === null)) {
      throw new ArmError(
        400,
        'CannotRevokeAdminToken',
        `The token '${name}' is the admin token of Berth's home folder and cannot be revoked. To replace it, stop Berth, delete the file 'token' and start again.`,
      );
    }
    await deleteTokensNamed(db, name);
    return reply.code(204).send();
  });
}
