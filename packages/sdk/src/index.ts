export { armPath, pathSegment } from './arm-path.js';
export { ArmRestClient } from './rest-client.js';
export type { ConnectionSettings, OperationStatus, RequestOptions, RestResponse } from './rest-client.js';
export { BerthConnectionError, BerthRestError, OperationFailedError } from './errors.js';
export type { ErrorDetail } from './errors.js';
export { BerthClient, ML_API_VERSION, warningsOf } from './berth-client.js';
export type { BerthClientOptions, OperationOptions, PagedAsyncIterableIterator } from './berth-client.js';
export { BerthPoller } from './poller.js';
export { currentStep, operationStepLabel } from './operation-steps.js';
export type { BerthPollerOptions, OperationStatusReader, OperationStatusResponse, PollerState, PollUntilDoneOptions, ProgressListener } from './poller.js';
export type * from './models.js';
export { Workspace } from './workspace.js';
export type { CreateWorkspaceOptions, WorkspaceOptions } from './workspace.js';
export {
  AksAttachConfiguration,
  AksCompute,
  AksProvisioningConfiguration,
  AksUpdateConfiguration,
  ClusterPurpose,
  ComputeConfigurationError,
  ComputeTarget,
  ComputeTargetError,
} from './aks-compute.js';
export type { AttachConfigurationOptions, EnableSslOptions, ProvisioningConfigurationOptions, WaitOptions } from './aks-compute.js';
