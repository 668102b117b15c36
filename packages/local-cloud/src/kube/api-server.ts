import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecretBox } from '@berth/pki';
import type { ClusterDirectory } from './cluster-directory.js';
import { SelectorParseError } from './label-selector.js';
import type { KubeObjectStore } from './object-store.js';
import { PatchError } from './patch.js';
import { badRequest, KubeError } from './status.js';
import { authenticate, type Caller } from './api/auth.js';
import { registerContentTypes } from './api/content-types.js';
import { queryOf, segmentsOf } from './api/parse-request.js';
import { route } from './api/routes.js';
import type { PodLogs } from './api/verbs/log.js';

export interface KubeApiOptions {
  store: KubeObjectStore;
  box: SecretBox;
  clusters: ClusterDirectory;
  workloads?: PodLogs;
}

/** Status reasons of Fastify's own 4xx refusals (body limit, unknown content type). */
const FRAMEWORK_REASONS: Record<number, string> = { 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType' };

/** The Status a failure answers with; undefined for an unexpected failure (a 500). */
function kubeErrorOf(err: Error & { statusCode?: number }): KubeError | undefined {
  if (err instanceof KubeError) return err;
  if (err instanceof SelectorParseError) return badRequest(err.message);
  if (err instanceof PatchError) return new KubeError(422, 'Invalid', err.message);
  if (err.statusCode && err.statusCode < 500) return new KubeError(err.statusCode, FRAMEWORK_REASONS[err.statusCode] ?? 'BadRequest', err.message);
  return undefined;
}

/**
 * The Kubernetes API of every local cluster, under `/clusters/{clusterId}`:
 * callers are authenticated (api/auth.ts), bodies parsed (api/content-types.ts),
 * paths routed (api/routes.ts) to one module per verb (api/verbs/), each of which
 * reads and writes through the object store.
 */
export function kubeApiRoutes(options: KubeApiOptions) {
  const { store, box, clusters, workloads } = options;

  return async function routes(app: FastifyInstance): Promise<void> {
    registerContentTypes(app);

    app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
      const kubeError = kubeErrorOf(err);
      if (!kubeError) request.log.error({ err }, 'kubernetes API request failed');
      const status = kubeError ?? new KubeError(500, 'InternalError', `Internal error occurred: request ${request.id} failed`);
      return reply.code(status.code).type('application/json').send(status.toStatus());
    });

    const callers = new WeakMap<FastifyRequest, Caller>();

    // Callers are checked in onRequest, before Fastify reads a body: a refused caller's body is never read nor parsed.
    app.addHook('onRequest', async (request) => {
      const { clusterId } = request.params as { clusterId: string };
      callers.set(request, await authenticate(box, clusters, store, clusterId, request));
    });

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const { clusterId } = request.params as { clusterId: string };
      const caller = callers.get(request)!;
      const { query, dryRun } = queryOf(request);
      return route(
        { store, box, clusterId, settings: caller.settings, caller, query, dryRun, request, reply, workloads },
        segmentsOf(request.url),
        request.method,
      );
    };
    app.all('/', { config: { access: 'own' } }, handler);
    app.all('/*', { config: { access: 'own' } }, handler);
  };
}
