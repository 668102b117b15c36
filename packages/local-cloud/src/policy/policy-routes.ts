import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError, idKey } from '@berth/arm';
import { deleteResourceTree, isUniqueViolation } from '@berth/store';
import { PolicyAssignment, PolicyAssignmentList, PolicyAssignmentName, PolicyAssignmentPut } from '@berth/shapes';
import { nowIso, page, pageOf, requireApiVersion } from '@berth/front-door';
import {
  NOT_ALLOWED_RESOURCE_TYPES,
  POLICY_ASSIGNMENT_MINIMUM_API_VERSION,
  POLICY_ASSIGNMENT_TYPE,
  policyAssignments,
  type PolicyAssignmentBody,
} from './policy-rules.js';

export const AUTHORIZATION = 'Microsoft.Authorization';

const Params = Type.Object({ subscriptionId: Type.String(), assignmentName: PolicyAssignmentName });

/** Subscription-scope policy assignments of the built-in "Not allowed resource types" definition. */
export async function policyRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', requireApiVersion({ minimum: POLICY_ASSIGNMENT_MINIMUM_API_VERSION, what: `${AUTHORIZATION}/policyAssignments` }));
  const { db } = app.berth;
  const base = `/subscriptions/:subscriptionId/providers/${AUTHORIZATION}/policyAssignments`;

  app.get(
    base,
    { config: { access: 'read' }, schema: { params: Type.Object({ subscriptionId: Type.String() }), response: { 200: PolicyAssignmentList } } },
    async (request) => {
      const { after, limit } = pageOf(request);
      const found = await policyAssignments.list(db, { subscriptionKey: request.params.subscriptionId.toLowerCase() }, { after, limit });
      return page(
        request,
        found.map((a) => a.body),
        found.map((a) => a.row.id_key),
        limit,
      );
    },
  );

  app.get(`${base}/:assignmentName`, { config: { access: 'read' }, schema: { params: Params, response: { 200: PolicyAssignment } } }, async (request) => {
    const found = await policyAssignments.get(
      db,
      idKey(`/subscriptions/${request.params.subscriptionId}/providers/${AUTHORIZATION}/policyAssignments/${request.params.assignmentName}`),
    );
    if (!found) throw new ArmError(404, 'PolicyAssignmentNotFound', `The policy assignment '${request.params.assignmentName}' is not found.`);
    return found.body;
  });

  app.put(
    `${base}/:assignmentName`,
    { config: { access: 'write' }, schema: { params: Params, body: PolicyAssignmentPut, response: { 200: PolicyAssignment, 201: PolicyAssignment } } },
    async (request, reply) => {
      const { subscriptionId, assignmentName } = request.params;
      const props = request.body.properties;
      if (props.policyDefinitionId.toLowerCase() !== NOT_ALLOWED_RESOURCE_TYPES.toLowerCase()) {
        throw new ArmError(
          404,
          'PolicyDefinitionNotFound',
          `The policy definition '${props.policyDefinitionId}' could not be found. The local cloud knows the built-in 'Not allowed resource types' (${NOT_ALLOWED_RESOURCE_TYPES}).`,
        );
      }
      const types = props.parameters?.listOfResourceTypesNotAllowed?.value;
      if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string' && /^[\w.]+\/[\w./]+$/.test(t))) {
        throw new ArmError(
          400,
          'InvalidPolicyParameters',
          'The policy \'Not allowed resource types\' needs the parameter listOfResourceTypesNotAllowed: {"value": ["Microsoft.Network/publicIPAddresses", ...]} (resource types as Namespace/type).',
        );
      }
      const id = `/subscriptions/${subscriptionId}/providers/${AUTHORIZATION}/policyAssignments/${assignmentName}`;
      const body: PolicyAssignmentBody = {
        id,
        name: assignmentName,
        type: POLICY_ASSIGNMENT_TYPE,
        properties: {
          ...(props.displayName ? { displayName: props.displayName } : {}),
          ...(props.description ? { description: props.description } : {}),
          policyDefinitionId: NOT_ALLOWED_RESOURCE_TYPES,
          scope: `/subscriptions/${subscriptionId}`,
          notScopes: props.notScopes ?? [],
          parameters: { listOfResourceTypesNotAllowed: { value: types as string[] } },
          enforcementMode: props.enforcementMode ?? 'Default',
        },
      };
      const now = nowIso();
      if (await policyAssignments.update(db, idKey(id), body, now)) {
        return reply.code(200).send(body);
      }
      try {
        await policyAssignments.insert(db, { id, parentId: `/subscriptions/${subscriptionId}`, body, now });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        await policyAssignments.update(db, idKey(id), body, now);
        return reply.code(200).send(body);
      }
      return reply.code(201).send(body);
    },
  );

  app.delete(
    `${base}/:assignmentName`,
    { config: { access: 'write' }, schema: { params: Params, response: { 200: PolicyAssignment, 204: Type.Null() } } },
    async (request, reply) => {
      const key = idKey(`/subscriptions/${request.params.subscriptionId}/providers/${AUTHORIZATION}/policyAssignments/${request.params.assignmentName}`);
      const found = await policyAssignments.get(db, key);
      if (!found) return reply.code(204).send(null);
      await deleteResourceTree(db, key);
      return reply.code(200).send(found.body);
    },
  );
}
