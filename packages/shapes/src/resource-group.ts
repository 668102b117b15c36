import { Type, type Static } from '@sinclair/typebox';
import { Location, Tags } from './arm-common.js';

export const ResourceGroupName = Type.String({
  minLength: 1,
  maxLength: 90,
  pattern: '^[-\\w\\._\\(\\)]*[-\\w_\\(\\)]$',
  description: 'Letters, digits, underscores, hyphens, periods and parentheses; 1 to 90 characters; not ending in a period.',
});

export const ResourceGroupParams = Type.Object({ subscriptionId: Type.String(), resourceGroupName: ResourceGroupName });

export const ResourceGroupPut = Type.Object({
  location: Location,
  tags: Type.Optional(Tags),
  managedBy: Type.Optional(Type.String()),
  properties: Type.Optional(Type.Object({})),
});
export type ResourceGroupPut = Static<typeof ResourceGroupPut>;

export const ResourceGroupPatch = Type.Object({ tags: Type.Optional(Tags), managedBy: Type.Optional(Type.String()) });
export type ResourceGroupPatch = Static<typeof ResourceGroupPatch>;

export const ResourceGroup = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  location: Type.String(),
  tags: Type.Optional(Tags),
  managedBy: Type.Optional(Type.String()),
  properties: Type.Object({ provisioningState: Type.String() }),
});

export type ResourceGroup = Static<typeof ResourceGroup>;

export const ResourceGroupList = Type.Object({ value: Type.Array(ResourceGroup), nextLink: Type.Optional(Type.String()) });
