import { ManagedCluster } from '@berth/shapes';
import { resourceRepository } from '@berth/store';
import { MANAGED_CLUSTER_TYPE } from './names.js';

export type ManagedClusterBody = ManagedCluster;

export const managedClusters = resourceRepository(MANAGED_CLUSTER_TYPE, ManagedCluster);
