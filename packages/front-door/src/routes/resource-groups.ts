import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError, idKey, resourceGroupId } from '@berth/arm';
import {
  deleteResourceTree,
  getResource,
  insertResource,
  isUniqueViolation,
  listGroupContents,
  listResources,
  updateResourceBody,
  type Db,
  type ResourceRow,
} from '@berth/store';
import type { OperationHandler } from '@berth/operations';
import { requireApiVersion } from '../plugins/api-version.js';
import { nowIso, normalizeLocation, page, pageOf, sendAccepted } from '../arm-http.js';
import { RESOURCE_GROUP_TYPE, type ResourceGroupBody } from '../resource-groups-store.js';
import {
  ResourceGroup,
  ResourceGroupList,
  ResourceGroupParams,
  ResourceGroupPatch,
  ResourceGroupPut,
} from '../schemas/resource-groups.js';

const typeKey = RESOURCE_GROUP_TYPE.toLowerCase();
export const DELETE_RESOURCE_GROUP = 'Microsoft.Resources/resourceGroups/delete';

export type ResourceDeleteHook = (db: Db, row: ResourceRow) => Promise<void>;

/**
 * Deletes everything in a group, then the group, one resource per step so a
 * crash resumes where it was; a provider's hook cleans up what a resource owns
 * outside the resources table first.
 */
export function deleteResourceGroupHandler(hooks: Record<string, ResourceDeleteHook>): OperationHandler<{ groupIdKey: string; subscriptionKey: string; groupKey: string }> {
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

/** `Microsoft.Resources/resourceGroups`: PUT, GET, HEAD, PATCH, DELETE (long-running) and list. */
export async function resourceGroupRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', requireApiVersion({ minimum: '2021-04-01', what: 'resource groups' }));
  const { db, engine } = app.berth;
  const base = '/subscriptions/:subscriptionId/resourcegroups';

  function toBody(row: { body: string }): ResourceGroupBody {
    return JSON.parse(row.body) as ResourceGroupBody;
  }

  app.get(base, { config: { access: 'read' }, schema: { params: Type.Object({ subscriptionId: Type.String() }), response: { 200: ResourceGroupList } } }, async (request) => {
    const { after, limit } = pageOf(request);
    const rows = await listResources(db, { typeKey, subscriptionKey: request.params.subscriptionId.toLowerCase() }, { after, limit });
    return page(request, rows.map(toBody), rows.map((r) => r.id_key), limit);
  });

  app.get(`${base}/:resourceGroupName`, { exposeHeadRoute: false, config: { access: 'read' }, schema: { params: ResourceGroupParams, response: { 200: ResourceGroup } } }, async (request) => {
    const { subscriptionId, resourceGroupName } = request.params;
    const row = await getResource(db, idKey(resourceGroupId(subscriptionId, resourceGroupName)));
    if (!row) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroupName}' could not be found.`);
    return toBody(row);
  });

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
      const existing = await getResource(db, idKey(id));
      if (existing) {
        const body = toBody(existing);
        if (body.location !== location) {
          throw new ArmError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${location}'. The resource group '${body.name}' already exists in location '${body.location}'.`);
        }
        if (body.properties.provisioningState === 'Deleting') {
          throw new ArmError(409, 'ResourceGroupBeingDeleted', `The resource group '${body.name}' is being deleted; wait for the deletion to finish, then create it again.`);
        }
        const updated: ResourceGroupBody = { ...body, tags: request.body.tags ?? body.tags, managedBy: request.body.managedBy ?? body.managedBy };
        await updateResourceBody(db, existing.id_key, JSON.stringify(updated), nowIso());
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
        await insertResource(db, { id, type: RESOURCE_GROUP_TYPE, parentId: `/subscriptions/${subscriptionId}`, body, now });
      } catch (err) {
        // Another request created it first: answer as an update of what it created.
        if (!isUniqueViolation(err)) throw err;
        const row = await getResource(db, idKey(id));
        return reply.code(200).send(toBody(row!));
      }
      return reply.code(201).send(body);
    },
  );

  app.patch(
    `${base}/:resourceGroupName`,
    { config: { access: 'write' }, schema: { params: ResourceGroupParams, body: ResourceGroupPatch, response: { 200: ResourceGroup } } },
    async (request) => {
      const { subscriptionId, resourceGroupName } = request.params;
      const row = await getResource(db, idKey(resourceGroupId(subscriptionId, resourceGroupName)));
      if (!row) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroupName}' could not be found.`);
      const body = toBody(row);
      const updated = { ...body, tags: request.body.tags ?? body.tags, managedBy: request.body.managedBy ?? body.managedBy };
      await updateResourceBody(db, row.id_key, JSON.stringify(updated), nowIso());
      return updated;
    },
  );

  app.delete(`${base}/:resourceGroupName`, { config: { access: 'write' }, schema: { params: ResourceGroupParams } }, async (request, reply) => {
    const { subscriptionId, resourceGroupName } = request.params;
    const id = resourceGroupId(subscriptionId, resourceGroupName);
    const row = await getResource(db, idKey(id));
    if (!row) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroupName}' could not be found.`);
    const body = toBody(row);
    const op =
      (await engine.active(body.id)) ??
      (await (async () => {
        await updateResourceBody(db, row.id_key, JSON.stringify({ ...body, properties: { provisioningState: 'Deleting' } }), nowIso());
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
