import { ArmError, idKey, resourceGroupId } from '@berth/arm';
import { getResource, type Db } from '@berth/store';

export const RESOURCE_GROUP_TYPE = 'Microsoft.Resources/resourceGroups';

export interface ResourceGroupBody {
  id: string;
  name: string;
  type: string;
  location: string;
  tags?: Record<string, string>;
  managedBy?: string;
  properties: { provisioningState: string };
}

/** The resource group a resource goes in; 404 `ResourceGroupNotFound` or 409 while it is being deleted. */
export async function requireResourceGroup(db: Db, subscriptionId: string, resourceGroup: string): Promise<ResourceGroupBody> {
  const row = await getResource(db, idKey(resourceGroupId(subscriptionId, resourceGroup)));
  if (!row) {
    throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found. Create it first (PUT /subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}, or \`berth group create -n ${resourceGroup} -l <location>\`).`);
  }
  const body = JSON.parse(row.body) as ResourceGroupBody;
  if (body.properties.provisioningState === 'Deleting') {
    throw new ArmError(409, 'ResourceGroupBeingDeleted', `The resource group '${body.name}' is being deleted; nothing can be created or changed in it.`);
  }
  return body;
}
