import { describe, expect, it } from 'vitest';
import { supportedKubernetesVersions } from '@berth/catalog';
import { attachBlockers, type ClusterSummary } from '../src/wizard.js';

const cluster: ClusterSummary = {
  id: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/clusters-rg/providers/Microsoft.ContainerService/managedClusters/good',
  name: 'good',
  location: 'westus',
  properties: {
    provisioningState: 'Succeeded',
    kubernetesVersion: supportedKubernetesVersions('westus')[0],
    agentPoolProfiles: [{ count: 3, vmSize: 'Standard_D3_v2' }],
  },
};

describe("attachBlockers: the signed-in principal's rights on the cluster", () => {
  it('marks a cluster the principal may not act on, with the group to ask for Contributor on', () => {
    expect(attachBlockers(cluster, 'FastProd', undefined, '127.0.0.1', false)).toEqual([
      "You need Contributor on this cluster's resource group (clusters-rg) or on the cluster to attach it",
    ]);
  });

  it('leaves a cluster the principal may act on, or whose permissions are still being asked, to the other checks', () => {
    expect(attachBlockers(cluster, 'FastProd', undefined, '127.0.0.1', true)).toEqual([]);
    expect(attachBlockers(cluster, 'FastProd', undefined, '127.0.0.1')).toEqual([]);
    expect(attachBlockers(cluster, 'FastProd', 'held (workspace ws2)', '127.0.0.1', false)).toHaveLength(2);
  });
});
