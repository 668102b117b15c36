export { computeNameProblem } from './compute-name.js';
export { checkComputePut, comparableSpec, isManagedClusterId, purposeProblems } from './compute-spec.js';
export type { ComputeSpec, SpecCheck } from './compute-spec.js';
export { provisioningInProgress } from './provisioning-state.js';
export { checkTls, tlsWithInternalLoadBalancer } from './tls-rules.js';
export type { TlsCheck } from './tls-rules.js';
export type { AksNetworkingConfiguration, ComputeRequest, SslConfiguration } from './compute-request.js';
export { clusterActions, permits } from './linked-authorization.js';
export type { ClusterAction } from './linked-authorization.js';
