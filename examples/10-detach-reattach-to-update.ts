// Article, troubleshooting: "Mettre à jour le cluster" — detach, then re-attach with the TLS certificate and key.
// With Berth, installed components are upgraded in place and TLS changes with `update`, so this is only needed
// to change what `update` cannot (e.g. the cluster purpose).
import { AksCompute, ComputeTarget } from '@berth/sdk';
import { readSslPemFiles } from '@berth/sdk/node';
import { getWorkspace, resourceGroup, runIfMain } from './setup.js';

export async function main(
  certPemFile: string,
  keyPemFile: string,
  sslCname: string,
  clusterWorkspaceName = 'contosoaks',
  kubernetesClusterName = 'contosocluster',
) {
  const ws = await getWorkspace();
  const computeTarget = await ComputeTarget.get(ws, clusterWorkspaceName);
  await computeTarget.detach();

  const attachConfig = AksCompute.attachConfiguration({ resourceGroup, clusterName: kubernetesClusterName });
  // If SSL is enabled.
  attachConfig.enableSsl(readSslPemFiles({ sslCertPemFile: certPemFile, sslKeyPemFile: keyPemFile, sslCname }));
  attachConfig.validateConfiguration(clusterWorkspaceName);

  const reattached = await ComputeTarget.attach(ws, clusterWorkspaceName, attachConfig);
  await reattached.waitForCompletion({ showOutput: true });
  return reattached;
}

runIfMain(import.meta.url, () => main(process.argv[2] ?? 'cert.pem', process.argv[3] ?? 'key.pem', process.argv[4] ?? 'www.contoso.com'));
