import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError } from '@berth/arm';
import { listRegions } from '@berth/catalog';
import { Provider, ProviderList, SubscriptionLocationList, TenantList } from '@berth/shapes';
import { listSubscriptions } from '@berth/store';
import type { ResourceProvider, ResourceTypeMetadata } from '../app.js';
import { requireApiVersion } from '../plugins/api-version.js';
import { hasRoleIn } from '../roles.js';
import { SUBSCRIPTIONS_MINIMUM_API_VERSION } from './subscriptions.js';

const RESOURCES = 'Microsoft.Resources';
/** The providers API (`az provider show`, `az resource show`'s lookup at 2021-04-01): any version from this one on. */
const PROVIDERS_MINIMUM_API_VERSION = '2016-09-01';

/** Real Azure versions at or after each route's minimum, so each is served: resource groups from 2021-04-01, the rest as above. */
const RESOURCE_GROUP_API_VERSIONS = ['2025-04-01', '2024-11-01', '2024-07-01', '2024-03-01', '2023-07-01', '2022-09-01', '2021-04-01'];
const SUBSCRIPTION_API_VERSIONS = ['2022-12-01', '2021-01-01', '2020-01-01', '2019-11-01', '2019-06-01', '2016-06-01'].filter(
  (v) => v >= SUBSCRIPTIONS_MINIMUM_API_VERSION,
);
const PROVIDER_API_VERSIONS = ['2025-04-01', '2024-11-01', '2024-03-01', '2022-09-01', '2021-04-01', '2021-01-01', '2019-10-01', '2016-09-01'].filter(
  (v) => v >= PROVIDERS_MINIMUM_API_VERSION,
);

/** What the front door itself serves of `Microsoft.Resources`. */
const resourcesTypes: ResourceTypeMetadata[] = [
  { resourceType: 'tenants', apiVersions: SUBSCRIPTION_API_VERSIONS, locations: 'global' },
  { resourceType: 'subscriptions', apiVersions: SUBSCRIPTION_API_VERSIONS, locations: 'global' },
  { resourceType: 'subscriptions/locations', apiVersions: SUBSCRIPTION_API_VERSIONS, locations: 'global' },
  { resourceType: 'providers', apiVersions: PROVIDER_API_VERSIONS, locations: 'global' },
  { resourceType: 'subscriptions/providers', apiVersions: PROVIDER_API_VERSIONS, locations: 'global' },
  { resourceType: 'resourceGroups', apiVersions: RESOURCE_GROUP_API_VERSIONS },
  { resourceType: 'subscriptions/resourceGroups', apiVersions: RESOURCE_GROUP_API_VERSIONS },
];

/** Newest first (`az resource show` takes the first non-preview one), each once. */
function newestFirst(versions: readonly string[]): string[] {
  return [...new Set(versions)].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/**
 * Provider metadata (`GET /subscriptions/{s}/providers[/{namespace}]`), the subscription's
 * locations, and the caller's tenants: what `az resource show`, `az account list-locations`
 * and `az login` read. Every namespace is always `Registered`.
 */
export function providerRoutes(providers: ResourceProvider[]) {
  const namespaces = [{ namespace: RESOURCES, resourceTypes: resourcesTypes }, ...providers];
  const byName = new Map(namespaces.map((p) => [p.namespace.toLowerCase(), p]));

  return async function routes(parent: FastifyInstance): Promise<void> {
    const { db } = parent.berth;

    function providerBody(subscriptionId: string, p: { namespace: string; resourceTypes?: ResourceTypeMetadata[] }): Provider {
      const regions = listRegions().map((r) => r.displayName);
      return {
        id: `/subscriptions/${subscriptionId}/providers/${p.namespace}`,
        namespace: p.namespace,
        registrationState: 'Registered',
        registrationPolicy: 'RegistrationRequired',
        resourceTypes: (p.resourceTypes ?? []).map((t) => ({
          resourceType: t.resourceType,
          locations: t.locations === 'global' ? [] : regions,
          apiVersions: newestFirst(t.apiVersions),
        })),
      };
    }

    await parent.register(async (scope) => {
      const app = scope.withTypeProvider<TypeBoxTypeProvider>();
      app.addHook('onRequest', requireApiVersion({ minimum: PROVIDERS_MINIMUM_API_VERSION, what: 'resource providers' }));
      const Params = Type.Object({ subscriptionId: Type.String() });

      app.get(
        '/subscriptions/:subscriptionId/providers',
        { config: { access: 'read' }, schema: { params: Params, response: { 200: ProviderList } } },
        async (request) => ({ value: namespaces.map((p) => providerBody(request.params.subscriptionId, p)) }),
      );

      app.get(
        '/subscriptions/:subscriptionId/providers/:namespace',
        {
          config: { access: 'read' },
          schema: { params: Type.Object({ subscriptionId: Type.String(), namespace: Type.String() }), response: { 200: Provider } },
        },
        async (request) => {
          const found = byName.get(request.params.namespace.toLowerCase());
          if (!found) throw new ArmError(404, 'InvalidResourceNamespace', `The resource namespace '${request.params.namespace}' is invalid.`);
          return providerBody(request.params.subscriptionId, found);
        },
      );
    });

    await parent.register(async (scope) => {
      const app = scope.withTypeProvider<TypeBoxTypeProvider>();
      app.addHook('onRequest', requireApiVersion({ minimum: SUBSCRIPTIONS_MINIMUM_API_VERSION, what: 'subscriptions' }));

      app.get(
        '/subscriptions/:subscriptionId/locations',
        { config: { access: 'read' }, schema: { params: Type.Object({ subscriptionId: Type.String() }), response: { 200: SubscriptionLocationList } } },
        async (request) => {
          const sub = request.params.subscriptionId;
          const id = (name: string) => `/subscriptions/${sub}/locations/${name}`;
          return {
            value: listRegions().map((r) => ({
              id: id(r.name),
              name: r.name,
              type: 'Region',
              displayName: r.displayName,
              regionalDisplayName: r.displayName,
              metadata: {
                regionType: 'Physical',
                regionCategory: 'Recommended',
                pairedRegion: r.pairedRegion ? [{ name: r.pairedRegion, id: id(r.pairedRegion) }] : [],
              },
            })),
          };
        },
      );

      // `az login` without --tenant: the tenants of the subscriptions the caller has a role on, nothing of the others.
      app.get('/tenants', { config: { access: 'signed-in' }, schema: { response: { 200: TenantList } } }, async (request) => {
        const principal = request.principal!;
        const rows = (await listSubscriptions(db)).filter((r) => hasRoleIn(principal, r.subscription_id));
        const tenantIds = [...new Set(rows.map((r) => r.tenant_id))];
        return {
          value: tenantIds.map((tenantId) => ({
            id: `/tenants/${tenantId}`,
            tenantId,
            displayName: 'Berth',
            tenantCategory: 'Home',
            tenantType: 'AAD',
            defaultDomain: 'berth.local',
            domains: ['berth.local'],
          })),
        };
      });
    });
  };
}
