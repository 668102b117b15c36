import { resourceScopeOf, type ArmErrorDetail } from '@berth/arm';
import { PolicyAssignment } from '@berth/shapes';
import { resourceRepository, type Db } from '@berth/store';

export const POLICY_ASSIGNMENT_TYPE = 'Microsoft.Authorization/policyAssignments';
/** Policy assignments are served at any api-version from this one on. */
export const POLICY_ASSIGNMENT_MINIMUM_API_VERSION = '2019-09-01';
/** The built-in "Not allowed resource types" definition, the only one the local cloud evaluates. */
export const NOT_ALLOWED_RESOURCE_TYPES = '/providers/Microsoft.Authorization/policyDefinitions/6c112d4e-5bc7-47ae-a041-ea2d9dccd749';

export type PolicyAssignmentBody = PolicyAssignment;

export const policyAssignments = resourceRepository(POLICY_ASSIGNMENT_TYPE, PolicyAssignment);

/**
 * The policy error ARM gives when an assignment forbids a resource type a
 * deployment needs (the article's R10: AKS needs a public IP for egress).
 */
export async function policyDenial(db: Db, subscriptionId: string, resourceId: string, neededTypes: string[]): Promise<ArmErrorDetail | undefined> {
  for (const { body: assignment } of await policyAssignments.list(db, { subscriptionKey: subscriptionId.toLowerCase() }, { limit: 1000 })) {
    if (assignment.properties.enforcementMode === 'DoNotEnforce') continue;
    const forbidden = assignment.properties.parameters.listOfResourceTypesNotAllowed.value.map((t) => t.toLowerCase());
    const hit = neededTypes.find((t) => forbidden.includes(t.toLowerCase()));
    if (!hit) continue;
    const label = assignment.properties.displayName ? `'${assignment.properties.displayName}' (${assignment.name})` : `'${assignment.name}'`;
    return {
      code: 'RequestDisallowedByPolicy',
      target: hit,
      message: `Resource '${resourceScopeOf(resourceId)?.name ?? resourceId}' was disallowed by policy. The cluster needs a resource of type '${hit}' (a public IP for its egress and load balancer), which the policy assignment ${label} forbids. Policy identifiers: '[{"policyAssignment":{"name":"${assignment.name}","id":"${assignment.id}"},"policyDefinition":{"name":"Not allowed resource types","id":"${assignment.properties.policyDefinitionId}"}}]'. Remove the type from the assignment's listOfResourceTypesNotAllowed, or create the cluster with outboundType userDefinedRouting behind a firewall and attach it.`,
    };
  }
  return undefined;
}
