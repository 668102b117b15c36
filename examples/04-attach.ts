// Article: "Attacher un cluster AKS existant" by resource group and cluster name.
import { AksCompute, ComputeTarget } from '@berth/sdk';
import { existingCluster, getWorkspace, resourceGroup, runIfMain } from './setup.js';

export async function main(name = 'attachedaks', clusterName = 'myexistingcluster') {
  const ws = await getWorkspace();
  await existingCluster(clusterName);
  // Attach the cluster to your workspace.
  const attachConfig = AksCompute.attachConfiguration({ resourceGroup, clusterName });
  const aksTarget = await ComputeTarget.attach(ws, name, attachConfig);
  // Wait for the attach process to complete
  await aksTarget.waitForCompletion({ showOutput: true });
  return aksTarget;
}

runIfMain(import.meta.url, main);
