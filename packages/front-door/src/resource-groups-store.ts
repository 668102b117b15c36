import { ArmError, idKey, resourceGroupId } from '@berth/arm';
import { ResourceGroup } from '@berth/shapes';
import { resourceRepository, type Db } from '@berth/store';

export const RESOURCE_GROUP_TYPE = 'Microsoft.Resources/resourceGroups';

export type ResourceGroupBody = ResourceGroup;

export const resourceGroups = resourceRepository(RESOURCE_GROUP_TYPE, ResourceGroup);

/** The resource group a resource goes in; 404 `ResourceGroupNotFound` or 409 while it is being deleted. */
export async function requireResourceGroup(db: Db, subscriptionId: string, resourceGroup: string): Promise<ResourceGroupBody> {
  const group = await resourceGroups.get(db, idKey(resourceGroupId(subscriptionId, resourceGroup)));
  if (!group) {
    throw new ArmError(
      404,
      'ResourceGroupNotFound',
      `Resource group '${resourceGroup}' could not be found. Create it first (PUT /subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}, or \`berth group create -n ${resourceGroup} -l <location>\`).`,
    );
  }
  const { body } = group;
  if (body.properties.provisioningState === 'Deleting') {
    throw new ArmError(409, 'ResourceGroupBeingDeleted', `The resource group '${body.name}' is being deleted; nothing can be created or changed in it.`);
  }
  return body;
}
