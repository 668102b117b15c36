// Article: TLS with a generated certificate, `enable_ssl(leaf_domain_label = "contoso")`.
// Berth's CA issues it for "<label>######.<region>.cloudapp.<zone>" and renews it before it expires.
import { AksCompute, ComputeTarget } from '@berth/sdk';
import { getWorkspace, runIfMain } from './setup.js';

export async function main(name = 'tlsaks') {
  const ws = await getWorkspace();
  const provisioningConfig = AksCompute.provisioningConfiguration();
  provisioningConfig.enableSsl({ leafDomainLabel: 'contoso' });
  const aksTarget = await ComputeTarget.create(ws, name, provisioningConfig);
  await aksTarget.waitForCompletion({ showOutput: true });
  console.log(`scoring host: ${aksTarget.properties?.properties.properties?.clusterFqdn}`);
  return aksTarget;
}

runIfMain(import.meta.url, main);
