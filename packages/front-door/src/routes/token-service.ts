import type { FastifyError, FastifyInstance, FastifyReply, FastifySchema } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { findServicePrincipalCredential, listSubscriptions } from '@berth/store';
import { acceptedAudiences, ADFS_TENANT, baseOf, issuerFor, signAccessToken, TOKEN_LIFETIME_S } from '../token-keys.js';
import { secretMatches } from '../service-principals.js';

/** A refusal in OAuth 2.0's shape (RFC 6749 §5.2), which MSAL and the Azure CLI read; not an ARM error. */
class OAuthError extends Error {
  constructor(
    readonly statusCode: 400 | 401 | 429,
    readonly error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope' | 'temporarily_unavailable',
    readonly description: string,
    readonly retryAfterS?: number,
  ) {
    super(description);
  }
}

const OAuthErrorBody = Type.Object({ error: Type.String(), error_description: Type.String() });

const TokenResponse = Type.Object({
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  ext_expires_in: Type.Integer(),
  access_token: Type.String(),
});

const OpenIdConfiguration = Type.Object({
  issuer: Type.String(),
  authorization_endpoint: Type.String(),
  token_endpoint: Type.String(),
  jwks_uri: Type.String(),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  grant_types_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String()),
  subject_types_supported: Type.Array(Type.String()),
  id_token_signing_alg_values_supported: Type.Array(Type.String()),
  scopes_supported: Type.Array(Type.String()),
  tenant_region_scope: Type.Null(),
});

const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) });

/** Form fields, each at most once; what they must hold is checked by the handler, which answers OAuth errors. */
const TokenForm = Type.Record(Type.String(), Type.String());
const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 64 }) });

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** OpenID scopes MSAL may add to a request; they ask for no access token audience. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);
const FORM_LIMIT = 64 * 1024;

const hidden = (schema: FastifySchema): FastifySchema => ({ ...schema, hide: true }) as FastifySchema;

/** Parses `application/x-www-form-urlencoded`, refusing a field given twice (which value would count is ambiguous). */
function parseForm(body: string): Record<string, string> {
  const form: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(body)) {
    if (key in form) throw new OAuthError(400, 'invalid_request', `The field '${key.slice(0, 64)}' is given more than once.`);
    form[key] = value;
  }
  return { ...form };
}

/** The audience a request asks for: the one `/.default` scope minus that suffix (v2), or the `resource` (v1). */
function requestedAudience(form: Record<string, string>): string {
  if (form.scope !== undefined) {
    const scopes = form.scope.split(' ').filter((s) => s !== '' && !OIDC_SCOPES.has(s));
    const defaults = scopes.filter((s) => s.endsWith('/.default'));
    if (scopes.length !== 1 || defaults.length !== 1) {
      throw new OAuthError(
        400,
        'invalid_scope',
        `The scope '${form.scope.slice(0, 200)}' is not valid for the client credentials grant: ask for one resource's '/.default' scope, e.g. 'https://management.azure.com/.default'.`,
      );
    }
    return defaults[0].slice(0, -'/.default'.length);
  }
  if (form.resource !== undefined) return form.resource;
  throw new OAuthError(400, 'invalid_request', "The request has no 'scope' (or 'resource'): ask for e.g. scope=https://management.azure.com/.default.");
}

/**
 * Berth's token service: OpenID discovery and a client-credentials token
 * endpoint, ADFS-style (`/adfs/...`, what the Azure CLI can use offline) and
 * Entra-style per tenant (`/{tenant}/v2.0/...`, what @azure/identity uses).
 * Service principals trade their app id and secret for an RS256 JWT signed
 * with the key of Berth's home folder, which the front door accepts.
 */
export async function tokenServiceRoutes(parent: FastifyInstance): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.berth;
  const publicAccess = { access: 'public' as const };

  // This plugin is encapsulated: its routes take forms only, and refuse in OAuth's shape.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.setErrorHandler((err: FastifyError | OAuthError, request, reply) => {
    if (!request.raw.complete) reply.header('connection', 'close');
    if (err instanceof OAuthError) return sendOAuthError(reply, err);
    if (err.statusCode !== undefined && err.statusCode < 500) {
      const description =
        err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? "The token endpoint takes a form: send 'Content-Type: application/x-www-form-urlencoded'."
          : `The request is not valid: ${err.message}`;
      return sendOAuthError(reply, new OAuthError(400, 'invalid_request', description));
    }
    request.log.error({ err }, 'token service failed');
    return reply.code(500).send({ error: 'server_error', error_description: `The token service failed. Quote request id ${request.id} when reporting it.` });
  });

  function sendOAuthError(reply: FastifyReply, err: OAuthError) {
    if (err.retryAfterS !== undefined) reply.header('retry-after', String(err.retryAfterS));
    return reply.code(err.statusCode).header('cache-control', 'no-store').send({ error: err.error, error_description: err.description });
  }

  /** `adfs` or the tenant id of a subscription, lower-cased; anything else is refused. */
  async function knownTenant(tenant: string): Promise<string> {
    const key = tenant.toLowerCase();
    if (key === ADFS_TENANT) return key;
    if ((await listSubscriptions(db)).some((s) => s.tenant_id.toLowerCase() === key)) return key;
    throw new OAuthError(400, 'invalid_request', `The tenant '${tenant.slice(0, 64)}' was not found. Use 'adfs' or the tenantId of a subscription.`);
  }

  function discovery(tenant: string) {
    const base = baseOf(app.berth.publicUrl);
    const prefix = tenant === ADFS_TENANT ? `${base}/adfs/oauth2` : `${base}/${tenant}/oauth2/v2.0`;
    return {
      issuer: issuerFor(base, tenant),
      authorization_endpoint: `${prefix}/authorize`,
      token_endpoint: `${prefix}/token`,
      jwks_uri: `${base}/discovery/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post'],
      grant_types_supported: ['client_credentials'],
      response_types_supported: ['token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: acceptedAudiences(base).map((aud) => `${aud}${aud.endsWith('/') ? '' : '/'}.default`),
      tenant_region_scope: null,
    };
  }

  const discoverySchema = hidden({ response: { 200: OpenIdConfiguration, 400: OAuthErrorBody } });
  app.get('/adfs/.well-known/openid-configuration', { config: publicAccess, schema: discoverySchema }, async () => discovery(ADFS_TENANT));
  app.get('/:tenant/v2.0/.well-known/openid-configuration', { config: publicAccess, schema: { ...discoverySchema, params: TenantParams } }, async (request) =>
    discovery(await knownTenant(request.params.tenant)),
  );
  app.get('/discovery/keys', { config: publicAccess, schema: hidden({ response: { 200: Jwks } }) }, async () => app.tokenKeys.jwks);

  async function issue(tenantParam: string, fields: Record<string, string>, address: string, reply: FastifyReply) {
    // Only a GUID can name a client: any other client id fails, and counts against the address alone.
    const clientId = fields.client_id !== undefined && GUID.test(fields.client_id) ? fields.client_id : undefined;
    const wait = app.signInThrottle.retryAfterS(address, clientId);
    if (wait > 0) {
      // What Entra answers a client that asks too often: 429, `temporarily_unavailable`, and when to come back.
      throw new OAuthError(
        429,
        'temporarily_unavailable',
        `Too many failed sign-ins from this client or address. Try again in ${wait} seconds, with the right client secret (reset it with berth ad sp credential reset --id <appId>).`,
        wait,
      );
    }
    if (fields.grant_type === undefined)
      throw new OAuthError(400, 'invalid_request', "The request has no 'grant_type'; Berth issues tokens for grant_type=client_credentials.");
    if (fields.grant_type !== 'client_credentials') {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        `The grant type '${fields.grant_type.slice(0, 64)}' is not supported; Berth issues tokens for client_credentials only.`,
      );
    }
    for (const field of ['client_id', 'client_secret'] as const) {
      if (!fields[field]) throw new OAuthError(400, 'invalid_request', `The request has no '${field}': send the service principal's app id and secret.`);
    }
    const tenant = await knownTenant(tenantParam);
    const base = baseOf(app.berth.publicUrl);
    const aud = requestedAudience(fields);
    if (!acceptedAudiences(base).includes(aud)) {
      throw new OAuthError(
        400,
        'invalid_scope',
        `Berth issues no tokens for '${aud.slice(0, 200)}'. Ask for one of: ${acceptedAudiences(base).join(', ')} (scope '<resource>/.default').`,
      );
    }
    const sp = clientId !== undefined ? await findServicePrincipalCredential(db, clientId) : undefined;
    const valid =
      sp !== undefined &&
      secretMatches(fields.client_secret, sp.secret_hash) &&
      Date.parse(sp.secret_expires_at) > Date.now() &&
      (tenant === ADFS_TENANT || tenant === sp.tenant.toLowerCase());
    if (!valid) {
      // One answer for an unknown client, a wrong or expired secret and another tenant: no oracle (unknown client ids are throttled alike).
      app.signInThrottle.failed(address, clientId);
      throw new OAuthError(
        401,
        'invalid_client',
        'The client id or client secret is not valid (or the secret has expired). Check them, or reset the secret: berth ad sp credential reset --id <appId>.',
      );
    }
    app.signInThrottle.succeeded(sp.app_id);
    const accessToken = await signAccessToken(app.tokenKeys, {
      aud,
      iss: issuerFor(base, tenant),
      sub: sp.object_id,
      tid: sp.tenant,
      oid: sp.object_id,
      appid: sp.app_id,
      azp: sp.app_id,
      appidacr: '1',
      idtyp: 'app',
    });
    return reply
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ token_type: 'Bearer' as const, expires_in: TOKEN_LIFETIME_S - 1, ext_expires_in: TOKEN_LIFETIME_S - 1, access_token: accessToken });
  }

  const tokenSchema = hidden({
    params: TenantParams,
    body: TokenForm,
    response: { 200: TokenResponse, 400: OAuthErrorBody, 401: OAuthErrorBody, 429: OAuthErrorBody },
  });
  for (const url of ['/:tenant/oauth2/token', '/:tenant/oauth2/v2.0/token']) {
    app.post(url, { config: publicAccess, schema: tokenSchema }, async (request, reply) =>
      issue((request.params as { tenant: string }).tenant, request.body as Record<string, string>, request.ip, reply),
    );
  }
}
