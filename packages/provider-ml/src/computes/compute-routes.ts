import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError, idKey, parseResourceId, resourceId, validationFailed, type ArmErrorDetail } from '@berth/arm';
import { getResource, isUniqueViolation, type Db, type OperationRow, type ResourceRow } from '@berth/store';
import { nowIso, operationUrls, page, pageOf, requireApiVersion, sendAccepted } from '@berth/front-door';
import { loadClientNode } from '@berth/installer';
import { findVmSize } from '@berth/catalog';
import {
  checkComputePut,
  checkTls,
  clusterActions,
  comparableSpec,
  computeNameProblem,
  isManagedClusterId,
  provisioningInProgress,
  purposeProblems,
  tlsWithInternalLoadBalancer,
  type ComputeSpec,
} from '@berth/compute-rules';
import { AksComputeSecrets, ComputeBody, ComputeList, ComputeNodeList, ComputePatch, ComputePut, type SslConfiguration, type Workspace } from '@berth/shapes';
import { ML_API_VERSIONS } from '../workspaces/workspace-routes.js';
import { COMPUTE_TYPE, computes, NAMESPACE, workspaces } from '../repositories.js';
import { attachProblems } from './attach-checks.js';
import { computeActions, requireLinkedAccess } from './linked-authorization.js';
import { alreadyAttached, attachedCompute, claimCluster, claimLeafDomain } from './compute-markers.js';
import {
  ATTACH_COMPUTE,
  autoTlsHost,
  CREATE_COMPUTE,
  DELETE_COMPUTE,
  saveCompute,
  UPDATE_COMPUTE,
  type ComputeOpData,
  type ComputeRuntime,
} from './compute-operations.js';

const WorkspaceParams = Type.Object({ subscriptionId: Type.String(), resourceGroupName: Type.String(), workspaceName: Type.String() });
const ComputeParams = Type.Object({
  subscriptionId: Type.String(),
  resourceGroupName: Type.String(),
  workspaceName: Type.String(),
  computeName: Type.String(),
});
type Params = { subscriptionId: string; resourceGroupName: string; workspaceName: string; computeName: string };

export interface ComputeRouteOptions {
  runtime: ComputeRuntime;
  /** Addresses Berth's control plane calls clusters from (R10). */
  controlPlaneAddresses: string[];
}

/**
 * How often a PUT's transaction runs when it loses a race for a unique marker
 * (PostgreSQL aborts a transaction at its first unique violation, so the whole
 * transaction is retried; the retry reads what the winner committed).
 */
const CLAIM_ATTEMPTS = 3;

/** ARM's `Warning` header, one entry per warning (RFC 7234 code 299). */
function warn(reply: FastifyReply, warnings: string[]): void {
  if (warnings.length > 0) reply.header('Warning', warnings.map((w) => `299 - "${w.replace(/"/g, "'")}"`).join(', '));
}

function failIfProblems(problems: ArmErrorDetail[]): void {
  if (problems.length === 0) return;
  throw validationFailed(problems.length === 1 ? problems[0].code : 'ComputeValidationFailed', problems);
}

/** `.../workspaces/{ws}/computes`: AKS inference clusters, created or attached (R1–R13). */
export function computeRoutes(options: ComputeRouteOptions) {
  const { runtime } = options;
  return async function routes(parent: FastifyInstance): Promise<void> {
    const app = parent.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireApiVersion({ versions: ML_API_VERSIONS, what: NAMESPACE }));
    const { db, engine } = app.berth;
    const wsBase = `/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${NAMESPACE}/workspaces/:workspaceName`;
    const one = `${wsBase}/computes/:computeName`;

    async function workspaceOf(p: { subscriptionId: string; resourceGroupName: string; workspaceName: string }): Promise<Workspace> {
      const found = await workspaces.get(db, idKey(resourceId(p.subscriptionId, p.resourceGroupName, NAMESPACE, [['workspaces', p.workspaceName]])));
      if (!found)
        throw new ArmError(404, 'ResourceNotFound', `The workspace '${p.workspaceName}' under resource group '${p.resourceGroupName}' was not found.`);
      const ws = found.body;
      if (ws.properties.provisioningState === 'Deleting')
        throw new ArmError(409, 'WorkspaceBeingDeleted', `The workspace '${p.workspaceName}' is being deleted.`);
      return ws;
    }

    async function computeRow(p: Params): Promise<{ row: ResourceRow; body: ComputeBody }> {
      const ws = await workspaceOf(p);
      const compute = await computes.get(db, idKey(`${ws.id}/computes/${p.computeName}`));
      if (!compute)
        throw new ArmError(
          404,
          'ComputeNotFound',
          `No compute '${p.computeName}' in workspace '${p.workspaceName}'. List them with \`berth ml computetarget list -w ${p.workspaceName}\`.`,
        );
      return compute;
    }

    app.get(`${wsBase}/computes`, { config: { access: 'read' }, schema: { params: WorkspaceParams, response: { 200: ComputeList } } }, async (request) => {
      const ws = await workspaceOf(request.params);
      const { after, limit } = pageOf(request);
      const found = await computes.list(db, { parentKey: idKey(ws.id) }, { after, limit });
      return page(
        request,
        found.map((c) => c.body),
        found.map((c) => c.row.id_key),
        limit,
      );
    });

    app.get(one, { config: { access: 'read' }, schema: { params: ComputeParams, response: { 200: ComputeBody } } }, async (request, reply) => {
      const { row, body } = await computeRow(request.params);
      // A compute being changed names its operation, so a client that opens it mid-way can follow its steps.
      if (provisioningInProgress(body.properties.provisioningState)) {
        const active = await engine.active(body.id);
        if (active) reply.header('Azure-AsyncOperation', operationUrls(request, active, NAMESPACE, body.location).status);
      }
      // Stored through the compute schema, so the stored bytes are the response.
      return reply.type('application/json; charset=utf-8').send(row.body as unknown as ComputeBody);
    });

    app.put(
      one,
      { config: { access: 'write' }, schema: { params: ComputeParams, body: ComputePut, response: { 200: ComputeBody, 201: ComputeBody } } },
      async (request, reply) => {
        const params = request.params;
        const nameProblem = computeNameProblem(params.computeName);
        const ws = await workspaceOf(params);
        const id = `${ws.id}/computes/${params.computeName}`;
        const check = checkComputePut(request.body, ws.location);
        // A created compute's cluster lives in the workspace's group, under a name derived from the compute's id.
        const clusterId =
          check.spec.mode === 'attach'
            ? check.spec.resourceId
            : resourceId(params.subscriptionId, parseResourceId(ws.id)!.resourceGroup, 'Microsoft.ContainerService', [
                ['managedClusters', `${params.computeName}-${createHash('sha256').update(idKey(id)).digest('hex').slice(0, 13)}`],
              ]);
        // Before anything about the cluster is read (whether it exists, who holds it); an id that is none gets its 400 below.
        if (clusterId && isManagedClusterId(clusterId)) {
          requireLinkedAccess(request.principal, {
            action: computeActions.write,
            computeId: id,
            clusterId,
            clusterAction: check.spec.mode === 'attach' ? clusterActions.credentials : clusterActions.write,
          });
        }
        if (!nameProblem) {
          const existing = await getResource(db, idKey(id));
          if (existing) return answerExisting(request, reply, existing, check.spec);
        }
        const problems = [...(nameProblem ? [nameProblem] : []), ...check.problems];
        let attachedCluster: Awaited<ReturnType<typeof attachProblems>>['cluster'];
        const warnings = [...check.warnings];
        if (check.spec.mode === 'attach' && !problems.some((p) => p.code === 'InvalidResourceId')) {
          const holder = await attachedCompute(db, id, check.spec.resourceId!);
          if (holder) throw alreadyAttached(check.spec.resourceId!, holder);
          const attach = await attachProblems(runtime.cloud, check.spec, params.subscriptionId, options.controlPlaneAddresses);
          problems.push(...attach.problems);
          warnings.push(...attach.warnings);
          attachedCluster = attach.cluster;
        }
        failIfProblems(problems);

        const spec = check.spec;
        const now = nowIso();
        const location = spec.mode === 'attach' ? attachedCluster!.location : spec.location;
        const pools = attachedCluster?.agentPoolProfiles ?? [];
        const body: ComputeBody = {
          id,
          name: params.computeName,
          type: COMPUTE_TYPE,
          location: ws.location,
          ...(request.body.tags ? { tags: request.body.tags } : {}),
          systemData: {
            createdBy: request.principal?.name ?? 'unknown',
            createdByType: 'User',
            createdAt: now,
            lastModifiedBy: request.principal?.name ?? 'unknown',
            lastModifiedByType: 'User',
            lastModifiedAt: now,
          },
          properties: {
            computeType: 'AKS',
            computeLocation: location,
            description: spec.description,
            resourceId: clusterId!,
            provisioningState: 'Creating',
            provisioningErrors: null,
            isAttachedCompute: spec.mode === 'attach',
            createdOn: now,
            modifiedOn: now,
            disableLocalAuth: false,
            properties: {
              agentCount: spec.mode === 'attach' ? pools.reduce((n, p) => n + (p.count ?? 0), 0) : spec.agentCount,
              agentVmSize: spec.mode === 'attach' ? (pools[0]?.vmSize ?? '') : spec.agentVmSize,
              clusterPurpose: spec.clusterPurpose,
              clusterFqdn: null,
              systemServices: [],
              sslConfiguration: publicSsl(spec.ssl),
              ...(spec.networking ? { aksNetworkingConfiguration: spec.networking } : {}),
              loadBalancerType: spec.loadBalancerType,
              ...(spec.loadBalancerSubnet ? { loadBalancerSubnet: spec.loadBalancerSubnet } : {}),
            },
          },
        };
        const parts = parseResourceId(clusterId!)!;
        const data: ComputeOpData = { idKey: idKey(id), subscriptionId: params.subscriptionId, clusterGroup: parts.resourceGroup, clusterName: parts.names[0] };
        let op: OperationRow;
        for (let attempt = 1; ; attempt++) {
          try {
            // The compute and its operation are stored together: a crash leaves both (resumed at start) or neither.
            op = await db.transaction().execute(async (trx) => {
              await computes.insert(trx, { id, parentId: ws.id, body, now });
              await runtime.secrets.put(idKey(id), 'request', comparableSpec(spec), trx);
              await claimCluster(trx, id, clusterId!, now);
              await storeTls(trx, id, spec.ssl, location, now);
              return engine.begin(
                {
                  kind: spec.mode === 'attach' ? ATTACH_COMPUTE : CREATE_COMPUTE,
                  resourceId: id,
                  subscriptionId: params.subscriptionId,
                  step: spec.mode === 'attach' ? 'fetch-credentials' : 'create-cluster',
                  data,
                },
                trx,
              );
            });
            break;
          } catch (err) {
            if (!isUniqueViolation(err) || attempt === CLAIM_ATTEMPTS) throw err;
            // A concurrent PUT of the same name won: answer as a repeat of it.
            const winner = await getResource(db, idKey(id));
            if (winner) return answerExisting(request, reply, winner, spec);
            // Another compute won the cluster or the leaf domain label: the next attempt finds it taken and says so.
          }
        }
        engine.kick();
        warn(reply, warnings);
        return sendAccepted(request, reply, op, { namespace: NAMESPACE, location: ws.location, statusCode: 201, body });
      },
    );

    /** TLS material goes to the encrypted store; an `Auto` compute claims its leaf domain label and host name. */
    async function storeTls(trx: Db, id: string, ssl: SslConfiguration, location: string, now: string): Promise<void> {
      if (ssl.status === 'Enabled') {
        await runtime.secrets.put(idKey(id), 'tlsCert', ssl.cert!, trx);
        await runtime.secrets.put(idKey(id), 'tlsKey', ssl.key!, trx);
      } else if (ssl.status === 'Auto') {
        const host = await claimLeafDomain(
          trx,
          id,
          ssl.leafDomainLabel!,
          location,
          ssl.overwriteExistingDomain ?? false,
          autoTlsHost(ssl.leafDomainLabel!, location, runtime.settings.cloudappZone),
          now,
        );
        await runtime.secrets.put(idKey(id), 'autoFqdn', host, trx);
      }
    }

    /** R5: repeating the exact spec of an existing compute answers 200 and changes nothing; any other spec is a 409. */
    async function answerExisting(request: FastifyRequest, reply: FastifyReply, row: ResourceRow, spec: ComputeSpec) {
      const stored = await runtime.secrets.get(row.id_key, 'request');
      const body = computes.codec.parse(row.body);
      if (stored !== comparableSpec(spec)) {
        throw new ArmError(
          409,
          'ComputeAlreadyExists',
          `A compute named '${body.name}' already exists in this workspace with a different configuration. Use PATCH (berth ml computetarget update / scale) to change it, or choose another name.`,
        );
      }
      const active = await engine.active(body.id);
      if (active) reply.header('Azure-AsyncOperation', operationUrls(request, active, NAMESPACE, body.location).status);
      return reply
        .code(200)
        .type('application/json; charset=utf-8')
        .send(row.body as unknown as ComputeBody);
    }

    app.patch(
      one,
      { config: { access: 'write' }, schema: { params: ComputeParams, body: ComputePatch, response: { 200: ComputeBody } } },
      async (request, reply) => {
        const { row, body } = await computeRow(request.params);
        const change = request.body.properties.properties ?? {};
        const p = body.properties.properties;
        const count = change.agentCount ?? change.scaleSettings?.maxNodeCount;
        const scaleTo = count !== undefined && count !== p.agentCount ? count : undefined;
        requireLinkedAccess(request.principal, {
          action: computeActions.write,
          computeId: body.id,
          clusterId: body.properties.resourceId,
          clusterAction: scaleTo !== undefined ? clusterActions.write : clusterActions.credentials,
        });
        const active = await engine.active(body.id);
        if (active)
          throw new ArmError(
            409,
            'OperationInProgress',
            `The compute '${body.name}' is ${body.properties.provisioningState.toLowerCase()}; wait for that operation to finish, then retry.`,
          );
        const problems: ArmErrorDetail[] = [];
        const T = 'properties.properties';
        if (change.agentVmSize !== undefined && change.agentVmSize.toLowerCase() !== p.agentVmSize.toLowerCase()) {
          problems.push({
            code: 'VmSizeChangeNotAllowed',
            target: `${T}.agentVmSize`,
            message: `The VM size of a cluster cannot change (R11): it is ${p.agentVmSize}. Create a new compute with the size you want.`,
          });
        }
        if (scaleTo !== undefined) {
          if (body.properties.isAttachedCompute) {
            const cluster = parseResourceId(body.properties.resourceId);
            problems.push({
              code: 'ScaleAttachedCluster',
              target: `${T}.agentCount`,
              message: `Berth scales the clusters it created; this one was attached. Scale it with \`berth aks scale -g ${cluster?.resourceGroup} -n ${cluster?.names[0]} --node-count ${scaleTo}\`.`,
            });
          } else if (!findVmSize(p.agentVmSize)) {
            problems.push({ code: 'InvalidVmSize', target: `${T}.agentVmSize`, message: `Unknown VM size ${p.agentVmSize}.` });
          } else {
            problems.push(...purposeProblems(p.clusterPurpose, [{ count: scaleTo, vmSize: p.agentVmSize }], `${T}.agentCount`).problems);
          }
        }
        const loadBalancerType = change.loadBalancerType ?? p.loadBalancerType;
        const loadBalancerSubnet =
          change.loadBalancerSubnet === null
            ? undefined
            : (change.loadBalancerSubnet ?? (change.loadBalancerType === 'PublicIp' ? undefined : p.loadBalancerSubnet));
        const sslChange = change.sslConfiguration !== undefined;
        const ssl: SslConfiguration = sslChange
          ? { status: 'Disabled', ...Object.fromEntries(Object.entries(change.sslConfiguration!).filter(([, v]) => v !== null && v !== undefined)) }
          : p.sslConfiguration;
        const tls = sslChange ? checkTls(ssl, loadBalancerType, `${T}.sslConfiguration`) : { problems: [], warnings: [] };
        problems.push(...tls.problems);
        if (!sslChange && p.sslConfiguration.status !== 'Disabled' && loadBalancerType === 'InternalLoadBalancer') {
          problems.push(tlsWithInternalLoadBalancer(`${T}.loadBalancerType`));
        }
        if (loadBalancerSubnet && loadBalancerType !== 'InternalLoadBalancer') {
          problems.push({
            code: 'SubnetWithoutInternalLoadBalancer',
            target: `${T}.loadBalancerSubnet`,
            message: 'loadBalancerSubnet applies to an internal load balancer: set loadBalancerType to InternalLoadBalancer too.',
          });
        }
        failIfProblems(problems);

        const installChanges = sslChange || loadBalancerType !== p.loadBalancerType || loadBalancerSubnet !== p.loadBalancerSubnet;
        const now = nowIso();
        const update = () =>
          db.transaction().execute(async (trx) => {
            if (sslChange) await storeTls(trx, body.id, ssl, body.properties.computeLocation, now);
            return saveCompute(trx, row.id_key, (b) => {
              if (request.body.properties.description !== undefined) b.properties.description = request.body.properties.description;
              b.properties.properties.loadBalancerType = loadBalancerType;
              if (loadBalancerSubnet) b.properties.properties.loadBalancerSubnet = loadBalancerSubnet;
              else delete b.properties.properties.loadBalancerSubnet;
              if (sslChange) b.properties.properties.sslConfiguration = publicSsl(ssl);
              if (installChanges || scaleTo !== undefined) b.properties.provisioningState = 'Updating';
              b.systemData.lastModifiedBy = request.principal?.name ?? 'unknown';
              b.systemData.lastModifiedAt = now;
            });
          });
        // A lost race for a new leaf domain label fails the transaction; the retry finds the label taken.
        const updated = await update().catch((err: unknown) => {
          if (!isUniqueViolation(err)) throw err;
          return update();
        });
        if (!updated) throw new ArmError(404, 'ComputeNotFound', `The compute '${body.name}' was deleted while it was being updated.`);
        warn(reply, tls.warnings);
        if (!installChanges && scaleTo === undefined) return reply.code(200).send(updated);
        const parts = parseResourceId(body.properties.resourceId)!;
        const data: ComputeOpData = {
          idKey: row.id_key,
          subscriptionId: request.params.subscriptionId,
          clusterGroup: parts.resourceGroup,
          clusterName: parts.names[0],
          ...(scaleTo ? { scaleTo } : {}),
        };
        const op = await engine.begin({
          kind: UPDATE_COMPUTE,
          resourceId: body.id,
          subscriptionId: request.params.subscriptionId,
          step: scaleTo ? 'scale-cluster' : 'install',
          data,
        });
        return sendAccepted(request, reply, op, { namespace: NAMESPACE, location: body.location, statusCode: 200, body: updated });
      },
    );

    app.delete(one, { config: { access: 'write' }, schema: { params: ComputeParams } }, async (request, reply) => {
      const action = (request.query as Record<string, string | undefined>).underlyingResourceAction;
      if (action !== 'Detach' && action !== 'Delete') {
        throw new ArmError(
          400,
          action === undefined ? 'MissingUnderlyingResourceAction' : 'InvalidUnderlyingResourceAction',
          `underlyingResourceAction is required and must be Detach (keep the cluster, remove what Berth installed) or Delete (also delete a cluster the workspace created)${action === undefined ? '' : `, not '${action}'`}.`,
        );
      }
      const ws = await workspaceOf(request.params);
      const compute = await computes.get(db, idKey(`${ws.id}/computes/${request.params.computeName}`));
      if (!compute) return reply.code(204).send();
      const { row, body } = compute;
      requireLinkedAccess(request.principal, {
        action: computeActions.delete,
        computeId: body.id,
        clusterId: body.properties.resourceId,
        clusterAction: action === 'Delete' ? clusterActions.delete : clusterActions.credentials,
      });
      if (action === 'Delete' && body.properties.isAttachedCompute) {
        throw new ArmError(
          400,
          'DeleteNotAllowedForAttachedCompute',
          `The compute '${body.name}' is an attached cluster, which Berth does not own: use underlyingResourceAction=Detach (the cluster stays), then delete the cluster itself if you mean to.`,
        );
      }
      const active = await engine.active(body.id);
      if (active?.kind === DELETE_COMPUTE)
        return sendAccepted(request, reply, active, { namespace: NAMESPACE, location: body.location, statusCode: 202, withLocation: true });
      if (active)
        throw new ArmError(
          409,
          'OperationInProgress',
          `The compute '${body.name}' is ${body.properties.provisioningState.toLowerCase()}; wait for that operation to finish, then retry.`,
        );
      await saveCompute(db, row.id_key, (b) => {
        b.properties.provisioningState = 'Deleting';
      });
      const parts = parseResourceId(body.properties.resourceId)!;
      const op = await engine.begin({
        kind: DELETE_COMPUTE,
        resourceId: body.id,
        subscriptionId: request.params.subscriptionId,
        step: 'uninstall',
        data: {
          idKey: row.id_key,
          subscriptionId: request.params.subscriptionId,
          clusterGroup: parts.resourceGroup,
          clusterName: parts.names[0],
          action,
        } satisfies ComputeOpData,
      });
      return sendAccepted(request, reply, op, { namespace: NAMESPACE, location: body.location, statusCode: 202, withLocation: true });
    });

    app.post(`${one}/listKeys`, { config: { access: 'write' }, schema: { params: ComputeParams, response: { 200: AksComputeSecrets } } }, async (request) => {
      const { row, body } = await computeRow(request.params);
      requireLinkedAccess(request.principal, {
        action: computeActions.listKeys,
        computeId: body.id,
        clusterId: body.properties.resourceId,
        clusterAction: clusterActions.credentials,
      });
      const [admin, user] = await Promise.all([runtime.secrets.get(row.id_key, 'adminKubeConfig'), runtime.secrets.get(row.id_key, 'userKubeConfig')]);
      if (!admin)
        throw new ArmError(
          409,
          'CredentialsNotAvailable',
          `The compute '${request.params.computeName}' has no cluster credentials yet; retry when its provisioningState is Succeeded.`,
        );
      return { computeType: 'AKS' as const, userKubeConfig: user ?? null, adminKubeConfig: admin, imagePullSecretName: null };
    });

    app.post(`${one}/listNodes`, { config: { access: 'write' }, schema: { params: ComputeParams, response: { 200: ComputeNodeList } } }, async (request) => {
      const { row, body } = await computeRow(request.params);
      requireLinkedAccess(request.principal, {
        action: computeActions.listNodes,
        computeId: body.id,
        clusterId: body.properties.resourceId,
        clusterAction: clusterActions.credentials,
      });
      const admin = await runtime.secrets.get(row.id_key, 'adminKubeConfig');
      if (!admin)
        throw new ArmError(
          409,
          'CredentialsNotAvailable',
          `The compute '${request.params.computeName}' has no cluster credentials yet; retry when its provisioningState is Succeeded.`,
        );
      const k8s = await loadClientNode();
      const kc = new k8s.KubeConfig();
      kc.loadFromString(admin);
      const nodes = await kc.makeApiClient(k8s.CoreV1Api).listNode();
      return {
        nodes: nodes.items.map((n) => ({
          nodeId: n.metadata?.name ?? '',
          privateIpAddress: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? null,
          publicIpAddress: n.status?.addresses?.find((a) => a.type === 'ExternalIP')?.address ?? null,
          port: 10250,
          nodeState: n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 'running' : 'unusable',
        })),
        nextLink: null,
      };
    });
  };
}

/** What a GET shows of the TLS settings: never the key; the certificate only as the user gave it. */
function publicSsl(ssl: SslConfiguration): ComputeBody['properties']['properties']['sslConfiguration'] {
  const status = (ssl.status ?? 'Disabled') as 'Disabled' | 'Enabled' | 'Auto';
  return {
    status,
    ...(status === 'Enabled' && ssl.cert ? { cert: ssl.cert } : {}),
    ...(status === 'Enabled' && ssl.cname ? { cname: ssl.cname } : {}),
    ...(status === 'Auto' && ssl.leafDomainLabel ? { leafDomainLabel: ssl.leafDomainLabel } : {}),
    ...(ssl.overwriteExistingDomain !== undefined ? { overwriteExistingDomain: ssl.overwriteExistingDomain } : {}),
  };
}
