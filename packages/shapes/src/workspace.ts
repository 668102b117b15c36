import { Type, type Static } from '@sinclair/typebox';
import { Location, Tags } from './arm-common.js';

const IdentityType = Type.Union(['None', 'SystemAssigned', 'UserAssigned', 'SystemAssigned,UserAssigned'].map((t) => Type.Literal(t)));

export const ManagedServiceIdentityInput = Type.Object({
  type: IdentityType,
  userAssignedIdentities: Type.Optional(Type.Record(Type.String(), Type.Object({}))),
});

const ManagedServiceIdentity = Type.Object({
  type: Type.String(),
  principalId: Type.Optional(Type.String()),
  tenantId: Type.Optional(Type.String()),
  userAssignedIdentities: Type.Optional(Type.Record(Type.String(), Type.Object({ principalId: Type.String(), clientId: Type.String() }))),
});

export const Sku = Type.Object({
  name: Type.String({ minLength: 1 }),
  tier: Type.Optional(Type.Union(['Free', 'Basic', 'Standard', 'Premium'].map((t) => Type.Literal(t)))),
});

const PublicNetworkAccess = Type.Union([Type.Literal('Enabled'), Type.Literal('Disabled')]);

/** Fields a client may set on create; read-only fields a client echoes back are accepted and ignored. */
const WorkspacePropertiesInput = Type.Object({
  friendlyName: Type.Optional(Type.String({ maxLength: 256 })),
  description: Type.Optional(Type.String({ maxLength: 2048 })),
  keyVault: Type.Optional(Type.String()),
  applicationInsights: Type.Optional(Type.String()),
  containerRegistry: Type.Optional(Type.String()),
  storageAccount: Type.Optional(Type.String()),
  discoveryUrl: Type.Optional(Type.String()),
  hbiWorkspace: Type.Optional(Type.Boolean()),
  imageBuildCompute: Type.Optional(Type.String()),
  allowPublicAccessWhenBehindVnet: Type.Optional(Type.Boolean()),
  publicNetworkAccess: Type.Optional(PublicNetworkAccess),
  primaryUserAssignedIdentity: Type.Optional(Type.String()),
  v1LegacyMode: Type.Optional(Type.Boolean()),
  encryption: Type.Optional(Type.Object({})),
  sharedPrivateLinkResources: Type.Optional(Type.Array(Type.Object({}))),
});

export const WorkspacePut = Type.Object({
  location: Location,
  tags: Type.Optional(Tags),
  identity: Type.Optional(ManagedServiceIdentityInput),
  sku: Type.Optional(Sku),
  kind: Type.Optional(Type.String()),
  properties: Type.Optional(WorkspacePropertiesInput),
});
export type WorkspacePut = Static<typeof WorkspacePut>;

export const WorkspacePatch = Type.Object({
  tags: Type.Optional(Tags),
  sku: Type.Optional(Sku),
  identity: Type.Optional(ManagedServiceIdentityInput),
  properties: Type.Optional(
    Type.Object({
      friendlyName: Type.Optional(Type.String({ maxLength: 256 })),
      description: Type.Optional(Type.String({ maxLength: 2048 })),
      imageBuildCompute: Type.Optional(Type.String()),
      primaryUserAssignedIdentity: Type.Optional(Type.String()),
      publicNetworkAccess: Type.Optional(PublicNetworkAccess),
      applicationInsights: Type.Optional(Type.String()),
      containerRegistry: Type.Optional(Type.String()),
      v1LegacyMode: Type.Optional(Type.Boolean()),
    }),
  ),
});
export type WorkspacePatch = Static<typeof WorkspacePatch>;

const SystemData = Type.Object({
  createdBy: Type.String(),
  createdByType: Type.String(),
  createdAt: Type.String(),
  lastModifiedBy: Type.String(),
  lastModifiedByType: Type.String(),
  lastModifiedAt: Type.String(),
});

export const Workspace = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  location: Type.String(),
  tags: Type.Optional(Tags),
  identity: Type.Optional(ManagedServiceIdentity),
  sku: Type.Optional(Sku),
  kind: Type.Optional(Type.String()),
  systemData: SystemData,
  properties: Type.Object({
    workspaceId: Type.String(),
    provisioningState: Type.String(),
    friendlyName: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    keyVault: Type.Optional(Type.String()),
    applicationInsights: Type.Optional(Type.String()),
    containerRegistry: Type.Optional(Type.String()),
    storageAccount: Type.Optional(Type.String()),
    discoveryUrl: Type.String(),
    hbiWorkspace: Type.Boolean(),
    imageBuildCompute: Type.Optional(Type.String()),
    allowPublicAccessWhenBehindVnet: Type.Boolean(),
    publicNetworkAccess: Type.String(),
    primaryUserAssignedIdentity: Type.Optional(Type.String()),
    v1LegacyMode: Type.Boolean(),
    serviceProvisionedResourceGroup: Type.String(),
    privateLinkCount: Type.Integer(),
    tenantId: Type.String(),
    storageHbiWorkspace: Type.Boolean(),
    mlFlowTrackingUri: Type.String(),
  }),
});
export type Workspace = Static<typeof Workspace>;

export const WorkspaceList = Type.Object({ value: Type.Array(Workspace), nextLink: Type.Optional(Type.String()) });
