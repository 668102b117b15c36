// Shared by the examples: the workspace they use, and an existing cluster to attach
// (what the article creates beforehand with `az aks create`). Connection settings come
// from BERTH_ENDPOINT / BERTH_TOKEN / BERTH_HOME or ~/.berth, as for every client of Berth.
import { BerthPoller, Workspace } from '@berth/sdk';
import { clientFromEnvironment } from '@berth/sdk/node';

export const resourceGroup = process.env.EXAMPLE_RESOURCE_GROUP ?? 'myresourcegroup';
export const workspaceName = process.env.EXAMPLE_WORKSPACE ?? 'myworkspace';

/** The article's `ws`: the workspace, created (with its resource group) on first use. */
export function getWorkspace(): Promise<Workspace> {
  return Workspace.create(workspaceName, { client: clientFromEnvironment(), resourceGroup, location: 'westus', createResourceGroup: true, existOk: true });
}

/** An AKS cluster made outside the workspace, ready to attach; returns its resource id. */
export async function existingCluster(name: string, options: { nodeCount?: number; vmSize?: string } = {}): Promise<string> {
  const client = clientFromEnvironment();
  const ws = await getWorkspace();
  const path = `/subscriptions/${ws.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
  const started = await client.rest.request('PUT', path, {
    query: { 'api-version': '2024-08-01' },
    body: {
      location: 'westus',
      properties: { agentPoolProfiles: [{ name: 'nodepool1', count: options.nodeCount ?? 3, vmSize: options.vmSize ?? 'Standard_D3_v2' }] },
    },
  });
  if (started.headers['azure-asyncoperation'])
    await BerthPoller.forOperationStatus(started.headers['azure-asyncoperation'], client.rest).pollUntilDone({ intervalInMs: 200 });
  return (await client.rest.request('GET', path, { query: { 'api-version': '2024-08-01' } })).body.id;
}

/** Runs an example's `main` when the file is executed directly (`npx tsx examples/<file>.ts`). */
export function runIfMain(url: string, main: () => Promise<unknown>): void {
  if (process.argv[1] && url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
    main().catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    });
  }
}
