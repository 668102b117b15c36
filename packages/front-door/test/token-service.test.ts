import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { ResourceManagementClient } from '@azure/arm-resources';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importPKCS8, SignJWT } from 'jose';
import { credential, startTestBerth, testStores, type HttpResponse, type TestBerth } from '../../../test-support/berth.js';
import { ARM_SCOPE, createPrincipal, tokenOf } from '../../../test-support/principals.js';

const SUBSCRIPTIONS = '/subscriptions?api-version=2020-01-01';

describe.each(testStores())('token service and service principals on %s', (store) => {
  let berth: TestBerth;
  let sub: string;
  let tenant: string;

  beforeAll(async () => {
    berth = await startTestBerth({ store });
    sub = berth.subscriptionId;
    tenant = (await berth.request('GET', SUBSCRIPTIONS)).body.value[0].tenantId;
  });
  afterAll(() => berth?.close());

  function form(path: string, fields: Record<string, string>): Promise<HttpResponse> {
    return berth.request('POST', path, {
      token: null,
      rawBody: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  async function signingKey() {
    return importPKCS8(await readFile(join(berth.home, 'token-signing-key.pem'), 'utf8'), 'RS256');
  }

  const listPrincipals = async () => (await berth.request('GET', '/berth/servicePrincipals')).body.value;

  it('keeps its signing key in the home folder (0600) and serves its public half as a JWKS whose kid is the thumbprint', async () => {
    const path = join(berth.home, 'token-signing-key.pem');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const jwk = createPublicKey(await readFile(path, 'utf8')).export({ format: 'jwk' });
    const keys = await berth.request('GET', '/discovery/keys', { token: null });
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toHaveLength(1);
    expect(keys.body.keys[0]).toMatchObject({ kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RS256', use: 'sig' });
    expect(keys.body.keys[0].kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n!, e: jwk.e! }));
    expect(keys.text).not.toMatch(/"d"|"p"|"q"/);
  });

  it('answers OpenID discovery ADFS-style and per tenant, with what MSAL needs', async () => {
    const adfs = await berth.request('GET', '/adfs/.well-known/openid-configuration', { token: null });
    expect(adfs.status).toBe(200);
    expect(adfs.body).toMatchObject({
      issuer: `${berth.url}/adfs`,
      authorization_endpoint: `${berth.url}/adfs/oauth2/authorize`,
      token_endpoint: `${berth.url}/adfs/oauth2/token`,
      jwks_uri: `${berth.url}/discovery/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post'],
      grant_types_supported: ['client_credentials'],
    });
    const entra = await berth.request('GET', `/${tenant}/v2.0/.well-known/openid-configuration`, { token: null });
    expect(entra.status).toBe(200);
    expect(entra.body).toMatchObject({ issuer: `${berth.url}/${tenant}/v2.0`, token_endpoint: `${berth.url}/${tenant}/oauth2/v2.0/token` });
    const unknown = await berth.request('GET', '/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration', { token: null });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_request');
  });

  it('gives @azure/identity a token that the unmodified Azure SDK clients use', async () => {
    const sp = await createPrincipal(berth, 'sdk-contributor', { role: 'Contributor' });
    expect(sp.tenant).toBe(tenant);
    for (const tenantId of [tenant, 'adfs']) {
      const identity = new ClientSecretCredential(tenantId, sp.appId, sp.password, {
        authorityHost: berth.url,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: berth.ca },
      } as never);
      const got = await identity.getToken('https://management.azure.com/.default');
      expect(got.expiresOnTimestamp - Date.now()).toBeGreaterThan(3500_000);
      const claims = decodeJwt(got.token);
      expect(claims).toMatchObject({ aud: 'https://management.azure.com', tid: tenant, oid: sp.objectId, appid: sp.appId, azp: sp.appId, sub: sp.objectId });
      expect(claims.iss).toBe(tenantId === 'adfs' ? `${berth.url}/adfs` : `${berth.url}/${tenant}/v2.0`);
      expect(claims.exp! - claims.iat!).toBeGreaterThanOrEqual(3600);
      expect(decodeProtectedHeader(got.token)).toMatchObject({ alg: 'RS256', kid: (await berth.request('GET', '/discovery/keys')).body.keys[0].kid });

      // The ARM clients ask for `<endpoint>/.default`: Berth's own URL is an audience too.
      const options = { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never;
      const groups = new ResourceManagementClient(identity, sub, options);
      const group = await groups.resourceGroups.createOrUpdate(`sp-rg-${tenantId.slice(0, 4)}`, { location: 'westus' });
      expect(group.properties?.provisioningState).toBe('Succeeded');
      const clusters = new ContainerServiceClient(identity, sub, options);
      const names: string[] = [];
      for await (const c of clusters.managedClusters.list()) names.push(c.name!);
      expect(names).toEqual([]);
      const ml = new AzureMachineLearningWorkspaces(identity, sub, options);
      const workspace = await ml.workspaces.beginCreateOrUpdateAndWait(
        group.name!,
        `sp-ws-${tenantId.slice(0, 4)}`,
        { location: 'westus' },
        { updateIntervalInMs: 50 },
      );
      expect(workspace.provisioningState).toBe('Succeeded');
    }
  });

  it('accepts what MSAL for Python sends to the ADFS token endpoint (client_info and claims), for every accepted audience', async () => {
    const sp = await createPrincipal(berth, 'msal-python', { role: 'Reader' });
    const res = await form('/adfs/oauth2/token', {
      client_id: sp.appId,
      client_secret: sp.password,
      grant_type: 'client_credentials',
      client_info: '1',
      claims: JSON.stringify({ access_token: { xms_cc: { values: ['CP1'] } } }),
      scope: ARM_SCOPE,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expect.any(String) });
    expect(decodeJwt(res.body.access_token)).toMatchObject({ aud: 'https://management.core.windows.net/', iss: `${berth.url}/adfs` });
    expect((await berth.request('GET', SUBSCRIPTIONS, { token: res.body.access_token })).status).toBe(200);

    for (const scope of [
      'https://management.azure.com//.default',
      'https://management.azure.com/.default',
      `${berth.url}/.default`,
      `${berth.url}//.default`,
    ]) {
      const token = await tokenOf(berth, sp, { scope, path: `/${tenant}/oauth2/v2.0/token` });
      expect((await berth.request('GET', SUBSCRIPTIONS, { token })).status).toBe(200);
    }
    const v1 = await form(`/${tenant}/oauth2/token`, {
      client_id: sp.appId,
      client_secret: sp.password,
      grant_type: 'client_credentials',
      resource: 'https://management.core.windows.net/',
    });
    expect(v1.status, v1.text).toBe(200);
    expect(decodeJwt(v1.body.access_token).aud).toBe('https://management.core.windows.net/');
  });

  it('refuses bad requests with the OAuth error a client expects, and changes nothing', async () => {
    const sp = await createPrincipal(berth, 'bad-input', { role: 'Contributor' });
    const before = await listPrincipals();
    const good = { client_id: sp.appId, client_secret: sp.password, grant_type: 'client_credentials', scope: ARM_SCOPE };
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ ...good, client_secret: 'wrong' }, 401, 'invalid_client'],
      [{ ...good, client_id: '11111111-2222-3333-4444-555555555555' }, 401, 'invalid_client'],
      [{ ...good, client_id: 'not-a-guid' }, 401, 'invalid_client'],
      [{ ...good, grant_type: 'password' }, 400, 'unsupported_grant_type'],
      [{ client_id: sp.appId, client_secret: sp.password, scope: ARM_SCOPE }, 400, 'invalid_request'],
      [{ client_id: sp.appId, grant_type: 'client_credentials', scope: ARM_SCOPE }, 400, 'invalid_request'],
      [{ client_secret: sp.password, grant_type: 'client_credentials', scope: ARM_SCOPE }, 400, 'invalid_request'],
      [{ client_id: sp.appId, client_secret: sp.password, grant_type: 'client_credentials' }, 400, 'invalid_request'],
      [{ ...good, scope: 'https://graph.microsoft.com/.default' }, 400, 'invalid_scope'],
      [{ ...good, scope: 'https://management.azure.com/user_impersonation' }, 400, 'invalid_scope'],
      [{ ...good, scope: `${ARM_SCOPE} https://graph.microsoft.com/.default` }, 400, 'invalid_scope'],
    ];
    const descriptions = new Set<string>();
    for (const [fields, status, error] of cases) {
      const res = await form('/adfs/oauth2/token', fields);
      expect(res.status, `${JSON.stringify(fields)}: ${res.text}`).toBe(status);
      expect(res.body).toEqual({ error, error_description: expect.any(String) });
      if (error === 'invalid_client') descriptions.add(res.body.error_description);
    }
    // Unknown client and wrong secret are refused alike: no oracle.
    expect(descriptions.size).toBe(1);
    const json = await berth.request('POST', '/adfs/oauth2/token', { token: null, body: good });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');
    const twice = await berth.request('POST', '/adfs/oauth2/token', {
      token: null,
      rawBody: `${new URLSearchParams(good).toString()}&client_id=${sp.appId}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(twice.status).toBe(400);
    expect(twice.body.error).toBe('invalid_request');
    const otherTenant = await form('/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token', good);
    expect(otherTenant.status).toBe(400);
    expect(otherTenant.body.error).toBe('invalid_request');
    expect(await listPrincipals()).toEqual(before);
    expect((await form('/adfs/oauth2/token', good)).status).toBe(200);
  });

  it('refuses expired, wrong-audience, wrongly signed and malformed JWTs with ARM 401s', async () => {
    const sp = await createPrincipal(berth, 'jwt-checks', { role: 'Owner' });
    const key = await signingKey();
    const kid = (await berth.request('GET', '/discovery/keys')).body.keys[0].kid;
    const now = Math.floor(Date.now() / 1000);
    const claims = { aud: 'https://management.azure.com/', iss: `${berth.url}/adfs`, sub: sp.objectId, oid: sp.objectId, appid: sp.appId, tid: tenant };
    const sign = (c: Record<string, unknown>, k = key, keyId = kid) => new SignJWT(c).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: keyId }).sign(k);

    const valid = await sign({ ...claims, iat: now, nbf: now - 60, exp: now + 600 });
    expect((await berth.request('GET', SUBSCRIPTIONS, { token: valid })).status).toBe(200);

    const refusals: Array<[string, string]> = [
      [await sign({ ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 }), 'ExpiredAuthenticationToken'],
      [await sign({ ...claims, aud: 'https://graph.microsoft.com/', iat: now, nbf: now, exp: now + 600 }), 'InvalidAuthenticationTokenAudience'],
      [await sign({ ...claims, iss: 'https://login.microsoftonline.com/x/v2.0', iat: now, nbf: now, exp: now + 600 }), 'InvalidAuthenticationToken'],
      [await sign({ ...claims, nbf: now + 3600, iat: now, exp: now + 7200 }), 'InvalidAuthenticationToken'],
      [await sign({ ...claims, iat: now, nbf: now }), 'InvalidAuthenticationToken'],
      [await sign({ ...claims, oid: '11111111-2222-3333-4444-555555555555', iat: now, nbf: now, exp: now + 600 }), 'InvalidAuthenticationToken'],
    ];
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const otherKey = await importPKCS8(other, 'RS256');
    const forged = { ...claims, iat: now, nbf: now, exp: now + 600 };
    refusals.push([await sign(forged, otherKey), 'InvalidAuthenticationToken']);
    refusals.push([await sign(forged, otherKey, 'another-kid'), 'InvalidAuthenticationToken']);
    const [header, payload] = valid.split('.');
    refusals.push([`${header}.${payload}.${valid.split('.')[2].slice(0, -4)}AAAA`, 'InvalidAuthenticationToken']);
    refusals.push([`${header}.bm90IGpzb24.c2ln`, 'InvalidAuthenticationToken']);
    refusals.push([`eyJhbGciOiJub25lIn0.${payload}.`, 'InvalidAuthenticationToken']);
    refusals.push([`eyJhbGciOiJub25lIn0.${payload}.x`, 'InvalidAuthenticationToken']);
    refusals.push([`eyJhbGciOiJIUzI1NiJ9.${payload}.c2ln`, 'InvalidAuthenticationToken']);
    for (const [token, code] of refusals) {
      const res = await berth.request('GET', SUBSCRIPTIONS, { token });
      expect(res.status, `${code}: ${res.text}`).toBe(401);
      expect(res.body.error.code).toBe(code);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    // A refused JWT is not cached as good, nor a good one spoiled by a refusal.
    expect((await berth.request('GET', SUBSCRIPTIONS, { token: valid })).status).toBe(200);
  });

  it("refuses a deleted principal's tokens within a second, and a reset secret's old value at once", async () => {
    const sp = await createPrincipal(berth, 'short-lived', { role: 'Contributor' });
    const token = await tokenOf(berth, sp);
    expect((await berth.request('GET', SUBSCRIPTIONS, { token })).status).toBe(200);

    const reset = await berth.request('POST', `/berth/servicePrincipals/${sp.appId}/resetCredential`, { body: {} });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.body).toMatchObject({ appId: sp.appId, tenant, password: expect.any(String) });
    expect(reset.body.password).not.toBe(sp.password);
    const old = await form('/adfs/oauth2/token', { client_id: sp.appId, client_secret: sp.password, grant_type: 'client_credentials', scope: ARM_SCOPE });
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    const fresh = await tokenOf(berth, { ...sp, password: reset.body.password });

    const deleted = await berth.request('DELETE', `/berth/servicePrincipals/${sp.appId}`);
    expect(deleted.status).toBe(204);
    const after = Date.now();
    for (const t of [token, fresh]) {
      for (;;) {
        const res = await berth.request('GET', SUBSCRIPTIONS, { token: t });
        if (res.status === 401) {
          expect(res.body.error.code).toBe('InvalidAuthenticationToken');
          break;
        }
        expect(res.status).toBe(200);
        expect(Date.now() - after).toBeLessThan(1000);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(Date.now() - after).toBeLessThan(1000);
    const gone = await form('/adfs/oauth2/token', {
      client_id: sp.appId,
      client_secret: reset.body.password,
      grant_type: 'client_credentials',
      scope: ARM_SCOPE,
    });
    expect(gone.status).toBe(401);
    expect((await berth.request('DELETE', `/berth/servicePrincipals/${sp.appId}`)).status).toBe(404);
  });

  it('decides access by the principal’s roles: a Reader reads and gets 403 on a write; no role sees nothing', async () => {
    const reader = await createPrincipal(berth, 'reader-sp', { role: 'Reader' });
    const token = await tokenOf(berth, reader);
    expect((await berth.request('GET', `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01`, { token })).status).toBe(200);
    const write = await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/reader-rg?api-version=2021-04-01`, { token, body: { location: 'westus' } });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('AuthorizationFailed');
    expect((await berth.request('GET', `/subscriptions/${sub}/resourcegroups/reader-rg?api-version=2021-04-01`)).status).toBe(404);
    // A Reader cannot make principals or tokens.
    expect((await berth.request('POST', '/berth/servicePrincipals', { token, body: { displayName: 'escalate' } })).status).toBe(403);
    expect(
      (await berth.request('POST', '/berth/servicePrincipals', { token, body: { displayName: 'x', role: 'Owner', scopes: [`/subscriptions/${sub}`] } })).status,
    ).toBe(403);

    const nobody = await createPrincipal(berth, 'no-role-sp');
    const none = await tokenOf(berth, nobody);
    const subs = await berth.request('GET', SUBSCRIPTIONS, { token: none });
    expect(subs.status).toBe(200);
    expect(subs.body.value).toEqual([]);
    expect((await berth.request('GET', `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01`, { token: none })).status).toBe(403);
  });

  it('manages principals: names are unique, scopes must exist, lists never hold secrets', async () => {
    const sp = await createPrincipal(berth, 'listed', { role: 'Reader' });
    expect((await berth.request('POST', '/berth/servicePrincipals', { body: { displayName: 'listed' } })).body.error.code).toBe('ServicePrincipalNameInUse');
    const rgScope = await berth.request('POST', '/berth/servicePrincipals', {
      body: { displayName: 'rg', role: 'Reader', scopes: [`/subscriptions/${sub}/resourceGroups/g`] },
    });
    // Resource group scopes are role assignments now; this group does not exist.
    expect(rgScope.status).toBe(404);
    expect(rgScope.body.error.code).toBe('ResourceGroupNotFound');
    const badScope = await berth.request('POST', '/berth/servicePrincipals', { body: { displayName: 'bad', role: 'Reader', scopes: ['/tenants/x'] } });
    expect(badScope.status).toBe(400);
    expect(badScope.body.error.code).toBe('InvalidScope');
    const roleOnly = await berth.request('POST', '/berth/servicePrincipals', { body: { displayName: 'role-only', role: 'Reader' } });
    expect(roleOnly.status).toBe(400);
    const missing = await berth.request('POST', '/berth/servicePrincipals', {
      body: { displayName: 'missing', role: 'Reader', scopes: ['/subscriptions/00000000-0000-0000-0000-000000000000'] },
    });
    expect(missing.status).toBe(404);
    const list = await berth.request('GET', '/berth/servicePrincipals');
    expect(list.status).toBe(200);
    expect(list.body.value.find((p: { appId: string }) => p.appId === sp.appId)).toMatchObject({
      displayName: 'listed',
      objectId: sp.objectId,
      roles: { [sub]: 'Reader' },
    });
    expect(list.text).not.toContain(sp.password);
    expect(list.text).not.toMatch(/password"|secret/i);
    // Berth tokens keep working as before, side by side.
    expect((await berth.request('GET', SUBSCRIPTIONS, { token: berth.token })).status).toBe(200);
    expect(credential(berth.token)).toBeDefined();
  });
});
