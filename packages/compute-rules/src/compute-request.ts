import type { ComputePut } from '@berth/shapes';

export type { AksNetworkingConfiguration, SslConfiguration } from '@berth/shapes';

/** The parts of a compute PUT the rules read (Microsoft.MachineLearningServices 2022-10-01 `ComputeResource` for AKS). */
export type ComputeRequest = Pick<ComputePut, 'location' | 'properties'>;
