// Article: "Example configuration to use an existing virtual network".
import { AksCompute, ComputeTarget } from '@berth/sdk';
import { getWorkspace, runIfMain } from './setup.js';

export async function main(name = 'vnetaks') {
  const ws = await getWorkspace();
  const provConfig = AksCompute.provisioningConfiguration({
    vnetName: 'mynetwork',
    vnetResourceGroupName: 'mygroup',
    subnetName: 'default',
    serviceCidr: '10.0.0.0/16',
    dnsServiceIp: '10.0.0.10',
    dockerBridgeCidr: '172.17.0.1/16',
  });
  // The same checks the server runs, before any call: here they pass.
  provConfig.validateConfiguration(name);
  const aksTarget = await ComputeTarget.create(ws, name, provConfig);
  await aksTarget.waitForCompletion({ showOutput: true });
  return aksTarget;
}

runIfMain(import.meta.url, main);
