import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';

/** ARM routes: everything under a subscription or a tenant-level provider, which all check `api-version` in a hook. */
const ARM_ROUTE = /^\/(subscriptions|providers)(\/|$)/i;

/** The api-version every ARM route requires; the route schemas don't declare it because one hook per provider checks it. */
const apiVersionQuery = {
  type: 'object',
  required: ['api-version'],
  properties: { 'api-version': { type: 'string', description: 'The API version; an unsupported one is refused with the list of supported versions.' } },
};

/**
 * The OpenAPI 3 document of the ARM API, generated from the routes' TypeBox
 * schemas, at `GET /openapi.json` for any signed-in caller. Registered before
 * the routes, as @fastify/swagger collects them as they are added. The
 * Kubernetes API of each cluster (`/clusters/{clusterId}/*`) is left out: it is
 * a catch-all with its own discovery and OpenAPI documents (`/openapi/v3`).
 */
export const openapi = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Berth ARM API',
          version: '1.0.0',
          description:
            'Azure Resource Manager-compatible API of Berth: subscriptions, resource groups, Microsoft.MachineLearningServices and the local Microsoft.ContainerService.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      // HEAD answers existence checks (`az group exists`); it is part of the API.
      exposeHeadRoutes: true,
      transform({ schema, url, route }) {
        const access = (route.config as { access?: string } | undefined)?.access;
        const base: FastifySchema = { ...schema };
        if (url.startsWith('/clusters/')) return { schema: { ...base, hide: true } as FastifySchema, url };
        if (ARM_ROUTE.test(url) && !base.querystring) base.querystring = apiVersionQuery;
        if (access === 'public') (base as { security?: unknown[] }).security = [];
        return { schema: base, url };
      },
      transformObject(documents) {
        const document = (documents as { openapiObject: { paths: Record<string, Record<string, unknown>> } }).openapiObject;
        // Catch-all routes answer every method, QUERY included, which OpenAPI 3.0 has no field for.
        for (const item of Object.values(document.paths)) delete item.query;
        return document;
      },
    });
    app.get('/openapi.json', { config: { access: 'signed-in' }, schema: { hide: true } as FastifySchema }, async () => app.swagger());
  },
  { name: 'openapi', dependencies: ['auth'] },
);
