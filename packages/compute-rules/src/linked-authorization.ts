import type { Permission } from '@berth/shapes';

/**
 * What acting on a compute does to its cluster, as the ContainerService action ARM checks on the
 * linked scope: Berth reads the cluster's admin credential on the caller's behalf to attach, update,
 * detach or hand out keys, writes the cluster to create or scale it, and deletes it with its compute.
 */
export const clusterActions = {
  credentials: 'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
  write: 'Microsoft.ContainerService/managedClusters/write',
  delete: 'Microsoft.ContainerService/managedClusters/delete',
} as const;
export type ClusterAction = (typeof clusterActions)[keyof typeof clusterActions];

/** An action pattern of a role definition as a regular expression: `*` matches anything, case is ignored. */
function patternOf(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
}

/**
 * Whether `permissions` (what `{scope}/providers/Microsoft.Authorization/permissions` lists) allow
 * `action`, as ARM decides: some entry has an action matching it and no notAction that does.
 */
export function permits(permissions: readonly Permission[], action: string): boolean {
  return permissions.some((p) => p.actions.some((a) => patternOf(a).test(action)) && !p.notActions.some((n) => patternOf(n).test(action)));
}
