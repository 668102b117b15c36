// Article: attaching a cluster with fewer than 12 vCPUs needs the dev/test purpose.
import { AksCompute, ComputeTarget } from '@berth/sdk';
import { existingCluster, getWorkspace, resourceGroup, runIfMain } from './setup.js';

export async function main(name = 'smallaks', clusterName = 'mysmallcluster') {
  const ws = await getWorkspace();
  await existingCluster(clusterName, { nodeCount: 1, vmSize: 'Standard_D2_v2' });
  const attachConfig = AksCompute.attachConfiguration({ resourceGroup, clusterName, clusterPurpose: AksCompute.ClusterPurpose.DevTest });
  const aksTarget = await ComputeTarget.attach(ws, name, attachConfig);
  await aksTarget.waitForCompletion({ showOutput: true });
  return aksTarget;
}

runIfMain(import.meta.url, main);
