// Article: an internal load balancer with a private IP, on create and, for an attached cluster, by update.
import { AksCompute, AksUpdateConfiguration, ComputeTarget } from '@berth/sdk';
import { existingCluster, getWorkspace, resourceGroup, runIfMain } from './setup.js';

export async function main(createName = 'ilbaks', attachName = 'ilbattached', clusterName = 'ilbcluster') {
  const ws = await getWorkspace();
  // When you create an AKS cluster, you can specify Internal Load Balancer to be created with provisioning_config object
  const provisioningConfig = AksCompute.provisioningConfiguration({ loadBalancerType: 'InternalLoadBalancer' });
  const created = await ComputeTarget.create(ws, createName, provisioningConfig);
  await created.waitForCompletion({ showOutput: true });

  // When you attach an AKS cluster, you can update the cluster to use internal load balancer after attach
  await existingCluster(clusterName);
  const attached = await ComputeTarget.attach(ws, attachName, AksCompute.attachConfiguration({ resourceGroup, clusterName }));
  await attached.waitForCompletion({ showOutput: true });
  const aksTarget = new AksCompute(ws, attachName);
  // Change to the name of the subnet that contains AKS
  const subnetName = 'default';
  // Update AKS configuration to use an internal load balancer
  const updateConfig = new AksUpdateConfiguration({ loadBalancerType: 'InternalLoadBalancer', loadBalancerSubnet: subnetName });
  await aksTarget.update(updateConfig);
  // Wait for the operation to complete
  await aksTarget.waitForCompletion({ showOutput: true });
  return { created, updated: aksTarget };
}

runIfMain(import.meta.url, main);
