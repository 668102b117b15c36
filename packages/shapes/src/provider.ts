import { Type, type Static } from '@sinclair/typebox';

/** A resource type of a provider: where it is offered and the api-versions it is served at, newest first. */
export const ProviderResourceType = Type.Object({
  resourceType: Type.String(),
  locations: Type.Array(Type.String()),
  apiVersions: Type.Array(Type.String()),
  defaultApiVersion: Type.Optional(Type.String()),
  capabilities: Type.Optional(Type.String()),
});

/** `GET /subscriptions/{s}/providers/{namespace}`. */
export const Provider = Type.Object({
  id: Type.String(),
  namespace: Type.String(),
  registrationState: Type.String(),
  registrationPolicy: Type.String(),
  resourceTypes: Type.Array(ProviderResourceType),
});
export type Provider = Static<typeof Provider>;

export const ProviderList = Type.Object({ value: Type.Array(Provider) });

/** `GET /tenants`: the tenants of the subscriptions the caller can see. */
export const Tenant = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  displayName: Type.String(),
  tenantCategory: Type.String(),
  defaultDomain: Type.String(),
  domains: Type.Array(Type.String()),
  tenantType: Type.String(),
});
export type Tenant = Static<typeof Tenant>;

export const TenantList = Type.Object({ value: Type.Array(Tenant) });

/** `GET /subscriptions/{s}/locations`: the catalog's regions as `az account list-locations` reads them. */
export const SubscriptionLocation = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  displayName: Type.String(),
  regionalDisplayName: Type.String(),
  metadata: Type.Object({
    regionType: Type.String(),
    regionCategory: Type.String(),
    pairedRegion: Type.Array(Type.Object({ name: Type.String(), id: Type.String() })),
  }),
});
export type SubscriptionLocation = Static<typeof SubscriptionLocation>;

export const SubscriptionLocationList = Type.Object({ value: Type.Array(SubscriptionLocation) });
