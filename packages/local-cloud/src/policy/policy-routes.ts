import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError, idKey } from '@berth/arm';
import { deleteResourceTree, getResource, insertResource, isUniqueViolation, listResources, updateResourceBody } from '@berth/store';
import { nowIso, page, pageOf, requireApiVersion } from '@berth/front-door';
import { NOT_ALLOWED_RESOURCE_TYPES, POLICY_ASSIGNMENT_TYPE, type PolicyAssignmentBody } from './policy-rules.js';

export const AUTHORIZATION = 'Microsoft.Authorization';

const Params = Type.Object({ subscriptionId: Type.String(), assignmentName: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^<>*%&:\\\\?.+/]+$' }) });
const Body = Type.Object({
  location: Type.Optional(Type.String()),
  properties: Type.Object({
    policyDefinitionId: Type.String({ minLength: 1 }),
    displayName: Type.Optional(Type.String({ maxLength: 128 })),
    description: Type.Optional(Type.String()),
    enforcementMode: Type.Optional(Type.Union([Type.Literal('Default'), Type.Literal('DoNotEnforce')])),
    notScopes: Type.Optional(Type.Array(Type.String())),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Object({ value: Type.Unknown() }))),
  }),
});

/** Subscription-scope policy assignments of the built-in "Not allowed resource types" definition. */
export async function policyRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', requireApiVersion({ minimum: '2019-09-01', what: `${AUTHORIZATION}/policyAssignments` }));
  const { db } = app.berth;
  const base = `/subscriptions/:subscriptionId/providers/${AUTHORIZATION}/policyAssignments`;
  const typeKey = POLICY_ASSIGNMENT_TYPE.toLowerCase();

  app.get(base, { config: { access: 'read' }, schema: { params: Type.Object({ subscriptionId: Type.String() }) } }, async (request) => {
    const { after, limit } = pageOf(request);
    const rows = await listResources(db, { typeKey, subscriptionKey: request.params.subscriptionId.toLowerCase() }, { after, limit });
    return page(request, rows.map((r) => JSON.parse(r.body)), rows.map((r) => r.id_key), limit);
  });

  app.get(`${base}/:assignmentName`, { config: { access: 'read' }, schema: { params: Params } }, async (request) => {
    const row = await getResource(db, idKey(`/subscriptions/${request.params.subscriptionId}/providers/${AUTHORIZATION}/policyAssignments/${request.params.assignmentName}`));
    if (!row) throw new ArmError(404, 'PolicyAssignmentNotFound', `The policy assignment '${request.params.assignmentName}' is not found.`);
    return JSON.parse(row.body);
  });

  app.put(`${base}/:assignmentName`, { config: { access: 'write' }, schema: { params: Params, body: Body } }, async (request, reply) => {
    const { subscriptionId, assignmentName } = request.params;
    const props = request.body.properties;
    if (props.policyDefinitionId.toLowerCase() !== NOT_ALLOWED_RESOURCE_TYPES.toLowerCase()) {
      throw new ArmError(404, 'PolicyDefinitionNotFound', `The policy definition '${props.policyDefinitionId}' could not be found. The local cloud knows the built-in 'Not allowed resource types' (${NOT_ALLOWED_RESOURCE_TYPES}).`);
    }
    const types = props.parameters?.listOfResourceTypesNotAllowed?.value;
    if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string' && /^[\w.]+\/[\w./]+$/.test(t))) {
      throw new ArmError(400, 'InvalidPolicyParameters', "The policy 'Not allowed resource types' needs the parameter listOfResourceTypesNotAllowed: {\"value\": [\"Microsoft.Network/publicIPAddresses\", ...]} (resource types as Namespace/type).");
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
    const existing = await getResource(db, idKey(id));
    if (existing) {
      await updateResourceBody(db, existing.id_key, JSON.stringify(body), now);
      return reply.code(200).send(body);
    }
    try {
      await insertResource(db, { id, type: POLICY_ASSIGNMENT_TYPE, parentId: `/subscriptions/${subscriptionId}`, body, now });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await updateResourceBody(db, idKey(id), JSON.stringify(body), now);
      return reply.code(200).send(body);
    }
    return reply.code(201).send(body);
  });

  app.delete(`${base}/:assignmentName`, { config: { access: 'write' }, schema: { params: Params } }, async (request, reply) => {
    const key = idKey(`/subscriptions/${request.params.subscriptionId}/providers/${AUTHORIZATION}/policyAssignments/${request.params.assignmentName}`);
    const row = await getResource(db, key);
    if (!row) return reply.code(204).send();
    await deleteResourceTree(db, key);
    return reply.code(200).send(JSON.parse(row.body));
  });
}
