import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError, idKey } from '@berth/arm';
import {
  deleteResourceTree,
  deleteServicePrincipal,
  deleteTokensMadeBy,
  findServicePrincipal,
  getSubscription,
  insertServicePrincipal,
  isUniqueViolation,
  listServicePrincipals,
  listSubscriptions,
  replaceServicePrincipalSecret,
  servicePrincipalCreator,
  type ServicePrincipalInfo,
} from '@berth/store';
import type { RoleAssignment } from '@berth/shapes';
import { grantsOfRoleMap, hashToken, ownsScopes, roleMaps, roles, type Grant, type Principal } from '../roles.js';
import { newClientSecret } from '../service-principals.js';
import { nowIso } from '../arm-http.js';
import { allRoleAssignments, createRoleAssignment, grantOf, requireScope } from '../role-assignments-store.js';
import { parseScope, type ParsedScope } from '@berth/arm';
import { invalidScope, scopeString } from '../scopes.js';

const YEAR_MS = 365 * 86_400_000;
/** `/subscriptions/{id}` as a scope path: `subscriptions`, the id. */
const SUBSCRIPTION_SCOPE_LENGTH = 2;

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

/**
 * Service principals are credentials: only an Owner of every scope a principal holds a role at manages it.
 * One with no role gives no scope to judge by, so only its creator or an Owner at a subscription (or above)
 * manages it; an Owner of one resource group cannot take over every principal that has no role yet.
 * Principals from before creators were recorded have none: only subscription Owners manage them.
 */
function manages(principal: Principal, row: Pick<ServicePrincipalInfo, 'created_by'>, grants: readonly Grant[]): boolean {
  if (grants.length === 0) {
    return (
      (row.created_by !== null && row.created_by === principal.creatorId) ||
      principal.grants.some((g) => g.role === 'Owner' && g.scope.length <= SUBSCRIPTION_SCOPE_LENGTH)
    );
  }
  return ownsScopes(
    principal,
    grants.map((g) => g.scope),
  );
}

/** Whether the caller may create a principal with these grants: an Owner of each of them, or for none, an Owner somewhere (who becomes its creator). */
function mayCreate(principal: Principal, grants: readonly Grant[]): boolean {
  return (
    principal.grants.some((g) => g.role === 'Owner') &&
    ownsScopes(
      principal,
      grants.map((g) => g.scope),
    )
  );
}

/** A scope of `--scopes`: a subscription, a resource group or a resource; 400 `InvalidScope` otherwise. */
function scopeOf(scope: string): ParsedScope {
  const parsed = parseScope(scope);
  if (!parsed) throw invalidScope(scope);
  return parsed;
}

/** A principal's grants: roles stored on its row (before role assignments) and its role assignments. */
function grantsOf(row: ServicePrincipalInfo, assignments: readonly RoleAssignment[]): Grant[] {
  return [
    ...grantsOfRoleMap(roleMaps.parse(row.roles)),
    ...assignments.filter((a) => a.properties.principalId.toLowerCase() === row.object_id).flatMap((a) => grantOf(a) ?? []),
  ];
}

/** Roles by scope for display: a subscription's id alone, as before role assignments; other scopes in full. */
function rolesByScope(grants: readonly Grant[]): Record<string, string> {
  return Object.fromEntries(grants.map((g) => [g.scope.length === 0 ? '*' : g.scope.length === 2 ? g.scope[1] : scopeString(g.scope), g.role] as const));
}

function info(row: ServicePrincipalInfo, grants: readonly Grant[]) {
  return {
    appId: row.app_id,
    objectId: row.object_id,
    displayName: row.display_name,
    tenant: row.tenant,
    roles: rolesByScope(grants),
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
      `No service principal '${id.slice(0, 64)}' that you manage. \`berth ad sp list\` shows the ones you can manage: an Owner of every scope a principal has a role at manages it; one with no role, its creator or an Owner of a subscription.`,
    );

  /** The principal `id` names, if the caller manages it; else 404, whether or not it exists. */
  async function managed(principal: Principal, id: string): Promise<ServicePrincipalInfo> {
    const row = await findServicePrincipal(db, id);
    if (!row) throw notFound(id);
    const assignments = await allRoleAssignments(db);
    if (!manages(principal, row, grantsOf(row, assignments))) throw notFound(id);
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
    const parsed = scopes.map(scopeOf);
    if (
      !mayCreate(
        principal,
        parsed.map((p) => ({ scope: p.path, role: role! })),
      )
    ) {
      throw new ArmError(
        403,
        'AuthorizationFailed',
        `The client '${principal.name}' cannot create this service principal: only an Owner of ${parsed.length ? `every scope it gets a role at (${parsed.map((p) => p.canonical).join(', ')})` : 'some scope'} can.`,
      );
    }
    for (const scope of parsed) await requireScope(db, scope);
    const tenant = (parsed[0] ? await getSubscription(db, parsed[0].subscriptionId) : undefined)?.tenant_id ?? (await listSubscriptions(db))[0]?.tenant_id;
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
      // Roles are role assignments now; the column keeps the roles of principals made before them.
      roles: '{}',
      tenant,
      created_at: createdAt,
      created_by: principal.creatorId ?? null,
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
    const by = principal.principalId ?? principal.name;
    const grants: Grant[] = [];
    for (const scope of parsed) {
      await createRoleAssignment(db, { scope, role: role!, principalId: row.object_id, by });
      grants.push({ scope: scope.path, role: role! });
    }
    return reply.code(201).send({ ...info(row, grants), password });
  });

  app.get(
    '/berth/servicePrincipals',
    { config: signedIn, schema: { response: { 200: Type.Object({ value: Type.Array(PrincipalInfo) }) } } },
    async (request) => {
      const rows = await listServicePrincipals(db);
      const assignments = await allRoleAssignments(db);
      return {
        value: rows.flatMap((row) => {
          const grants = grantsOf(row, assignments);
          return manages(request.principal!, row, grants) ? [info(row, grants)] : [];
        }),
      };
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
    // Its role assignments go with it (ARM would keep them, pointing at an unknown identity).
    for (const a of await allRoleAssignments(db)) {
      if (a.properties.principalId.toLowerCase() === row.object_id) await deleteResourceTree(db, idKey(a.id));
    }
    // So do the Berth tokens it minted (and those they minted), which would outlive it otherwise; the auth cache drops them within a second.
    await deleteTokensMadeBy(db, servicePrincipalCreator(row.object_id));
    return reply.code(204).send();
  });
}
