import { describe, expect, it } from 'vitest';
import { builtInRoles } from '@berth/arm';
import { clusterActions, permits } from '@berth/compute-rules';

const permissionsOf = (...names: string[]) =>
  names.map((name) => {
    const role = builtInRoles.find((r) => r.roleName === name)!;
    return { actions: [...role.actions], notActions: [...role.notActions], dataActions: [], notDataActions: [] };
  });

describe("permits: ARM's action matching on the built-in roles", () => {
  it('lets Owner and Contributor act on a cluster, not Reader, nor no role at all', () => {
    for (const action of Object.values(clusterActions)) {
      expect(permits(permissionsOf('Owner'), action), `Owner ${action}`).toBe(true);
      expect(permits(permissionsOf('Contributor'), action), `Contributor ${action}`).toBe(true);
      expect(permits(permissionsOf('Reader'), action), `Reader ${action}`).toBe(false);
      expect(permits([], action), `no role ${action}`).toBe(false);
    }
    // Any entry that allows is enough: Reader and Contributor together act.
    expect(permits(permissionsOf('Reader', 'Contributor'), clusterActions.credentials)).toBe(true);
  });

  it("matches wildcards whole and without case, and an entry's notActions take its actions back", () => {
    expect(permits(permissionsOf('Reader'), 'Microsoft.ContainerService/managedClusters/read')).toBe(true);
    expect(permits(permissionsOf('Reader'), 'microsoft.containerservice/MANAGEDCLUSTERS/READ')).toBe(true);
    expect(permits(permissionsOf('Reader'), 'Microsoft.ContainerService/managedClusters/read/x')).toBe(false);
    expect(permits(permissionsOf('Contributor'), 'Microsoft.Authorization/roleAssignments/write')).toBe(false);
    expect(permits(permissionsOf('Owner'), 'Microsoft.Authorization/roleAssignments/write')).toBe(true);
    // Regular-expression characters in a pattern are literal.
    const dotted = [{ actions: ['Microsoft.ContainerService/managedClusters/*'], notActions: [], dataActions: [], notDataActions: [] }];
    expect(permits(dotted, clusterActions.write)).toBe(true);
    expect(permits(dotted, 'MicrosoftXContainerService/managedClusters/write')).toBe(false);
  });
});
