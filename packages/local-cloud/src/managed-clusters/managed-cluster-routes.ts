import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError, idKey, parseResourceId, resourceGroupId, resourceId, validationFailed, type ArmErrorDetail } from '@berth/arm';
import { getKubeClusterByManagedCluster, getSubscription, isUniqueViolation, type ResourceRow } from '@berth/store';
import { CredentialResults, ManagedCluster, ManagedClusterList, ManagedClusterPut } from '@berth/shapes';
import { apiVersionOf, baseUrl, nowIso, page, pageOf, requireApiVersion, requireResourceGroup, sendAccepted } from '@berth/front-door';
import type { SecretBox } from '@berth/pki';
import { resolveKubernetesVersion } from '@berth/catalog';
import { clusterToken, kubeconfig } from '../kube/credentials.js';
import type { CredentialRole } from '../kube/cluster-settings.js';
import { checkManagedCluster, type ManagedClusterSpec } from './managed-cluster-spec.js';
import { managedClusterBody } from './managed-cluster-body.js';
import type { ClusterOpData } from './managed-cluster-operations.js';
import { CONTAINER_SERVICE, CREATE_CLUSTER, DELETE_CLUSTER, MANAGED_CLUSTER_API_VERSIONS, UPDATE_CLUSTER } from './names.js';
import { managedClusters, type ManagedClusterBody } from './managed-cluster-store.js';

const GroupParams = Type.Object({ subscriptionId: Type.String(), resourceGroupName: Type.String() });
const ClusterParams = Type.Object({ subscriptionId: Type.String(), resourceGroupName: Type.String(), resourceName: Type.String() });

export interface ManagedClusterRouteOptions {
  box: SecretBox;
  caPem: string;
}

/** `Microsoft.ContainerService/managedClusters`: create, update (scale), get, list, delete and credentials. */
export function managedClusterRoutes(options: ManagedClusterRouteOptions) {
  return async function routes(parent: FastifyInstance): Promise<void> {
    const app = parent.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireApiVersion({ versions: MANAGED_CLUSTER_API_VERSIONS, what: 'Microsoft.ContainerService/managedClusters' }));
    const { db, engine } = app.berth;
    const groupBase = `/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${CONTAINER_SERVICE}/managedClusters`;
    const one = `${groupBase}/:resourceName`;

    async function load(params: {
      subscriptionId: string;
      resourceGroupName: string;
      resourceName: string;
    }): Promise<{ row: ResourceRow; body: ManagedClusterBody }> {
      const cluster = await managedClusters.get(
        db,
        idKey(resourceId(params.subscriptionId, params.resourceGroupName, CONTAINER_SERVICE, [['managedClusters', params.resourceName]])),
      );
      if (!cluster) {
        await requireResourceGroup(db, params.subscriptionId, params.resourceGroupName);
        throw new ArmError(
          404,
          'ResourceNotFound',
          `The Resource 'Microsoft.ContainerService/managedClusters/${params.resourceName}' under resource group '${params.resourceGroupName}' was not found.`,
        );
      }
      return cluster;
    }

    app.get(
      `/subscriptions/:subscriptionId/providers/${CONTAINER_SERVICE}/managedClusters`,
      { config: { access: 'read' }, schema: { params: Type.Object({ subscriptionId: Type.String() }), response: { 200: ManagedClusterList } } },
      async (request) => {
        const { after, limit } = pageOf(request);
        const found = await managedClusters.list(db, { subscriptionKey: request.params.subscriptionId.toLowerCase() }, { after, limit });
        return page(
          request,
          found.map((c) => c.body),
          found.map((c) => c.row.id_key),
          limit,
        );
      },
    );

    app.get(groupBase, { config: { access: 'read' }, schema: { params: GroupParams, response: { 200: ManagedClusterList } } }, async (request) => {
      const { subscriptionId, resourceGroupName } = request.params;
      await requireResourceGroup(db, subscriptionId, resourceGroupName);
      const { after, limit } = pageOf(request);
      const found = await managedClusters.list(db, { parentKey: idKey(resourceGroupId(subscriptionId, resourceGroupName)) }, { after, limit });
      return page(
        request,
        found.map((c) => c.body),
        found.map((c) => c.row.id_key),
        limit,
      );
    });

    app.get(one, { config: { access: 'read' }, schema: { params: ClusterParams, response: { 200: ManagedCluster } } }, async (request, reply) => {
      const { row } = await load(request.params);
      // Stored through the managed-cluster schema, so the stored bytes are the response.
      return reply.type('application/json; charset=utf-8').send(row.body as unknown as ManagedClusterBody);
    });

    app.put(
      one,
      { config: { access: 'write' }, schema: { params: ClusterParams, body: ManagedClusterPut, response: { 200: ManagedCluster, 201: ManagedCluster } } },
      async (request, reply) => {
        const { subscriptionId, resourceGroupName, resourceName } = request.params;
        const group = await requireResourceGroup(db, subscriptionId, resourceGroupName);
        const id = resourceId(subscriptionId, group.name, CONTAINER_SERVICE, [['managedClusters', resourceName]]);
        const existing = await managedClusters.get(db, idKey(id));
        const body = existing ? withExistingDefaults(request.body, existing.body) : request.body;
        const { problems, spec } = checkManagedCluster(body, {
          name: resourceName,
          resourceGroup: group.name,
          subscriptionId,
          apiVersion: apiVersionOf(request),
        });
        if (existing) problems.push(...updateProblems(existing.body, spec));
        if (problems.length > 0) throw validationFailed(problems.length === 1 ? problems[0].code : 'InvalidParameter', problems);
        if (existing) return update(request, reply, existing, spec, request.body.tags);

        const subscription = await getSubscription(db, subscriptionId);
        const created = managedClusterBody(spec, {
          id,
          name: resourceName,
          resourceGroup: group.name,
          tags: request.body.tags,
          principalId: randomUUID(),
          tenantId: subscription!.tenant_id,
          provisioningState: 'Creating',
        });
        const now = nowIso();
        try {
          await managedClusters.insert(db, { id, parentId: resourceGroupId(subscriptionId, group.name), body: created, now });
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          throw new ArmError(
            409,
            'OperationNotAllowed',
            `The managed cluster '${resourceName}' is being created by another request; retry when it has finished.`,
          );
        }
        const data: ClusterOpData = {
          idKey: idKey(id),
          id,
          name: resourceName,
          resourceGroup: group.name,
          subscriptionId,
          clusterId: randomUUID().replace(/-/g, ''),
          spec,
        };
        const op = await engine.begin({ kind: CREATE_CLUSTER, resourceId: id, subscriptionId, step: 'policy', data });
        return sendAccepted(request, reply, op, { namespace: CONTAINER_SERVICE, location: spec.location, statusCode: 201, body: created });
      },
    );

    async function update(
      request: FastifyRequest,
      reply: FastifyReply,
      existing: { row: ResourceRow; body: ManagedClusterBody },
      spec: ManagedClusterSpec,
      tags: Record<string, string> | undefined,
    ) {
      const { row, body: current } = existing;
      const active = await engine.active(current.id);
      if (active) {
        throw new ArmError(
          409,
          'OperationNotAllowed',
          `Operation is not allowed because there's an operation in progress on managed cluster '${current.name}' (provisioningState ${current.properties.provisioningState}). Retry when it has finished.`,
        );
      }
      const updated = managedClusterBody(spec, {
        id: current.id,
        name: current.name,
        resourceGroup: parseResourceId(current.id)!.resourceGroup,
        tags: tags ?? current.tags,
        principalId: current.identity.principalId,
        tenantId: current.identity.tenantId,
        provisioningState: 'Updating',
      });
      await managedClusters.update(db, row.id_key, updated, nowIso());
      const kube = await getKubeClusterByManagedCluster(db, row.id_key);
      const data: ClusterOpData = {
        idKey: row.id_key,
        id: current.id,
        name: current.name,
        resourceGroup: parseResourceId(current.id)!.resourceGroup,
        subscriptionId: row.subscription_key,
        clusterId: kube?.cluster_id ?? randomUUID().replace(/-/g, ''),
        spec,
      };
      const op = await engine.begin({ kind: UPDATE_CLUSTER, resourceId: current.id, subscriptionId: row.subscription_key, step: 'policy', data });
      return sendAccepted(request, reply, op, { namespace: CONTAINER_SERVICE, location: spec.location, statusCode: 200, body: updated });
    }

    app.delete(one, { config: { access: 'write' }, schema: { params: ClusterParams } }, async (request, reply) => {
      const { subscriptionId, resourceGroupName, resourceName } = request.params;
      const id = resourceId(subscriptionId, resourceGroupName, CONTAINER_SERVICE, [['managedClusters', resourceName]]);
      const cluster = await managedClusters.get(db, idKey(id));
      if (!cluster) {
        await requireResourceGroup(db, subscriptionId, resourceGroupName);
        return reply.code(204).send();
      }
      const { row, body } = cluster;
      const active = await engine.active(body.id);
      if (active?.kind === DELETE_CLUSTER) {
        return sendAccepted(request, reply, active, { namespace: CONTAINER_SERVICE, location: body.location, statusCode: 202, withLocation: true });
      }
      if (active)
        throw new ArmError(
          409,
          'OperationNotAllowed',
          `Operation is not allowed because there's an operation in progress on managed cluster '${body.name}'. Retry when it has finished.`,
        );
      body.properties.provisioningState = 'Deleting';
      await managedClusters.update(db, row.id_key, body, nowIso());
      const op = await engine.begin({
        kind: DELETE_CLUSTER,
        resourceId: body.id,
        subscriptionId,
        step: 'deprovision',
        data: { idKey: row.id_key, id: body.id },
      });
      return sendAccepted(request, reply, op, { namespace: CONTAINER_SERVICE, location: body.location, statusCode: 202, withLocation: true });
    });

    async function credentials(
      request: FastifyRequest,
      params: { subscriptionId: string; resourceGroupName: string; resourceName: string },
      role: CredentialRole,
    ) {
      const { row, body } = await load(params);
      const kube = await getKubeClusterByManagedCluster(db, row.id_key);
      if (!kube) {
        throw new ArmError(
          409,
          'OperationNotAllowed',
          `The managed cluster '${body.name}' has no API server yet (provisioningState ${body.properties.provisioningState}); retry when it is Succeeded.`,
        );
      }
      const config = kubeconfig({
        clusterName: body.name,
        resourceGroup: parseResourceId(body.id)!.resourceGroup,
        server: `${baseUrl(request)}/clusters/${kube.cluster_id}`,
        caPem: options.caPem,
        role,
        token: clusterToken(options.box, kube.cluster_id, role),
      });
      return { kubeconfigs: [{ name: role === 'admin' ? 'clusterAdmin' : 'clusterUser', value: Buffer.from(config).toString('base64') }] };
    }

    app.post(
      `${one}/listClusterAdminCredential`,
      { config: { access: 'write' }, schema: { params: ClusterParams, response: { 200: CredentialResults } } },
      async (request) => credentials(request, request.params, 'admin'),
    );
    app.post(
      `${one}/listClusterUserCredential`,
      { config: { access: 'write' }, schema: { params: ClusterParams, response: { 200: CredentialResults } } },
      async (request) => credentials(request, request.params, 'user'),
    );
  };
}

/** A PUT of an existing cluster keeps what it omits: AKS treats these as unchanged. */
function withExistingDefaults(put: ManagedClusterPut, current: ManagedClusterBody): ManagedClusterPut {
  const p = current.properties;
  const pool = p.agentPoolProfiles[0];
  return {
    ...put,
    sku: { ...current.sku, ...put.sku },
    properties: {
      ...put.properties,
      kubernetesVersion: put.properties.kubernetesVersion ?? p.currentKubernetesVersion,
      dnsPrefix: put.properties.dnsPrefix ?? p.dnsPrefix,
      supportPlan: put.properties.supportPlan ?? p.supportPlan,
      agentPoolProfiles: (put.properties.agentPoolProfiles ?? [{ name: pool.name }]).map((a, i) =>
        i === 0
          ? { ...a, count: a.count ?? pool.count, vmSize: a.vmSize ?? pool.vmSize, vnetSubnetID: a.vnetSubnetID ?? (pool.vnetSubnetID as string | undefined) }
          : a,
      ),
      networkProfile: { ...p.networkProfile, ...put.properties.networkProfile } as ManagedClusterPut['properties']['networkProfile'],
      apiServerAccessProfile: put.properties.apiServerAccessProfile ?? p.apiServerAccessProfile,
    },
  };
}

/** What an update may not change. */
function updateProblems(current: ManagedClusterBody, spec: ManagedClusterSpec): ArmErrorDetail[] {
  const problems: ArmErrorDetail[] = [];
  const p = current.properties;
  const pool = p.agentPoolProfiles[0];
  const immutable = (target: string, what: string, before: unknown, after: unknown) => {
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      problems.push({
        code: 'PropertyChangeNotAllowed',
        target,
        message: `Changing property '${what}' is not allowed (from ${JSON.stringify(before)} to ${JSON.stringify(after)}). Create a new cluster (or, for the VM size, a new node pool) instead.`,
      });
    }
  };
  immutable('properties.agentPoolProfiles[0].vmSize', 'vmSize', pool.vmSize, spec.pool.vmSize);
  immutable('properties.agentPoolProfiles[0].name', 'name', pool.name, spec.pool.name);
  immutable('properties.dnsPrefix', 'dnsPrefix', p.dnsPrefix, spec.dnsPrefix);
  immutable('location', 'location', current.location, spec.location);
  immutable('properties.networkProfile', 'networkProfile.serviceCidr', p.networkProfile.serviceCidr, spec.network.serviceCidr);
  immutable('properties.networkProfile', 'networkProfile.dnsServiceIP', p.networkProfile.dnsServiceIP, spec.network.dnsServiceIP);
  immutable(
    'properties.apiServerAccessProfile.enablePrivateCluster',
    'enablePrivateCluster',
    p.apiServerAccessProfile?.enablePrivateCluster ?? false,
    spec.privateCluster,
  );
  if (spec.kubernetesVersion !== p.currentKubernetesVersion) {
    const upgrades = resolveKubernetesVersion(current.location, p.currentKubernetesVersion)?.upgrades ?? [];
    if (!upgrades.includes(spec.kubernetesVersion)) {
      problems.push({
        code: 'UpgradeNotAllowed',
        target: 'properties.kubernetesVersion',
        message: `Kubernetes ${p.currentKubernetesVersion} cannot change to ${spec.kubernetesVersion}. Available upgrades: ${upgrades.join(', ') || 'none'}.`,
      });
    }
  }
  return problems;
}
