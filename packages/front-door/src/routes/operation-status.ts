import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError, type ArmErrorDetail } from '@berth/arm';
import { bodyCodec, type OperationRow } from '@berth/store';
import { ArmErrorDetail as ArmErrorDetailShape, OperationStatus, OperationStep } from '@berth/shapes';
import { baseUrl } from '../arm-http.js';

const operationErrors = bodyCodec(ArmErrorDetailShape, 'operation error');
const operationSteps = bodyCodec(Type.Array(OperationStep), 'operation steps');

const Params = Type.Object({ subscriptionId: Type.String(), namespace: Type.String(), location: Type.String(), operationId: Type.String() });

/** ARM status codes for an operation's failure as seen through its `Location` URL. */
function statusCodeFor(error: ArmErrorDetail): number {
  if (/NotFound$/.test(error.code)) return 404;
  if (/Conflict|AlreadyExists|InProgress/.test(error.code)) return 409;
  if (/Internal/.test(error.code)) return 500;
  return 400;
}

/**
 * Polling endpoints for every provider's long-running operations. Clients append
 * the original call's query (e.g. `underlyingResourceAction`), so any query is accepted.
 * They sit at subscription scope but are authorized on the operation's own resource
 * (`operation` access), so whoever may read that resource may poll, as in ARM.
 */
export async function operationStatusRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = app.berth;
  const base = '/subscriptions/:subscriptionId/providers/:namespace/locations/:location';

  async function find(params: { subscriptionId: string; operationId: string }): Promise<OperationRow> {
    const op = await engine.get(params.operationId);
    if (!op || op.subscription_key !== params.subscriptionId.toLowerCase()) {
      throw new ArmError(404, 'OperationNotFound', `The operation '${params.operationId}' could not be found in subscription '${params.subscriptionId}'.`);
    }
    return op;
  }

  app.get(
    `${base}/operationStatuses/:operationId`,
    { config: { access: 'operation' }, schema: { params: Params, response: { 200: OperationStatus } } },
    async (request, reply) => {
      const op = await find(request.params);
      if (op.status === 'InProgress') reply.header('Retry-After', '1');
      return {
        id: request.url.split('?')[0],
        name: op.id,
        status: op.status,
        startTime: op.start_time,
        ...(op.end_time ? { endTime: op.end_time } : {}),
        ...(op.error ? { error: operationErrors.parse(op.error) } : {}),
        operations: operationSteps.parse(op.steps),
      };
    },
  );

  app.get(`${base}/operationResults/:operationId`, { config: { access: 'operation' }, schema: { params: Params } }, async (request, reply) => {
    const op = await find(request.params);
    if (op.status === 'InProgress') {
      reply.header('Retry-After', '1');
      reply.header('Location', `${baseUrl(request)}${request.url}`);
      return reply.code(202).send();
    }
    if (op.status === 'Failed' && op.error) {
      const error = operationErrors.parse(op.error);
      return reply.code(statusCodeFor(error)).send({ error });
    }
    return reply.code(204).send();
  });
}
