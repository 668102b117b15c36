import type { ArmErrorDetail } from '@berth/arm';
import { listResources, type Db } from '@berth/store';

export const POLICY_ASSIGNMENT_TYPE = 'Microsoft.Authorization/policyAssignments';
/** The built-in "Not allowed resource types" definition, the only one the local cloud evaluates. */
export const NOT_ALLOWED_RESOURCE_TYPES = '/providers/Microsoft.Authorization/policyDefinitions/6c112d4e-5bc7-47ae-a041-ea2d9dccd749';

export interface PolicyAssignmentBody {
  id: string;
  name: string;
  type: string;
  properties: {
    displayName?: string;
    description?: string;
    policyDefinitionId: string;
    scope: string;
    notScopes: string[];
    parameters: { listOfResourceTypesNotAllowed: { value: string[] } };
    enforcementMode: string;
  };
}

/**
 * The policy error ARM gives when an assignment forbids a resource type a
 * deployment needs (the article's R10: AKS needs a public IP for egress).
 */
export async function policyDenial(db: Db, subscriptionId: string, resourceId: string, neededTypes: string[]): Promise<ArmErrorDetail | undefined> {
  const rows = await listResources(db, { typeKey: POLICY_ASSIGNMENT_TYPE.toLowerCase(), subscriptionKey: subscriptionId.toLowerCase() }, { limit: 1000 });
  for (const row of rows) {
    const assignment = JSON.parse(row.body) as PolicyAssignmentBody;
    if (assignment.properties.enforcementMode === 'DoNotEnforce') continue;
    const forbidden = assignment.properties.parameters.listOfResourceTypesNotAllowed.value.map((t) => t.toLowerCase());
    const hit = neededTypes.find((t) => forbidden.includes(t.toLowerCase()));
    if (!hit) continue;
    const label = assignment.properties.displayName ? `'${assignment.properties.displayName}' (${assignment.name})` : `'${assignment.name}'`;
    return {
      code: 'RequestDisallowedByPolicy',
      target: hit,
      message: `Resource '${resourceId.split('/').pop()}' was disallowed by policy. The cluster needs a resource of type '${hit}' (a public IP for its egress and load balancer), which the policy assignment ${label} forbids. Policy identifiers: '[{"policyAssignment":{"name":"${assignment.name}","id":"${assignment.id}"},"policyDefinition":{"name":"Not allowed resource types","id":"${assignment.properties.policyDefinitionId}"}}]'. Remove the type from the assignment's listOfResourceTypesNotAllowed, or create the cluster with outboundType userDefinedRouting behind a firewall and attach it.`,
    };
  }
  return undefined;
}
