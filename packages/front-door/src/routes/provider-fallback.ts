import type { FastifyInstance } from 'fastify';
import { ArmError } from '@berth/arm';

/**
 * Answers paths under `/providers/{namespace}/...` that no provider route
 * matched: an unknown namespace or an unknown resource type, as ARM does.
 */
export function providerFallbackRoutes(namespaces: string[]) {
  const known = new Map(namespaces.map((n) => [n.toLowerCase(), n]));
  return async function routes(app: FastifyInstance): Promise<void> {
    const handler = async (request: { params: unknown }) => {
      const rest = (request.params as { '*': string })['*'];
      const [namespace, type] = rest.split('/');
      const canonical = known.get(namespace.toLowerCase());
      if (!canonical) {
        throw new ArmError(
          400,
          'InvalidResourceNamespace',
          `The resource namespace '${namespace}' is invalid. Known namespaces: ${[...known.values()].join(', ')}.`,
        );
      }
      throw new ArmError(
        400,
        'InvalidResourceType',
        `The resource type '${type ?? ''}' could not be found in the namespace '${canonical}', or the path does not match any of its operations.`,
      );
    };
    app.all('/subscriptions/:subscriptionId/resourcegroups/:resourceGroupName/providers/*', { config: { access: 'read' } }, handler);
    app.all('/subscriptions/:subscriptionId/providers/*', { config: { access: 'read' } }, handler);
  };
}
