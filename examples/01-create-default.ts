// Article: "Créer un cluster AKS" with the default configuration (3 x Standard_D3_v2, FastProd).
import { AksCompute, ComputeTarget } from '@berth/sdk';
import { getWorkspace, runIfMain } from './setup.js';

export async function main(name = 'myaks') {
  const ws = await getWorkspace();
  // Use the default configuration (you can also provide parameters to customize this).
  const provConfig = AksCompute.provisioningConfiguration();
  // Create the cluster
  const aksTarget = await ComputeTarget.create(ws, name, provConfig);
  // Wait for the create process to complete
  await aksTarget.waitForCompletion({ showOutput: true });
  return aksTarget;
}

runIfMain(import.meta.url, main);
