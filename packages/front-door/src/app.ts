import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { ArmError, jsonNestedDeeperThan, MAX_JSON_NESTING } from '@berth/arm';
import type { OperationHandler } from '@berth/operations';
import type { LinkedScopesHook, ResourceDeleteHook } from './routes/resource-groups.js';
import type { BerthContext } from './context.js';
import {
  checkRequestTarget,
  clientErrorHandler,
  defaultHttpLimits,
  frameworkErrors,
  limitConnectionsPerAddress,
  originForm,
  type HttpLimits,
} from './http-limits.js';
import { armErrors } from './plugins/arm-errors.js';
import { auth } from './plugins/auth.js';
import { openapi } from './openapi.js';
import { requestId } from './plugins/request-id.js';
import { cloudMetadataRoutes } from './routes/cloud-metadata.js';
import { healthRoutes } from './routes/health.js';
import { operationStatusRoutes } from './routes/operation-status.js';
import { providerFallbackRoutes } from './routes/provider-fallback.js';
import { providerRoutes } from './routes/providers.js';
import { deleteResourceGroupHandler, resourceGroupRoutes } from './routes/resource-groups.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { tokenRoutes } from './routes/tokens.js';
import { tokenServiceRoutes } from './routes/token-service.js';
import { servicePrincipalRoutes } from './routes/service-principals.js';
import { roleAssignmentRoutes } from './routes/role-assignments.js';
import { studioRoutes } from './routes/studio.js';
import { loadTokenKeys } from './token-keys.js';
import { SignInThrottle } from './sign-in-throttle.js';

/** One resource type a provider serves, as `GET /subscriptions/{s}/providers/{namespace}` lists it. */
export interface ResourceTypeMetadata {
  /** Without the namespace: `workspaces`, `workspaces/computes`, `locations/operationStatuses`. */
  resourceType: string;
  /** Only versions the type's routes accept; listed newest first whatever the order here. */
  apiVersions: readonly string[];
  /** `regions` (default): every catalog region; `global`: no region (`policyAssignments`, `subscriptions`). */
  locations?: 'regions' | 'global';
}

/** A resource provider plugs its routes and operation kinds into the front door. */
export interface ResourceProvider {
  namespace: string;
  routes: FastifyPluginAsync;
  operationHandlers: OperationHandler<any>[];
  /** What `GET /subscriptions/{s}/providers/{namespace}` lists; clients such as `az resource show` pick an api-version from it. */
  resourceTypes?: ResourceTypeMetadata[];
  /** Clean-up to run, by lower-cased resource type, when a resource group deletion removes such a resource. */
  deleteHooks?: Record<string, ResourceDeleteHook>;
  /**
   * By lower-cased resource type, the scopes outside the resource that its delete hook acts on and the action each
   * needs: a resource group's deletion is refused (403 `LinkedAuthorizationFailed`) unless the caller holds them all.
   */
  deleteLinkedScopes?: Record<string, LinkedScopesHook>;
}

export interface BuildAppOptions {
  context: BerthContext;
  providers: ResourceProvider[];
  /** TLS key and certificate (PEM); Berth serves HTTPS only. */
  tls: { key: string; cert: string };
  /** A pino logger; none logs nothing. */
  logger?: FastifyBaseLogger;
  /** Request timeout and per-address connection cap (defaults: 30 s, 512). */
  limits?: Partial<HttpLimits>;
  /** The RSA private key (PKCS#8 PEM) that signs the token service's JWTs; none: a key that lives as long as the process. */
  tokenSigningKey?: string;
  /** The built Studio's folder; default: `packages/studio/dist` of the workspace, when built. */
  studioRoot?: string;
}

/** 1 MiB, as ARM's own request limit is a few MiB and no Berth body is near it. */
const BODY_LIMIT = 1024 * 1024;

/** Builds the front door (no socket yet): shared plugins first, then one encapsulated plugin per provider. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const limits = { ...defaultHttpLimits, ...options.limits };
  const app = Fastify({
    // Timeouts are checked this often: a fraction of the timeout, so slow senders are cut close to it.
    https: { key: options.tls.key, cert: options.tls.cert, connectionsCheckingInterval: Math.min(30_000, Math.max(250, limits.requestTimeoutMs / 4)) } as {
      key: string;
      cert: string;
    },
    requestTimeout: limits.requestTimeoutMs,
    clientErrorHandler,
    frameworkErrors,
    rewriteUrl: originForm,
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 1000 },
    ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false } },
    // Idle keep-alive connections close at shutdown; requests in flight finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  app.server.headersTimeout = limits.requestTimeoutMs;
  limitConnectionsPerAddress(app.server, limits.maxConnectionsPerAddress);
  app.decorate('berth', options.context);
  app.decorate('tokenKeys', await loadTokenKeys(options.tokenSigningKey));
  app.decorate('signInThrottle', new SignInThrottle(limits));
  // curl and others send `Content-Type: application/json` with no body on DELETE and POST actions; ARM accepts that.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else if (jsonNestedDeeperThan(body as string)) {
      done(
        new ArmError(
          400,
          'InvalidRequestContent',
          `The request content is nested deeper than ${MAX_JSON_NESTING} levels of objects and arrays; no Berth resource is that deep.`,
        ),
        undefined,
      );
    } else if ((body as string).includes('\\u0000')) {
      done(new ArmError(400, 'InvalidRequestContent', 'The request content holds a NUL character (\\u0000); no Berth property may contain one.'), undefined);
    } else parseJson(request, body as string, done);
  });
  for (const provider of options.providers) {
    for (const handler of provider.operationHandlers) options.context.engine.register(handler);
  }
  options.context.engine.register(deleteResourceGroupHandler(Object.assign({}, ...options.providers.map((p) => p.deleteHooks ?? {}))));

  await app.register(armErrors);
  await app.register(requestId);
  app.addHook('onRequest', checkRequestTarget);
  await app.register(auth);
  await app.register(openapi);
  await app.register(healthRoutes);
  await app.register(cloudMetadataRoutes);
  await app.register(tokenRoutes);
  await app.register(studioRoutes({ root: options.studioRoot }));
  await app.register(tokenServiceRoutes);
  await app.register(servicePrincipalRoutes);
  await app.register(subscriptionRoutes);
  await app.register(resourceGroupRoutes, { linkedScopes: Object.assign({}, ...options.providers.map((p) => p.deleteLinkedScopes ?? {})) });
  await app.register(roleAssignmentRoutes);
  await app.register(operationStatusRoutes);
  await app.register(providerRoutes(options.providers));
  for (const provider of options.providers) await app.register(provider.routes);
  await app.register(providerFallbackRoutes(['Microsoft.Resources', ...options.providers.map((p) => p.namespace)]));
  return app;
}
