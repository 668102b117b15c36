/**
 * Shapes of Berth's API (those of Microsoft.MachineLearningServices 2022-10-01),
 * derived from the same schemas the server validates and serializes with.
 */
export type {
  AksComputeSecrets,
  AksNetworkingConfiguration,
  AksProperties,
  ClusterPurpose,
  ComputeBody as ComputeResource,
  ComputeNode,
  ComputePatch as ComputeUpdate,
  ComputePut as ComputeDefinition,
  LoadBalancerType,
  OperationStep,
  Permission,
  ResourceGroup,
  SslConfiguration,
  Subscription,
  SystemService,
  Workspace as WorkspaceResource,
} from '@berth/shapes';
