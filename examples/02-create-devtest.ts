// Article: a dev/test cluster — `cluster_purpose = AksCompute.ClusterPurpose.DEV_TEST`. Below 2 vCPUs Berth warns.
import { AksCompute, ComputeTarget } from '@berth/sdk';
import { getWorkspace, runIfMain } from './setup.js';

export async function main(name = 'devaks') {
  const ws = await getWorkspace();
  const provConfig = AksCompute.provisioningConfiguration({ clusterPurpose: AksCompute.ClusterPurpose.DevTest, agentCount: 1, vmSize: 'Standard_D2_v2' });
  const aksTarget = await ComputeTarget.create(ws, name, provConfig);
  for (const warning of aksTarget.warnings) console.warn(`warning: ${warning}`);
  await aksTarget.waitForCompletion({ showOutput: true });
  return aksTarget;
}

runIfMain(import.meta.url, main);
