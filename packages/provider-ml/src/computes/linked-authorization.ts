import { ArmError, parseScope } from '@berth/arm';
import { permissionsAt, type LinkedScope, type Principal } from '@berth/front-door';
import { clusterActions, permits, type ClusterAction } from '@berth/compute-rules';
import type { ComputeBody } from '@berth/shapes';

/** The compute actions that act on its cluster, as ARM names them on the compute's scope. */
export const computeActions = {
  write: 'Microsoft.MachineLearningServices/workspaces/computes/write',
  delete: 'Microsoft.MachineLearningServices/workspaces/computes/delete',
  listKeys: 'Microsoft.MachineLearningServices/workspaces/computes/listKeys/action',
  listNodes: 'Microsoft.MachineLearningServices/workspaces/computes/listNodes/action',
} as const;

/**
 * ARM's linked access check: a request that makes Berth act on a cluster (with Berth's own
 * identity) must come from a caller who may do that to the cluster itself, judged on the caller's
 * permissions at the cluster's scope as the front door resolves them. Otherwise the compute would
 * be a confused deputy: a Contributor of one group reaching a cluster in another. Throws the 403.
 */
export function requireLinkedAccess(
  principal: Principal | null,
  check: { action: string; computeId: string; clusterId: string; clusterAction: ClusterAction },
): void {
  const scope = parseScope(check.clusterId);
  if (principal && scope && permits(permissionsAt(principal, scope.path), check.clusterAction)) return;
  const who = principal?.name ?? 'unknown';
  throw new ArmError(
    403,
    'LinkedAuthorizationFailed',
    `The client '${who}' with object id '${principal?.principalId ?? who}' has permission to perform action '${check.action}' on scope '${check.computeId}'; however, it does not have permission to perform action '${check.clusterAction}' on the linked scope(s) '${check.clusterId}' or the linked scope(s) are invalid. Ask an Owner for Contributor on the cluster or its resource group.`,
  );
}

/**
 * Where a resource group's deletion acts through one of its computes: its delete hook removes Berth's
 * objects from the cluster with the cluster's admin credential, as detach does, wherever the cluster lives.
 */
export function clusterLinkOf(body: ComputeBody): LinkedScope[] {
  return [{ scope: body.properties.resourceId, action: clusterActions.credentials }];
}
