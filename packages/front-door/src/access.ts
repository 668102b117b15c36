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
export type Access = 'public' | 'signed-in' | 'read' | 'write' | 'own';

export const accessKinds: readonly Access[] = ['public', 'signed-in', 'read', 'write', 'own'];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

