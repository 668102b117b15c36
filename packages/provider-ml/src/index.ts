import type { ResourceProvider } from '@berth/front-door';
import { workspaceOperationHandlers } from './workspaces/workspace-operations.js';
import { NAMESPACE, workspaceRoutes } from './workspaces/workspace-routes.js';

export { ML_API_VERSIONS, NAMESPACE, WORKSPACE_TYPE } from './workspaces/workspace-routes.js';

/** The `Microsoft.MachineLearningServices` provider. */
export function machineLearningProvider(settings: { provisioningDelayMs: number }): ResourceProvider {
  return {
    namespace: NAMESPACE,
    routes: workspaceRoutes,
    operationHandlers: workspaceOperationHandlers(settings),
  };
}
