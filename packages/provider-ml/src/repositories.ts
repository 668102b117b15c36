import { ComputeBody, Workspace } from '@berth/shapes';
import { resourceRepository } from '@berth/store';

export const NAMESPACE = 'Microsoft.MachineLearningServices';
export const WORKSPACE_TYPE = `${NAMESPACE}/workspaces`;
export const COMPUTE_TYPE = `${WORKSPACE_TYPE}/computes`;

export const workspaces = resourceRepository(WORKSPACE_TYPE, Workspace);
export const computes = resourceRepository(COMPUTE_TYPE, ComputeBody);
