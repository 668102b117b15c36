/**
 * What a route lets through, declared by every route in `config.access`; the
 * auth plugin refuses to start a route that declares none.
 *
 * - `public`: anyone (health checks).
 * - `signed-in`: any valid token; the handler decides the rest (token minting, the subscription list).
 * - `read`: any role at the request's scope or above it.
 * - `write`: Contributor or Owner at the request's scope or above it (every change, and actions that reveal secrets).
 * - `owner`: Owner at the request's scope or above it (creating and deleting role assignments).
 *
 * The request's scope is what the router matched (see `requestScope`): the route's template with its
 * decoded params, cut at the resource — `/subscriptions/{s}`, `.../resourceGroups/{g}` or a resource.
 * - `own`: the route authenticates callers itself (a cluster's Kubernetes API with its own tokens).
 * - `operation`: any role at the scope of the resource that the stored operation named by `:operationId` acts on,
 *   or above it, as ARM lets a caller poll the operations of what it may read (a Contributor of one resource group
 *   polls its cluster's creation at `/subscriptions/{s}/providers/.../operationStatuses/{id}`). An id that is unknown
 *   or of another subscription is decided on the subscription, so it reads as 404 only to whoever may read all of it.
 */
export const accessKinds = ['public', 'signed-in', 'read', 'write', 'owner', 'own', 'operation'] as const;
export type Access = (typeof accessKinds)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}
