import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError } from '@berth/arm';
import { getSubscription, getSubscriptionByAlias, insertSubscription, isUniqueViolation, listSubscriptions, type SubscriptionRow } from '@berth/store';
import { requireApiVersion } from '../plugins/api-version.js';
import { canWrite, hasRoleIn, roleAt } from '../roles.js';
import { nowIso } from '../arm-http.js';
import { Subscription } from '@berth/shapes';

const Alias = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  properties: Type.Object({ subscriptionId: Type.String(), provisioningState: Type.String() }),
});

const AliasBody = Type.Object({
  properties: Type.Object({
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    workload: Type.Optional(Type.Union([Type.Literal('Production'), Type.Literal('DevTest')])),
    billingScope: Type.Optional(Type.String()),
    subscriptionId: Type.Optional(Type.String()),
    resellerId: Type.Optional(Type.String()),
  }),
});

const AliasName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9][-a-zA-Z0-9_.]*$' });

/** The oldest subscriptions api-version served: the Azure CLI 2.45 lists subscriptions at 2019-11-01 when it signs in. */
export const SUBSCRIPTIONS_MINIMUM_API_VERSION = '2016-06-01';

function toSubscription(row: SubscriptionRow) {
  return {
    id: `/subscriptions/${row.subscription_id}`,
    subscriptionId: row.subscription_id,
    tenantId: row.tenant_id,
    displayName: row.display_name,
    state: row.state,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  };
}

function toAlias(row: SubscriptionRow) {
  return {
    id: `/providers/Microsoft.Subscription/aliases/${row.alias}`,
    name: row.alias ?? '',
    type: 'Microsoft.Subscription/aliases',
    properties: { subscriptionId: row.subscription_id, provisioningState: 'Succeeded' },
  };
}

/** Subscriptions, and the alias API that creates more of them. */
export async function subscriptionRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.berth;

  function visible(request: FastifyRequest, row: SubscriptionRow): boolean {
    return request.principal !== null && hasRoleIn(request.principal, row.subscription_id);
  }

  await app.register(async (scope) => {
    const subs = scope.withTypeProvider<TypeBoxTypeProvider>();
    subs.addHook('onRequest', requireApiVersion({ minimum: SUBSCRIPTIONS_MINIMUM_API_VERSION, what: 'subscriptions' }));
    subs.get(
      '/subscriptions',
      { config: { access: 'signed-in' }, schema: { response: { 200: Type.Object({ value: Type.Array(Subscription) }) } } },
      async (request) => {
        const rows = await listSubscriptions(db);
        return { value: rows.filter((r) => visible(request, r)).map(toSubscription) };
      },
    );
    subs.get(
      '/subscriptions/:subscriptionId',
      { config: { access: 'read' }, schema: { params: Type.Object({ subscriptionId: Type.String() }), response: { 200: Subscription } } },
      async (request) => {
        const row = await getSubscription(db, request.params.subscriptionId);
        if (!row) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${request.params.subscriptionId}' could not be found.`);
        return toSubscription(row);
      },
    );
  });

  await app.register(async (scope) => {
    const aliases = scope.withTypeProvider<TypeBoxTypeProvider>();
    aliases.addHook('onRequest', requireApiVersion({ minimum: '2021-10-01', what: 'Microsoft.Subscription/aliases' }));
    const route = '/providers/Microsoft.Subscription/aliases/:aliasName';
    const params = Type.Object({ aliasName: AliasName });

    aliases.get(route, { config: { access: 'signed-in' }, schema: { params, response: { 200: Alias } } }, async (request) => {
      const row = await getSubscriptionByAlias(db, request.params.aliasName);
      if (!row || !visible(request, row))
        throw new ArmError(404, 'ResourceNotFound', `The subscription alias '${request.params.aliasName}' could not be found.`);
      return toAlias(row);
    });

    aliases.put(
      route,
      { config: { access: 'signed-in' }, schema: { params, body: AliasBody, response: { 200: Alias, 201: Alias } } },
      async (request, reply) => {
        if (!request.principal || !canWrite(roleAt(request.principal, []))) {
          throw new ArmError(
            403,
            'AuthorizationFailed',
            'Creating a subscription needs a token with the Contributor or Owner role on every subscription (the admin token).',
          );
        }
        const alias = request.params.aliasName.toLowerCase();
        const existing = await getSubscriptionByAlias(db, alias);
        if (existing) return reply.code(200).send(toAlias(existing));
        const first = (await listSubscriptions(db))[0];
        const row: SubscriptionRow = {
          subscription_id: randomUUID(),
          display_name: request.body.properties.displayName ?? request.params.aliasName,
          state: 'Enabled',
          tenant_id: first.tenant_id,
          alias,
          created_at: nowIso(),
        };
        try {
          await insertSubscription(db, row);
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          return reply.code(200).send(toAlias((await getSubscriptionByAlias(db, alias))!));
        }
        return reply.code(201).send(toAlias(row));
      },
    );
  });
}
