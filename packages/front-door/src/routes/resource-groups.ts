import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError, idKey, parseScope, resourceGroupId } from '@berth/arm';
import { permits } from '@berth/compute-rules';
import { deleteResourceTree, getResource, isUniqueViolation, listGroupContents, type Db, type ResourceRow } from '@berth/store';
import type { OperationHandler } from '@berth/operations';
import { permissionsAt } from '../permissions.js';
import type { Principal } from '../roles.js';
import { requireApiVersion } from '../plugins/api-version.js';
import { nowIso, normalizeLocation, page, pageOf, sendAccepted } from '../arm-http.js';
import { RESOURCE_GROUP_TYPE, resourceGroups, type ResourceGroupBody } from '../resource-groups-store.js';
import { ResourceGroup, ResourceGroupList, ResourceGroupParams, ResourceGroupPatch, ResourceGroupPut } from '@berth/shapes';
export const DELETE_RESOURCE_GROUP = 'Microsoft.Resources/resourceGroups/delete';
/** The action ARM names a group's deletion by, on the group's scope. */
const GROUP_DELETE_ACTION = 'Microsoft.Resources/subscriptions/resourceGroups/delete';

export type ResourceDeleteHook = (db: Db, row: ResourceRow) => Promise<void>;

/** A scope a resource's delete hook acts on with Berth's own identity, and the action ARM would check there. */
export interface LinkedScope {
  scope: string;
  action: string;
}

/** The linked scopes deleting `row` with its group would act on, read before the deletion is accepted. */
export type LinkedScopesHook = (db: Db, row: ResourceRow) => Promise<LinkedScope[]>;

/**
 * ARM's linked access check for a group's deletion: the caller needs each linked scope's action
 * itself (its permissions there, as the front door resolves them), or the delete hooks would act
 * for it where it has no role. Throws 403 `LinkedAuthorizationFailed` naming every scope it lacks.
 */
async function requireLinkedAccess(
  db: Db,
  principal: Principal | null,
  group: { id: string; subscriptionKey: string; groupKey: string; idKey: string },
  hooks: Record<string, LinkedScopesHook>,
): Promise<void> {
  const denied = new Map<string, LinkedScope>();
  for (const row of await listGroupContents(db, group.subscriptionKey, group.groupKey, group.idKey)) {
    for (const linked of (await hooks[row.type_key]?.(db, row)) ?? []) {
      const scope = parseScope(linked.scope);
      const allowed = principal && scope && permits(permissionsAt(principal, scope.path), linked.action);
      if (!allowed) denied.set(`${idKey(linked.scope)} ${linked.action}`, linked);
    }
  }
  if (denied.size === 0) return;
  const who = principal?.name ?? 'unknown';
  const refused = [...denied.values()];
  throw new ArmError(
    403,
    'LinkedAuthorizationFailed',
    `The client '${who}' with object id '${principal?.principalId ?? who}' has permission to perform action '${GROUP_DELETE_ACTION}' on scope '${group.id}'; however, it does not have permission to perform action(s) '${refused.map((l) => l.action).join(',')}' on the linked scope(s) '${refused.map((l) => l.scope).join(',')}' (respectively) or the linked scope(s) are invalid. Deleting the group would act on them; ask an Owner for Contributor on them or their resource groups.`,
  );
}

/**
 * Deletes everything in a group, then the group, one resource per step so a
 * crash resumes where it was; a provider's hook cleans up what a resource owns
 * outside the resources table first.
 */
export function deleteResourceGroupHandler(
  hooks: Record<string, ResourceDeleteHook>,
): OperationHandler<{ groupIdKey: string; subscriptionKey: string; groupKey: string }> {
  return {
    kind: DELETE_RESOURCE_GROUP,
    async run({ db, data }) {
      const contents = await listGroupContents(db, data.subscriptionKey, data.groupKey, data.groupIdKey);
      if (contents.length > 0) {
        const next = contents[0];
        await hooks[next.type_key]?.(db, next);
        await deleteResourceTree(db, next.id_key);
        return { next: 'delete-contents' };
      }
      await deleteResourceTree(db, data.groupIdKey);
      return { done: true };
    },
  };
}

/**
 * `Microsoft.Resources/resourceGroups`: PUT, GET, HEAD, PATCH, DELETE (long-running) and list.
 * `linkedScopes`: the providers' declarations, by lower-cased resource type, of where their delete hooks act.
 */
export async function resourceGroupRoutes(parent: FastifyInstance, options: { linkedScopes: Record<string, LinkedScopesHook> }): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', requireApiVersion({ minimum: '2021-04-01', what: 'resource groups' }));
  const { db, engine } = app.berth;
  const base = '/subscriptions/:subscriptionId/resourcegroups';

  app.get(
    base,
    { config: { access: 'read' }, schema: { params: Type.Object({ subscriptionId: Type.String() }), response: { 200: ResourceGroupList } } },
    async (request) => {
      const { after, limit } = pageOf(request);
      const groups = await resourceGroups.list(db, { subscriptionKey: request.params.subscriptionId.toLowerCase() }, { after, limit });
      return page(
        request,
        groups.map((g) => g.body),
        groups.map((g) => g.row.id_key),
        limit,
      );
    },
  );

  app.get(
    `${base}/:resourceGroupName`,
    { exposeHeadRoute: false, config: { access: 'read' }, schema: { params: ResourceGroupParams, response: { 200: ResourceGroup } } },
    async (request) => {
      const { subscriptionId, resourceGroupName } = request.params;
      const group = await resourceGroups.get(db, idKey(resourceGroupId(subscriptionId, resourceGroupName)));
      if (!group) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroupName}' could not be found.`);
      return group.body;
    },
  );

  app.head(`${base}/:resourceGroupName`, { config: { access: 'read' }, schema: { params: ResourceGroupParams } }, async (request, reply) => {
    const { subscriptionId, resourceGroupName } = request.params;
    const row = await getResource(db, idKey(resourceGroupId(subscriptionId, resourceGroupName)));
    return reply.code(row ? 204 : 404).send();
  });

  app.put(
    `${base}/:resourceGroupName`,
    { config: { access: 'write' }, schema: { params: ResourceGroupParams, body: ResourceGroupPut, response: { 200: ResourceGroup, 201: ResourceGroup } } },
    async (request, reply) => {
      const { subscriptionId, resourceGroupName } = request.params;
      const id = resourceGroupId(subscriptionId, resourceGroupName);
      const location = normalizeLocation(request.body.location);
      const existing = await resourceGroups.get(db, idKey(id));
      if (existing) {
        const { body } = existing;
        if (body.location !== location) {
          throw new ArmError(
            409,
            'InvalidResourceGroupLocation',
            `Invalid resource group location '${location}'. The resource group '${body.name}' already exists in location '${body.location}'.`,
          );
        }
        if (body.properties.provisioningState === 'Deleting') {
          throw new ArmError(
            409,
            'ResourceGroupBeingDeleted',
            `The resource group '${body.name}' is being deleted; wait for the deletion to finish, then create it again.`,
          );
        }
        const updated: ResourceGroupBody = { ...body, tags: request.body.tags ?? body.tags, managedBy: request.body.managedBy ?? body.managedBy };
        await resourceGroups.update(db, existing.row.id_key, updated, nowIso());
        return reply.code(200).send(updated);
      }
      const body: ResourceGroupBody = {
        id,
        name: resourceGroupName,
        type: RESOURCE_GROUP_TYPE,
        location,
        ...(request.body.tags ? { tags: request.body.tags } : {}),
        ...(request.body.managedBy ? { managedBy: request.body.managedBy } : {}),
        properties: { provisioningState: 'Succeeded' },
      };
      const now = nowIso();
      try {
        await resourceGroups.insert(db, { id, parentId: `/subscriptions/${subscriptionId}`, body, now });
      } catch (err) {
        // Another request created it first: answer as an update of what it created.
        if (!isUniqueViolation(err)) throw err;
        const winner = await resourceGroups.get(db, idKey(id));
        return reply.code(200).send(winner!.body);
      }
      return reply.code(201).send(body);
    },
  );

  app.patch(
    `${base}/:resourceGroupName`,
    { config: { access: 'write' }, schema: { params: ResourceGroupParams, body: ResourceGroupPatch, response: { 200: ResourceGroup } } },
    async (request) => {
      const { subscriptionId, resourceGroupName } = request.params;
      const group = await resourceGroups.get(db, idKey(resourceGroupId(subscriptionId, resourceGroupName)));
      if (!group) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroupName}' could not be found.`);
      const { body } = group;
      const updated = { ...body, tags: request.body.tags ?? body.tags, managedBy: request.body.managedBy ?? body.managedBy };
      await resourceGroups.update(db, group.row.id_key, updated, nowIso());
      return updated;
    },
  );

  app.delete(`${base}/:resourceGroupName`, { config: { access: 'write' }, schema: { params: ResourceGroupParams } }, async (request, reply) => {
    const { subscriptionId, resourceGroupName } = request.params;
    const id = resourceGroupId(subscriptionId, resourceGroupName);
    const group = await resourceGroups.get(db, idKey(id));
    if (!group) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroupName}' could not be found.`);
    const { row, body } = group;
    // Before anything changes, a repeated DELETE too: its 202 accepts the deletion on this caller's behalf as well.
    await requireLinkedAccess(
      db,
      request.principal,
      { id: body.id, subscriptionKey: row.subscription_key, groupKey: row.group_key, idKey: row.id_key },
      options.linkedScopes,
    );
    const op =
      (await engine.active(body.id)) ??
      (await (async () => {
        await resourceGroups.update(db, row.id_key, { ...body, properties: { provisioningState: 'Deleting' } }, nowIso());
        return engine.begin({
          kind: DELETE_RESOURCE_GROUP,
          resourceId: body.id,
          subscriptionId,
          step: 'delete-contents',
          data: { groupIdKey: row.id_key, subscriptionKey: row.subscription_key, groupKey: row.group_key },
        });
      })());
    return sendAccepted(request, reply, op, { namespace: 'Microsoft.Resources', location: body.location, statusCode: 202, withLocation: true });
  });
}
