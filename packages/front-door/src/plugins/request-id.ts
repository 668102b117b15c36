import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

/** Every response carries `x-ms-request-id` (and echoes `x-ms-client-request-id`), as ARM's do. */
export const requestId = fp(
  async (app: FastifyInstance) => {
    // Callback-style hooks cost no promise per request, on every request.
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-ms-request-id', request.id);
      const clientId = request.headers['x-ms-client-request-id'];
      if (typeof clientId === 'string') reply.header('x-ms-client-request-id', clientId);
      done();
    });
  },
  { name: 'request-id' },
);
