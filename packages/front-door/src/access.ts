/**
 * What a route lets through, declared by every route in `config.access`; the
 * auth plugin refuses to start a route that declares none.
 *
 * - `public`: anyone (health checks).
 * - `signed-in`: any valid token; the handler decides the rest (token minting, the subscription list).
 * - `read`: any role on the route's `:subscriptionId`.
 * - `write`: Contributor or Owner on the route's `:subscriptionId` (every change, and actions that reveal secrets).
 * - `own`: the route authenticates callers itself (a cluster's Kubernetes API with its own tokens).
 */
export const accessKinds = ['public', 'signed-in', 'read', 'write', 'own'] as const;
export type Access = (typeof accessKinds)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}
