import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError, idKey } from '@berth/arm';
import { deleteResourceTree } from '@berth/store';
import { PermissionList, RoleAssignment, RoleAssignmentList, RoleAssignmentName, RoleAssignmentPut, RoleDefinition, RoleDefinitionList } from '@berth/shapes';
import { requireApiVersion } from '../plugins/api-version.js';
import { roles, scopeContains, type Role } from '../roles.js';
import {
  allRoleAssignments,
  AUTHORIZATION_NAMESPACE,
  createRoleAssignment,
  invalidRoleDefinition,
  roleAssignmentId,
  roleAssignments,
  roleDefinition,
  roleOfDefinitionId,
  roleOfGuid,
} from '../role-assignments-store.js';
import { parseScope, type ParsedScope } from '@berth/arm';
import { invalidScope } from '../scopes.js';
import { permissionsAt } from '../permissions.js';

/** 2015-07-01 is the oldest version az and the SDKs still send for roleDefinitions; @azure/arm-authorization 9 sends 2022-04-01. */
const MINIMUM_API_VERSION = '2015-07-01';

const Segment = Type.String({ minLength: 1, maxLength: 260 });

/** The scopes a role assignment can sit at, as route prefixes, with the params each adds. */
const scopeRoutes = [
  { prefix: '/subscriptions/:subscriptionId', params: { subscriptionId: Segment } },
  {
    prefix: '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName',
    params: { subscriptionId: Segment, resourceGroupName: Segment },
  },
  {
    prefix: '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/:resourceProviderNamespace/:resourceType/:resourceName',
    params: { subscriptionId: Segment, resourceGroupName: Segment, resourceProviderNamespace: Segment, resourceType: Segment, resourceName: Segment },
  },
  {
    prefix:
      '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/:resourceProviderNamespace/:resourceType/:resourceName/:childResourceType/:childResourceName',
    params: {
      subscriptionId: Segment,
      resourceGroupName: Segment,
      resourceProviderNamespace: Segment,
      resourceType: Segment,
      resourceName: Segment,
      childResourceType: Segment,
      childResourceName: Segment,
    },
  },
] as const;

interface ScopeParams {
  subscriptionId: string;
  resourceGroupName?: string;
  resourceProviderNamespace?: string;
  resourceType?: string;
  resourceName?: string;
  childResourceType?: string;
  childResourceName?: string;
}

/** The scope a route's params name; a param holding a `/` (sent as %2F) is no scope at all. */
function scopeOfParams(p: ScopeParams): ParsedScope {
  const parts = [
    'subscriptions',
    p.subscriptionId,
    ...(p.resourceGroupName !== undefined ? ['resourceGroups', p.resourceGroupName] : []),
    ...(p.resourceProviderNamespace !== undefined ? ['providers', p.resourceProviderNamespace, p.resourceType!, p.resourceName!] : []),
    ...(p.childResourceType !== undefined ? [p.childResourceType, p.childResourceName!] : []),
  ];
  const scope = `/${parts.join('/')}`;
  const parsed = parts.some((part) => part.includes('/')) ? undefined : parseScope(scope);
  if (!parsed || parsed.path.length !== parts.length) throw invalidScope(scope);
  return parsed;
}

/** `$filter` clauses ARM accepts on role assignment lists: `atScope()`, `principalId eq '{id}'`, `assignedTo('{id}')`, joined by `and`. */
function assignmentFilter(request: FastifyRequest): { atScope: boolean; principalId?: string } {
  const raw = (request.query as Record<string, unknown>)['$filter'];
  const out: { atScope: boolean; principalId?: string } = { atScope: false };
  if (raw === undefined || raw === '') return out;
  for (const clause of String(raw).split(/\s+and\s+/i)) {
    const c = clause.trim();
    let m: RegExpExecArray | null;
    if (/^atScope\(\)$/i.test(c)) out.atScope = true;
    else if ((m = /^principalId\s+eq\s+'([^']{1,64})'$/i.exec(c)) || (m = /^assignedTo\('([^']{1,64})'\)$/i.exec(c))) out.principalId = m[1].toLowerCase();
    else {
      throw new ArmError(
        400,
        'UnsupportedQuery',
        `The filter '${String(raw).slice(0, 200)}' is not supported. Use atScope(), principalId eq '{id}' or assignedTo('{id}'), joined by 'and'.`,
      );
    }
  }
  return out;
}

/** `$filter` on role definitions: `roleName eq '{name}'` and `type eq 'BuiltInRole'`. */
function definitionFilter(request: FastifyRequest): (role: Role) => boolean {
  const raw = (request.query as Record<string, unknown>)['$filter'];
  if (raw === undefined || raw === '') return () => true;
  const tests: Array<(role: Role) => boolean> = [];
  for (const clause of String(raw).split(/\s+and\s+/i)) {
    let m: RegExpExecArray | null;
    if ((m = /^roleName\s+eq\s+'([^']{0,200})'$/i.exec(clause.trim()))) {
      const name = m[1].toLowerCase();
      tests.push((role) => role.toLowerCase() === name);
    } else if ((m = /^type\s+eq\s+'([^']{0,200})'$/i.exec(clause.trim()))) {
      const type = m[1].toLowerCase();
      tests.push(() => type === 'builtinrole');
    } else {
      throw new ArmError(
        400,
        'UnsupportedQuery',
        `The filter '${String(raw).slice(0, 200)}' is not supported. Use roleName eq '{name}' or type eq 'BuiltInRole'.`,
      );
    }
  }
  return (role) => tests.every((t) => t(role));
}

const notFound = (name: string) => new ArmError(404, 'RoleAssignmentNotFound', `The role assignment '${name.slice(0, 64)}' is not found.`);

/**
 * ARM role assignments and the built-in role definitions (Owner, Contributor, Reader) at subscription,
 * resource group and resource scope. Reading needs a role at the scope; creating and deleting, Owner.
 * The caller's own permissions at a resource group or resource: anyone signed in.
 */
export async function roleAssignmentRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.berth;
  app.addHook('onRequest', requireApiVersion({ minimum: MINIMUM_API_VERSION, what: `${AUTHORIZATION_NAMESPACE}/roleAssignments` }));

  for (const { prefix, params } of scopeRoutes) {
    const assignments = `${prefix}/providers/${AUTHORIZATION_NAMESPACE}/roleAssignments`;
    const definitions = `${prefix}/providers/${AUTHORIZATION_NAMESPACE}/roleDefinitions`;
    const ScopeParams = Type.Object(params);
    const OneParams = Type.Object({ ...params, roleAssignmentName: RoleAssignmentName });

    app.get(assignments, { config: { access: 'read' }, schema: { params: ScopeParams, response: { 200: RoleAssignmentList } } }, async (request) => {
      const scope = scopeOfParams(request.params as ScopeParams);
      const filter = assignmentFilter(request);
      const value = (await allRoleAssignments(db, scope.subscriptionId)).filter((a) => {
        const at = parseScope(a.properties.scope)?.path;
        if (!at) return false;
        if (filter.principalId !== undefined && a.properties.principalId.toLowerCase() !== filter.principalId) return false;
        if (filter.atScope) return scopeContains(at, scope.path);
        if (filter.principalId !== undefined) return scopeContains(at, scope.path) || scopeContains(scope.path, at);
        return scopeContains(scope.path, at);
      });
      return { value };
    });

    app.get(
      `${assignments}/:roleAssignmentName`,
      { config: { access: 'read' }, schema: { params: OneParams, response: { 200: RoleAssignment } } },
      async (request) => {
        const scope = scopeOfParams(request.params as ScopeParams);
        const found = await roleAssignments.getStoredJson(db, idKey(roleAssignmentId(scope.canonical, request.params.roleAssignmentName)));
        if (found === undefined) throw notFound(request.params.roleAssignmentName);
        return JSON.parse(found) as RoleAssignment;
      },
    );

    app.put(
      `${assignments}/:roleAssignmentName`,
      { config: { access: 'owner' }, schema: { params: OneParams, body: RoleAssignmentPut, response: { 200: RoleAssignment, 201: RoleAssignment } } },
      async (request, reply) => {
        const scope = scopeOfParams(request.params as ScopeParams);
        const props = request.body.properties;
        const role = roleOfDefinitionId(props.roleDefinitionId);
        if (!role) throw invalidRoleDefinition(props.roleDefinitionId);
        const principal = request.principal!;
        const { body, created } = await createRoleAssignment(db, {
          scope,
          name: request.params.roleAssignmentName,
          role,
          principalId: props.principalId,
          description: props.description,
          by: principal.principalId ?? principal.name,
        });
        return reply.code(created ? 201 : 200).send(body);
      },
    );

    app.delete(
      `${assignments}/:roleAssignmentName`,
      { config: { access: 'owner' }, schema: { params: OneParams, response: { 200: RoleAssignment, 204: Type.Null() } } },
      async (request, reply) => {
        const scope = scopeOfParams(request.params as ScopeParams);
        const key = idKey(roleAssignmentId(scope.canonical, request.params.roleAssignmentName));
        const found = await roleAssignments.get(db, key);
        if (!found) return reply.code(204).send(null);
        await deleteResourceTree(db, key);
        return reply.code(200).send(found.body);
      },
    );

    app.get(definitions, { config: { access: 'read' }, schema: { params: ScopeParams, response: { 200: RoleDefinitionList } } }, async (request) => {
      const scope = scopeOfParams(request.params as ScopeParams);
      const wanted = definitionFilter(request);
      return { value: roles.filter(wanted).map((role) => roleDefinition(scope.canonical, role)) };
    });

    app.get(
      `${definitions}/:roleDefinitionId`,
      { config: { access: 'read' }, schema: { params: Type.Object({ ...params, roleDefinitionId: Segment }), response: { 200: RoleDefinition } } },
      async (request) => {
        const scope = scopeOfParams(request.params as ScopeParams);
        const role = roleOfGuid(request.params.roleDefinitionId);
        if (!role) {
          throw new ArmError(
            404,
            'RoleDefinitionDoesNotExist',
            `The specified role definition with ID '${request.params.roleDefinitionId.slice(0, 64)}' does not exist.`,
          );
        }
        return roleDefinition(scope.canonical, role);
      },
    );

    // ARM lists permissions at resource group and resource scope. Each caller sees only its own, computed from
    // its grants and nothing stored, so anyone signed in may ask, and the answer says nothing of whether the scope exists.
    if (prefix !== scopeRoutes[0].prefix) {
      app.get(
        `${prefix}/providers/${AUTHORIZATION_NAMESPACE}/permissions`,
        { config: { access: 'signed-in' }, schema: { params: ScopeParams, response: { 200: PermissionList } } },
        async (request) => ({ value: permissionsAt(request.principal!, scopeOfParams(request.params as ScopeParams).path) }),
      );
    }
  }

  // The built-in definitions are the same everywhere: readable at the root by anyone signed in.
  app.get(
    `/providers/${AUTHORIZATION_NAMESPACE}/roleDefinitions`,
    { config: { access: 'signed-in' }, schema: { response: { 200: RoleDefinitionList } } },
    async (request) => {
      const wanted = definitionFilter(request);
      return { value: roles.filter(wanted).map((role) => roleDefinition('', role)) };
    },
  );
  app.get(
    `/providers/${AUTHORIZATION_NAMESPACE}/roleDefinitions/:roleDefinitionId`,
    { config: { access: 'signed-in' }, schema: { params: Type.Object({ roleDefinitionId: Segment }), response: { 200: RoleDefinition } } },
    async (request) => {
      const role = roleOfGuid(request.params.roleDefinitionId);
      if (!role)
        throw new ArmError(
          404,
          'RoleDefinitionDoesNotExist',
          `The specified role definition with ID '${request.params.roleDefinitionId.slice(0, 64)}' does not exist.`,
        );
      return roleDefinition('', role);
    },
  );
}
