// Article: TLS with your own certificate and domain, on attach:
// `attach_config.enable_ssl(ssl_cert_pem_file="cert.pem", ssl_key_pem_file="key.pem", ssl_cname="www.contoso.com")`.
// Then point DNS for the cname at the scoring endpoint's IP.
import { AksCompute, ComputeTarget } from '@berth/sdk';
import { readSslPemFiles } from '@berth/sdk/node';
import { existingCluster, getWorkspace, resourceGroup, runIfMain } from './setup.js';

export async function main(certPemFile: string, keyPemFile: string, name = 'contosoaks', clusterName = 'contosocluster') {
  const ws = await getWorkspace();
  await existingCluster(clusterName);
  const attachConfig = AksCompute.attachConfiguration({ resourceGroup, clusterName });
  attachConfig.enableSsl(readSslPemFiles({ sslCertPemFile: certPemFile, sslKeyPemFile: keyPemFile, sslCname: 'www.contoso.com' }));
  const aksTarget = await ComputeTarget.attach(ws, name, attachConfig);
  await aksTarget.waitForCompletion({ showOutput: true });
  return aksTarget;
}

runIfMain(import.meta.url, () => main(process.argv[2] ?? 'cert.pem', process.argv[3] ?? 'key.pem'));
