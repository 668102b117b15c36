import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

/** Every response carries `x-ms-request-id` (and echoes `x-ms-client-request-id`), as ARM's do. */
export const requestId = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-ms-request-id', request.id);
      const clientId = request.headers['x-ms-client-request-id'];
      if (typeof clientId === 'string') reply.header('x-ms-client-request-id', clientId);
    });
  },
  { name: 'request-id' },
);
