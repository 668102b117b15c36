import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError } from '@berth/arm';
import {
  deleteServicePrincipal,
  findServicePrincipal,
  getSubscription,
  insertServicePrincipal,
  isUniqueViolation,
  listServicePrincipals,
  listSubscriptions,
  replaceServicePrincipalSecret,
  type ServicePrincipalInfo,
} from '@berth/store';
import { hashToken, owns, roleMaps, roles, type Principal, type RoleMap } from '../roles.js';
import { newClientSecret } from '../service-principals.js';
import { nowIso } from '../arm-http.js';

const YEAR_MS = 365 * 86_400_000;

const DisplayName = Type.String({ minLength: 1, maxLength: 120, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$' });
const Years = Type.Integer({ minimum: 1, maximum: 100, description: 'How many years the secret is valid (default 1).' });
const Id = Type.String({ minLength: 1, maxLength: 64, description: "The principal's appId or objectId." });

const CreateRequest = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    role: Type.Optional(Type.Union(roles.map((r) => Type.Literal(r)))),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 50 })),
    years: Type.Optional(Years),
  },
  { additionalProperties: false },
);

const PrincipalInfo = Type.Object({
  appId: Type.String(),
  objectId: Type.String(),
  displayName: Type.String(),
  tenant: Type.String(),
  roles: Type.Record(Type.String(), Type.String()),
  createdAt: Type.String(),
  passwordExpiresAt: Type.String(),
});

const Created = Type.Intersect([PrincipalInfo, Type.Object({ password: Type.String() })]);
const Credential = Type.Object({ appId: Type.String(), password: Type.String(), tenant: Type.String(), passwordExpiresAt: Type.String() });

/** Service principals are credentials: only a caller that is an Owner somewhere manages them, even one with no role. */
function manages(principal: Principal, roleMap: RoleMap): boolean {
  return Object.values(principal.roles).includes('Owner') && owns(principal, roleMap);
}

/** `/subscriptions/<id>` as the lower-cased subscription id; other scopes are refused for now. */
function subscriptionOfScope(scope: string): string {
  const match = /^\/subscriptions\/([^/]+)\/?$/i.exec(scope.trim());
  if (!match) {
    throw new ArmError(
      400,
      'InvalidScope',
      `The scope '${scope.slice(0, 200)}' is not supported: give a subscription, e.g. /subscriptions/00000000-0000-0000-0000-000000000000 (resource group scopes are not supported yet).`,
    );
  }
  return match[1].toLowerCase();
}

function info(row: ServicePrincipalInfo) {
  return {
    appId: row.app_id,
    objectId: row.object_id,
    displayName: row.display_name,
    tenant: row.tenant,
    roles: roleMaps.parse(row.roles),
    createdAt: row.created_at,
    passwordExpiresAt: row.secret_expires_at,
  };
}

/**
 * Service principals (`berth ad sp ...`): an app id and a secret that
 * Berth's token service trades for a JWT. The secret is returned once, at
 * creation and at reset, and stored as a hash.
 */
export async function servicePrincipalRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.berth;
  const signedIn = { access: 'signed-in' as const };

  const notFound = (id: string) =>
    new ArmError(
      404,
      'ServicePrincipalNotFound',
      `No service principal '${id.slice(0, 64)}' that you manage. \`berth ad sp list\` shows the ones you can manage (an Owner of every subscription they have a role on).`,
    );

  /** The principal `id` names, if the caller manages it; else 404, whether or not it exists. */
  async function managed(principal: Principal, id: string): Promise<ServicePrincipalInfo> {
    const row = await findServicePrincipal(db, id);
    if (!row || !manages(principal, roleMaps.parse(row.roles))) throw notFound(id);
    return row;
  }

  app.post('/berth/servicePrincipals', { config: signedIn, schema: { body: CreateRequest, response: { 201: Created } } }, async (request, reply) => {
    const principal = request.principal!;
    const { role, scopes = [] } = request.body;
    if ((role === undefined) !== (scopes.length === 0)) {
      throw new ArmError(
        400,
        'InvalidRoleAssignment',
        'To give the service principal a role, give both a role and the scopes it holds it on (or neither for no role).',
      );
    }
    const subscriptionIds = [...new Set(scopes.map(subscriptionOfScope))];
    const roleMap: RoleMap = Object.fromEntries(subscriptionIds.map((id) => [id, role!]));
    if (!manages(principal, roleMap)) {
      throw new ArmError(
        403,
        'AuthorizationFailed',
        `The client '${principal.name}' cannot create this service principal: only an Owner of ${subscriptionIds.length ? `every subscription in its scopes (${subscriptionIds.join(', ')})` : 'a subscription'} can.`,
      );
    }
    const subscriptions = await Promise.all(subscriptionIds.map((id) => getSubscription(db, id)));
    const missing = subscriptionIds.filter((_, i) => !subscriptions[i]);
    if (missing.length) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${missing[0]}' could not be found.`);
    const tenant = subscriptions[0]?.tenant_id ?? (await listSubscriptions(db))[0]?.tenant_id;
    if (!tenant) throw new ArmError(409, 'NoSubscription', 'Berth has no subscription, so no tenant to create a service principal in.');

    const createdAt = nowIso();
    const displayName = request.body.displayName ?? `berth-sp-${createdAt.slice(0, 19).replace(/[T:]/g, '-')}`;
    const password = newClientSecret();
    const row = {
      app_id: randomUUID(),
      object_id: randomUUID(),
      display_name: displayName,
      secret_hash: hashToken(password),
      secret_expires_at: new Date(Date.now() + (request.body.years ?? 1) * YEAR_MS).toISOString(),
      roles: JSON.stringify(roleMap),
      tenant,
      created_at: createdAt,
    };
    try {
      await insertServicePrincipal(db, row);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new ArmError(
        409,
        'ServicePrincipalNameInUse',
        `A service principal named '${displayName}' already exists. Choose another name, or reset its secret: berth ad sp credential reset --id <appId>.`,
      );
    }
    return reply.code(201).send({ ...info(row), password });
  });

  app.get(
    '/berth/servicePrincipals',
    { config: signedIn, schema: { response: { 200: Type.Object({ value: Type.Array(PrincipalInfo) }) } } },
    async (request) => {
      const rows = await listServicePrincipals(db);
      return { value: rows.filter((row) => manages(request.principal!, roleMaps.parse(row.roles))).map(info) };
    },
  );

  app.post(
    '/berth/servicePrincipals/:id/resetCredential',
    {
      config: signedIn,
      schema: {
        params: Type.Object({ id: Id }),
        body: Type.Object({ years: Type.Optional(Years) }, { additionalProperties: false }),
        response: { 200: Credential },
      },
    },
    async (request) => {
      const row = await managed(request.principal!, request.params.id);
      const password = newClientSecret();
      const expiresAt = new Date(Date.now() + (request.body.years ?? 1) * YEAR_MS).toISOString();
      // Deleted meanwhile: nothing to reset.
      if (!(await replaceServicePrincipalSecret(db, row.app_id, hashToken(password), expiresAt))) throw notFound(request.params.id);
      return { appId: row.app_id, password, tenant: row.tenant, passwordExpiresAt: expiresAt };
    },
  );

  app.delete('/berth/servicePrincipals/:id', { config: signedIn, schema: { params: Type.Object({ id: Id }) } }, async (request, reply) => {
    const row = await managed(request.principal!, request.params.id);
    await deleteServicePrincipal(db, row.app_id);
    return reply.code(204).send();
  });
}
