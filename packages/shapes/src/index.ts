export { ArmErrorDetail, ArmErrorResponse, Location, OperationStatus, OperationStep, Tags } from './arm-common.js';
export { ResourceGroup, ResourceGroupList, ResourceGroupName, ResourceGroupParams, ResourceGroupPatch, ResourceGroupPut } from './resource-group.js';
export { ManagedServiceIdentityInput, Sku, Workspace, WorkspaceList, WorkspacePatch, WorkspacePut } from './workspace.js';
export {
  AksComputeSecrets,
  AksNetworkingConfiguration,
  AksProperties,
  ClusterPurpose,
  ComputeBody,
  ComputeList,
  ComputeNode,
  ComputeNodeList,
  ComputePatch,
  ComputePut,
  LoadBalancerType,
  SslConfiguration,
  SystemService,
} from './compute.js';
export { CredentialResults, ManagedCluster, ManagedClusterList, ManagedClusterPut } from './managed-cluster.js';
export { KubernetesVersionListResult, OrchestratorVersionProfileList } from './kubernetes-versions.js';
export { PolicyAssignment, PolicyAssignmentList, PolicyAssignmentName, PolicyAssignmentPut } from './policy-assignment.js';
export { Subscription } from './subscription.js';
export { CloudMetadata, CloudMetadataList, MetadataEndpoints } from './cloud-metadata.js';
export { Provider, ProviderList, ProviderResourceType, SubscriptionLocation, SubscriptionLocationList, Tenant, TenantList } from './provider.js';
export {
  PrincipalType,
  RoleAssignment,
  RoleAssignmentList,
  RoleAssignmentName,
  RoleAssignmentPut,
  RoleDefinition,
  RoleDefinitionList,
} from './role-assignment.js';
export { Permission, PermissionList } from './permission.js';
