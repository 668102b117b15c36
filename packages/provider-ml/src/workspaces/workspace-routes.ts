import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TObject } from '@sinclair/typebox';
import { ArmError, idKey, resourceGroupId, resourceId } from '@berth/arm';
import { getResource, getSubscription, isUniqueViolation, type ResourceRow } from '@berth/store';
import { baseUrl, normalizeLocation, nowIso, page, pageOf, requireApiVersion, requireResourceGroup, sendAccepted } from '@berth/front-door';
import { Workspace, WorkspaceList, WorkspacePatch, WorkspacePut } from '@berth/shapes';
import { computes, NAMESPACE, WORKSPACE_TYPE, workspaces } from '../repositories.js';
import { checkWorkspaceName } from './workspace-name.js';
import { CREATE_WORKSPACE, DELETE_WORKSPACE } from './workspace-operations.js';

export const ML_API_VERSIONS = ['2021-04-01', '2022-05-01', '2022-10-01'] as const;

const GroupParams = Type.Object({ subscriptionId: Type.String(), resourceGroupName: Type.String() });
const WorkspaceParams = Type.Object({ subscriptionId: Type.String(), resourceGroupName: Type.String(), workspaceName: Type.String() });

const toWorkspace = (row: ResourceRow): Workspace => workspaces.codec.parse(row.body);

function principalName(request: FastifyRequest): string {
  return request.principal?.name ?? 'unknown';
}

/** What a PUT asks for, for comparing a repeated PUT with the resource it created. */
function requested(body: WorkspacePut) {
  return { location: normalizeLocation(body.location), tags: body.tags, sku: body.sku, properties: body.properties ?? {} };
}

/** `Microsoft.MachineLearningServices/workspaces`: PUT (long-running create), GET, PATCH, DELETE (long-running), list. */
export async function workspaceRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', requireApiVersion({ versions: ML_API_VERSIONS, what: NAMESPACE }));
  const { db, engine } = app.berth;
  const groupBase = `/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${NAMESPACE}/workspaces`;
  const one = `${groupBase}/:workspaceName`;

  type Params = { subscriptionId: string; resourceGroupName: string; workspaceName: string };
  const keyOf = (params: Params) => idKey(resourceId(params.subscriptionId, params.resourceGroupName, NAMESPACE, [['workspaces', params.workspaceName]]));

  /** The 404 of a missing workspace, or of its missing resource group. */
  async function notFound(params: Params): Promise<never> {
    await requireResourceGroup(db, params.subscriptionId, params.resourceGroupName);
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${WORKSPACE_TYPE}/${params.workspaceName}' under resource group '${params.resourceGroupName}' was not found.`,
    );
  }

  async function load(params: Params): Promise<ResourceRow> {
    return (await getResource(db, keyOf(params))) ?? notFound(params);
  }

  app.get(
    `/subscriptions/:subscriptionId/providers/${NAMESPACE}/workspaces`,
    {
      config: { access: 'read' },
      schema: { params: Type.Object({ subscriptionId: Type.String() }), response: { 200: WorkspaceList } },
    },
    async (request) => {
      const { after, limit } = pageOf(request);
      const found = await workspaces.list(db, { subscriptionKey: request.params.subscriptionId.toLowerCase() }, { after, limit });
      return page(
        request,
        found.map((w) => w.body),
        found.map((w) => w.row.id_key),
        limit,
      );
    },
  );

  app.get(groupBase, { config: { access: 'read' }, schema: { params: GroupParams, response: { 200: WorkspaceList } } }, async (request) => {
    const { subscriptionId, resourceGroupName } = request.params;
    await requireResourceGroup(db, subscriptionId, resourceGroupName);
    const { after, limit } = pageOf(request);
    const found = await workspaces.list(db, { parentKey: idKey(resourceGroupId(subscriptionId, resourceGroupName)) }, { after, limit });
    return page(
      request,
      found.map((w) => w.body),
      found.map((w) => w.row.id_key),
      limit,
    );
  });

  app.get(one, { config: { access: 'read' }, schema: { params: WorkspaceParams, response: { 200: Workspace } } }, async (request, reply) => {
    // Stored through the workspace schema, the stored JSON is the response: sent as it is, with no parse and no serialization.
    const json = (await workspaces.getStoredJson(db, keyOf(request.params))) ?? (await notFound(request.params));
    return reply.type('application/json; charset=utf-8').send(json as unknown as Workspace);
  });

  app.put(
    one,
    { config: { access: 'write' }, schema: { params: WorkspaceParams, body: WorkspacePut, response: { 200: Workspace, 201: Workspace } } },
    async (request, reply) => {
      const { subscriptionId, resourceGroupName, workspaceName } = request.params;
      checkWorkspaceName(workspaceName);
      const group = await requireResourceGroup(db, subscriptionId, resourceGroupName);
      const groupName = group.name;
      const id = resourceId(subscriptionId, groupName, NAMESPACE, [['workspaces', workspaceName]]);
      const location = normalizeLocation(request.body.location);
      const now = nowIso();
      const existing = await getResource(db, idKey(id));
      if (existing) return updateExisting(request, reply, existing, request.body);

      const subscription = await getSubscription(db, subscriptionId);
      const tenantId = subscription!.tenant_id;
      const props = request.body.properties ?? {};
      const identityType = request.body.identity?.type ?? 'None';
      const workspaceId = randomUUID();
      const body: Workspace = {
        id,
        name: workspaceName,
        type: WORKSPACE_TYPE,
        location,
        ...(request.body.tags ? { tags: request.body.tags } : {}),
        identity: {
          type: identityType,
          ...(identityType.includes('SystemAssigned') ? { principalId: randomUUID(), tenantId } : {}),
          ...(request.body.identity?.userAssignedIdentities
            ? {
                userAssignedIdentities: Object.fromEntries(
                  Object.keys(request.body.identity.userAssignedIdentities).map((k) => [k, { principalId: randomUUID(), clientId: randomUUID() }]),
                ),
              }
            : {}),
        },
        ...(request.body.sku ? { sku: request.body.sku } : {}),
        ...(request.body.kind ? { kind: request.body.kind } : {}),
        systemData: {
          createdBy: principalName(request),
          createdByType: 'User',
          createdAt: now,
          lastModifiedBy: principalName(request),
          lastModifiedByType: 'User',
          lastModifiedAt: now,
        },
        properties: {
          workspaceId,
          provisioningState: 'Creating',
          ...(props.friendlyName !== undefined ? { friendlyName: props.friendlyName } : {}),
          ...(props.description !== undefined ? { description: props.description } : {}),
          ...(props.keyVault ? { keyVault: props.keyVault } : {}),
          ...(props.applicationInsights ? { applicationInsights: props.applicationInsights } : {}),
          ...(props.containerRegistry ? { containerRegistry: props.containerRegistry } : {}),
          ...(props.storageAccount ? { storageAccount: props.storageAccount } : {}),
          ...(props.imageBuildCompute ? { imageBuildCompute: props.imageBuildCompute } : {}),
          ...(props.primaryUserAssignedIdentity ? { primaryUserAssignedIdentity: props.primaryUserAssignedIdentity } : {}),
          discoveryUrl: `${baseUrl(request)}/discovery/workspaces/${workspaceId}`,
          hbiWorkspace: props.hbiWorkspace ?? false,
          allowPublicAccessWhenBehindVnet: props.allowPublicAccessWhenBehindVnet ?? false,
          publicNetworkAccess: props.publicNetworkAccess ?? 'Enabled',
          v1LegacyMode: props.v1LegacyMode ?? false,
          serviceProvisionedResourceGroup: `${workspaceName}_${workspaceId.replace(/-/g, '').slice(0, 16)}`,
          privateLinkCount: 0,
          tenantId,
          storageHbiWorkspace: false,
          mlFlowTrackingUri: `azureml://${location}.api.azureml.ms/mlflow/v1.0${id}`,
        },
      };
      try {
        await workspaces.insert(db, { id, parentId: resourceGroupId(subscriptionId, groupName), body, now });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // A concurrent PUT created it between our read and insert.
        return updateExisting(request, reply, (await getResource(db, idKey(id)))!, request.body);
      }
      const op = await engine.begin({ kind: CREATE_WORKSPACE, resourceId: id, subscriptionId, step: 'provision', data: { idKey: idKey(id) } });
      return sendAccepted(request, reply, op, { namespace: NAMESPACE, location, statusCode: 201, body });
    },
  );

  /** Applies the settable fields of a PUT or PATCH to a stored workspace and saves it. */
  async function saveChanges(request: FastifyRequest, key: string, body: Workspace, change: WorkspacePatch): Promise<Workspace> {
    const updated: Workspace = {
      ...body,
      ...(change.tags ? { tags: change.tags } : {}),
      ...(change.sku ? { sku: change.sku } : {}),
      systemData: { ...body.systemData, lastModifiedBy: principalName(request), lastModifiedAt: nowIso() },
      properties: { ...body.properties, ...settableOnly((change.properties ?? {}) as Record<string, unknown>) },
    };
    await workspaces.update(db, key, updated, nowIso());
    return updated;
  }

  /** A PUT on an existing workspace updates it; while it is still being created, only a repeat of the same PUT is accepted. */
  async function updateExisting(request: FastifyRequest, reply: FastifyReply, row: ResourceRow, put: WorkspacePut) {
    const body = toWorkspace(row);
    const want = requested(put);
    if (body.location !== want.location) {
      throw new ArmError(
        409,
        'InvalidResourceLocation',
        `The resource '${body.name}' already exists in location '${body.location}' in resource group '${row.group_key}'. A resource with the same name cannot be created in location '${want.location}'. Delete it first or use another name.`,
      );
    }
    const active = await engine.active(body.id);
    if (active) {
      if (active.kind === CREATE_WORKSPACE && isDeepStrictEqual(want, requested(creationRequestOf(body)))) {
        return sendAccepted(request, reply, active, { namespace: NAMESPACE, location: body.location, statusCode: 201, body });
      }
      throw new ArmError(
        409,
        'OperationInProgress',
        `The workspace '${body.name}' is ${body.properties.provisioningState.toLowerCase()}; wait for that operation to finish, then retry.`,
      );
    }
    return reply.code(200).send(await saveChanges(request, row.id_key, body, put));
  }

  app.patch(one, { config: { access: 'write' }, schema: { params: WorkspaceParams, body: WorkspacePatch, response: { 200: Workspace } } }, async (request) => {
    const row = await load(request.params);
    const body = toWorkspace(row);
    if (body.properties.provisioningState === 'Deleting') {
      throw new ArmError(409, 'OperationInProgress', `The workspace '${body.name}' is being deleted.`);
    }
    return saveChanges(request, row.id_key, body, request.body);
  });

  app.delete(one, { config: { access: 'write' }, schema: { params: WorkspaceParams } }, async (request, reply) => {
    const { subscriptionId, resourceGroupName, workspaceName } = request.params;
    const id = resourceId(subscriptionId, resourceGroupName, NAMESPACE, [['workspaces', workspaceName]]);
    const row = await getResource(db, idKey(id));
    if (!row) {
      await requireResourceGroup(db, subscriptionId, resourceGroupName);
      return reply.code(204).send();
    }
    const body = toWorkspace(row);
    const [compute] = await computes.list(db, { parentKey: row.id_key }, { limit: 1 });
    if (compute) {
      throw new ArmError(
        409,
        'WorkspaceHasComputes',
        `The workspace '${body.name}' still has computes (such as '${compute.row.name}'). Detach or delete them first (berth ml computetarget detach -n ${compute.row.name}), so no cluster is left with Berth's objects in it.`,
      );
    }
    const active = await engine.active(body.id);
    if (active?.kind === DELETE_WORKSPACE) {
      return sendAccepted(request, reply, active, { namespace: NAMESPACE, location: body.location, statusCode: 202, withLocation: true });
    }
    if (active) {
      throw new ArmError(
        409,
        'OperationInProgress',
        `The workspace '${body.name}' is ${body.properties.provisioningState.toLowerCase()}; wait for that operation to finish, then delete it.`,
      );
    }
    body.properties.provisioningState = 'Deleting';
    await workspaces.update(db, row.id_key, body, nowIso());
    const op = await engine.begin({ kind: DELETE_WORKSPACE, resourceId: body.id, subscriptionId, step: 'delete', data: { idKey: row.id_key } });
    return sendAccepted(request, reply, op, { namespace: NAMESPACE, location: body.location, statusCode: 202, withLocation: true });
  });
}

/**
 * The properties a client may change (those of the PATCH schema). Read-only ones
 * (provisioningState, workspaceId, tenantId, discoveryUrl, ...) in a PUT or PATCH
 * body are ignored, as ARM ignores them.
 */
const SETTABLE_PROPERTIES = new Set(Object.keys((WorkspacePatch.properties.properties as unknown as TObject).properties));

function settableOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(definedOnly(values)).filter(([k]) => SETTABLE_PROPERTIES.has(k)));
}

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

/** The PUT body that would have produced `body`, for recognising a repeated create. */
function creationRequestOf(body: Workspace): WorkspacePut {
  const p = body.properties;
  const properties = definedOnly({
    friendlyName: p.friendlyName,
    description: p.description,
    keyVault: p.keyVault,
    applicationInsights: p.applicationInsights,
    containerRegistry: p.containerRegistry,
    storageAccount: p.storageAccount,
    imageBuildCompute: p.imageBuildCompute,
  });
  return { location: body.location, tags: body.tags, sku: body.sku, properties };
}
