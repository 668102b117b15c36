import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { httpsRequest, type HttpResponse, type TestBerth } from './berth.js';

/** The scope `az login --service-principal` asks Berth's token service for. */
export const ARM_SCOPE = 'https://management.core.windows.net//.default';
const AUTHZ_API = 'api-version=2022-04-01';
const RG_API = 'api-version=2021-04-01';

export type BuiltInRole = 'Owner' | 'Contributor' | 'Reader';
const BUILT_IN_ROLES: readonly string[] = ['Owner', 'Contributor', 'Reader'] satisfies BuiltInRole[];

/** What the helpers call: a `TestBerth`, or `berthAt` for a `berth up` in its own process. */
export type BerthRequests = Pick<TestBerth, 'request'>;
type Berth = Pick<TestBerth, 'request' | 'subscriptionId'>;

export interface ServicePrincipal {
  /** The display name the test gave it. */
  name: string;
  appId: string;
  objectId: string;
  password: string;
  tenant: string;
}

/** Requests to the Berth at `url` with its CA, sending only the token each call names. */
export function berthAt(url: string, ca: string): BerthRequests {
  return { request: (method, path, options) => httpsRequest(new URL(path, url).toString(), ca, method, options) };
}

/**
 * A new service principal, made by the admin (or whoever `token` is), as `berth ad sp create-for-rbac` makes one:
 * with `role` at `scope` (the subscription unless named), or with no role at all.
 */
export async function createPrincipal(
  berth: Berth,
  name: string,
  options: { role?: BuiltInRole; scope?: string; token?: string } = {},
): Promise<ServicePrincipal> {
  const res = await berth.request('POST', '/berth/servicePrincipals', {
    ...(options.token ? { token: options.token } : {}),
    body: { displayName: name, ...(options.role ? { role: options.role, scopes: [options.scope ?? `/subscriptions/${berth.subscriptionId}`] } : {}) },
  });
  expect(res.status, res.text).toBe(201);
  return { name, appId: res.body.appId, objectId: res.body.objectId, password: res.body.password, tenant: res.body.tenant };
}

/** The token service's answer to a client id and secret (client_credentials), whatever it is. */
export function signIn(berth: BerthRequests, appId: string, secret: string, options: { scope?: string; path?: string } = {}): Promise<HttpResponse> {
  return berth.request('POST', options.path ?? '/adfs/oauth2/token', {
    token: null,
    rawBody: new URLSearchParams({ client_id: appId, client_secret: secret, grant_type: 'client_credentials', scope: options.scope ?? ARM_SCOPE }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** A fresh access token of `sp` from the token endpoint at `path` (ADFS's unless named), as `az login --service-principal` gets one. */
export async function tokenOf(
  berth: BerthRequests,
  sp: Pick<ServicePrincipal, 'appId' | 'password'>,
  options: { scope?: string; path?: string } = {},
): Promise<string> {
  const res = await signIn(berth, sp.appId, sp.password, options);
  expect(res.status, res.text).toBe(200);
  return res.body.access_token;
}

/** A role assignment PUT at `scope` as sent, by the admin unless `token` is given; its answer unchecked. */
export function putRoleAssignment(
  berth: BerthRequests,
  scope: string,
  principalId: string,
  roleDefinitionId: string,
  options: { token?: string; name?: string } = {},
): Promise<HttpResponse> {
  return berth.request('PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${options.name ?? randomUUID()}?${AUTHZ_API}`, {
    ...(options.token ? { token: options.token } : {}),
    body: { properties: { roleDefinitionId, principalId, principalType: 'ServicePrincipal' } },
  });
}

/**
 * Assigns `sp` a role at `scope` as the admin: a built-in role by name, its definition looked up as Berth lists it
 * (whatever GUID it has), or any role definition by its id (a GUID or a full id), sent as given. Answers the assignment.
 */
export async function assign(
  berth: Berth,
  sp: Pick<ServicePrincipal, 'objectId'>,
  role: BuiltInRole | string,
  scope: string,
): Promise<{ id: string; name: string }> {
  let roleDefinitionId = role;
  if (BUILT_IN_ROLES.includes(role)) {
    const filter = encodeURIComponent(`roleName eq '${role}'`);
    const definitions = await berth.request(
      'GET',
      `/subscriptions/${berth.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions?${AUTHZ_API}&$filter=${filter}`,
    );
    expect(definitions.body.value, definitions.text).toHaveLength(1);
    roleDefinitionId = definitions.body.value[0].id;
  }
  const res = await putRoleAssignment(berth, scope, sp.objectId, roleDefinitionId);
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** A new resource group `name` in westus, made by the admin; answers its scope. */
export async function createGroup(berth: Berth, name: string): Promise<string> {
  const scope = `/subscriptions/${berth.subscriptionId}/resourceGroups/${name}`;
  const res = await berth.request('PUT', `${scope}?${RG_API}`, { body: { location: 'westus' } });
  expect(res.status, res.text).toBe(201);
  return scope;
}
