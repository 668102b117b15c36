import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { resourceScopeOf } from '@berth/arm';
import { defaultKubeconfigPath, mergeKubeconfig } from '../kubeconfig.js';
import { CliContext, withGlobalOptions, type GlobalOptions } from '../cli-context.js';
import { CliError } from '../errors.js';
import { waitForOperation } from '../long-running.js';
import { parseInteger } from '../options.js';

const API = '2024-08-01';
const ORCHESTRATORS_API = '2019-08-01';

function clusterPath(subscription: string, group: string, name: string): string {
  return `/subscriptions/${subscription}/resourceGroups/${encodeURIComponent(group)}/providers/Microsoft.ContainerService/managedClusters/${encodeURIComponent(name)}`;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The `az aks get-versions -o table` layout: each version with "(preview)" marks and its upgrades. */
function versionsTable(value: unknown): Array<Record<string, unknown>> {
  const orchestrators = ((value as { orchestrators?: any[] })?.orchestrators ?? []) as Array<{
    orchestratorVersion: string;
    isPreview?: boolean;
    upgrades?: Array<{ orchestratorVersion: string; isPreview?: boolean }>;
  }>;
  const label = (v: { orchestratorVersion: string; isPreview?: boolean }) => `${v.orchestratorVersion}${v.isPreview ? '(preview)' : ''}`;
  const numeric = (v: string) => v.split('.').map(Number);
  const newestFirst = [...orchestrators].sort((a, b) => {
    const [x, y] = [numeric(a.orchestratorVersion), numeric(b.orchestratorVersion)];
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
  });
  return newestFirst.map((o) => ({
    KubernetesVersion: label(o),
    Upgrades: o.upgrades && o.upgrades.length > 0 ? o.upgrades.map(label).join(', ') : 'None available',
  }));
}

/** `az aks list/show -o table` columns. */
function clustersTable(value: unknown): Array<Record<string, unknown>> {
  return (Array.isArray(value) ? value : [value]).map((c: any) => ({
    Name: c.name,
    Location: c.location,
    ResourceGroup: resourceScopeOf(String(c.id))?.resourceGroup,
    KubernetesVersion: c.properties?.kubernetesVersion,
    CurrentKubernetesVersion: c.properties?.currentKubernetesVersion,
    ProvisioningState: c.properties?.provisioningState,
    Fqdn: c.properties?.fqdn ?? c.properties?.privateFQDN,
  }));
}

export function aksCommand(): Command {
  const aks = new Command('aks').description('Manage Kubernetes clusters of the local cloud (or of Azure), as `az aks` does.');

  withGlobalOptions(
    aks
      .command('create')
      .description('Create a managed Kubernetes cluster.')
      .requiredOption('-g, --resource-group <group>', 'resource group')
      .requiredOption('-n, --name <name>', 'cluster name')
      .option('-l, --location <location>', "region (default: the resource group's)")
      .option('-c, --node-count <n>', 'number of nodes', parseInteger('--node-count', 1, 1000), 3)
      .option('-s, --node-vm-size <size>', 'VM size of the nodes', 'Standard_DS2_v2')
      .option('--nodepool-name <name>', 'name of the node pool', 'nodepool1')
      .option('-k, --kubernetes-version <version>', "Kubernetes version (default: the region's default)")
      .option('-p, --dns-name-prefix <prefix>', 'DNS prefix of the API server FQDN')
      .addOption(new Option('--load-balancer-sku <sku>', 'load balancer SKU').choices(['standard', 'basic']))
      .option('--api-server-authorized-ip-ranges <ranges>', 'comma-separated CIDRs allowed to reach the API server (needs the standard load balancer)')
      .option('--enable-private-cluster', 'give the API server no public endpoint')
      .addOption(new Option('--tier <tier>', 'pricing tier; premium allows long-term support versions').choices(['free', 'standard', 'premium']))
      .addOption(new Option('--k8s-support-plan <plan>', 'support plan').choices(['KubernetesOfficial', 'AKSLongTermSupport']))
      .option('--vnet-subnet-id <id>', 'subnet resource id for the nodes')
      .option('--service-cidr <cidr>', 'Kubernetes service address range')
      .option('--dns-service-ip <ip>', 'cluster DNS service address, inside --service-cidr')
      .option('--docker-bridge-address <cidr>', 'Docker bridge address range')
      .addOption(new Option('--outbound-type <type>', 'egress').choices(['loadBalancer', 'userDefinedRouting', 'managedNATGateway', 'userAssignedNATGateway']))
      .option('--no-wait', 'return as soon as the create is accepted')
      .addHelpText(
        'after',
        `
Examples:
  berth aks create -g myresourcegroup -n myexistingcluster --node-count 3 --node-vm-size Standard_D3_v2
  berth aks create -g rg -n lts --kubernetes-version 1.28 --tier premium --k8s-support-plan AKSLongTermSupport
  berth aks create -g rg -n locked --load-balancer-sku standard --api-server-authorized-ip-ranges 203.0.113.0/24`,
      ),
  ).action(async (o: GlobalOptions & Record<string, any>) => {
    const ctx = new CliContext(o);
    const sub = await ctx.subscription();
    const group = ctx.group(o.resourceGroup);
    const location =
      o.location ??
      (await ctx.client.request('GET', `/subscriptions/${sub}/resourcegroups/${encodeURIComponent(group)}`, { query: { 'api-version': '2021-04-01' } })).body
        .location;
    const body = {
      location,
      ...(o.tier ? { sku: { name: 'Base', tier: o.tier.charAt(0).toUpperCase() + o.tier.slice(1) } } : {}),
      identity: { type: 'SystemAssigned' },
      properties: {
        ...(o.kubernetesVersion ? { kubernetesVersion: o.kubernetesVersion } : {}),
        ...(o.dnsNamePrefix ? { dnsPrefix: o.dnsNamePrefix } : {}),
        ...(o.k8sSupportPlan ? { supportPlan: o.k8sSupportPlan } : {}),
        agentPoolProfiles: [
          { name: o.nodepoolName, count: o.nodeCount, vmSize: o.nodeVmSize, mode: 'System', ...(o.vnetSubnetId ? { vnetSubnetID: o.vnetSubnetId } : {}) },
        ],
        networkProfile: {
          ...(o.loadBalancerSku ? { loadBalancerSku: o.loadBalancerSku } : {}),
          ...(o.serviceCidr ? { serviceCidr: o.serviceCidr } : {}),
          ...(o.dnsServiceIp ? { dnsServiceIP: o.dnsServiceIp } : {}),
          ...(o.dockerBridgeAddress ? { dockerBridgeCidr: o.dockerBridgeAddress } : {}),
          ...(o.outboundType ? { outboundType: o.outboundType } : {}),
        },
        ...(o.apiServerAuthorizedIpRanges || o.enablePrivateCluster
          ? {
              apiServerAccessProfile: {
                ...(o.apiServerAuthorizedIpRanges ? { authorizedIPRanges: splitList(o.apiServerAuthorizedIpRanges) } : {}),
                ...(o.enablePrivateCluster ? { enablePrivateCluster: true } : {}),
              },
            }
          : {}),
      },
    };
    const path = clusterPath(sub, group, o.name);
    const started = await ctx.client.request('PUT', path, { query: { 'api-version': API }, body });
    if (!(await waitForOperation(ctx.client, started, `Creating managed cluster '${o.name}'`, o.wait === false))) return;
    ctx.print((await ctx.client.request('GET', path, { query: { 'api-version': API } })).body, clustersTable);
  });

  withGlobalOptions(
    aks
      .command('show')
      .description('Show a managed cluster.')
      .requiredOption('-g, --resource-group <group>', 'resource group')
      .requiredOption('-n, --name <name>', 'cluster name')
      .addHelpText(
        'after',
        `
Examples:
  berth aks show -n myexistingcluster -g myresourcegroup --query id
  berth aks show -n myexistingcluster -g myresourcegroup --query id -o tsv`,
      ),
  ).action(async (o: GlobalOptions & { resourceGroup: string; name: string }) => {
    const ctx = new CliContext(o);
    const res = await ctx.client.request('GET', clusterPath(await ctx.subscription(), ctx.group(o.resourceGroup), o.name), { query: { 'api-version': API } });
    ctx.print(res.body, clustersTable);
  });

  withGlobalOptions(
    aks
      .command('list')
      .description('List managed clusters, in a resource group or the whole subscription.')
      .option('-g, --resource-group <group>', 'resource group (default: the whole subscription)')
      .addHelpText('after', '\nExample:\n  berth aks list -o table'),
  ).action(async (o: GlobalOptions & { resourceGroup?: string }) => {
    const ctx = new CliContext(o);
    const sub = await ctx.subscription();
    const base = o.resourceGroup ? `/subscriptions/${sub}/resourceGroups/${encodeURIComponent(o.resourceGroup)}` : `/subscriptions/${sub}`;
    ctx.print(await ctx.client.listAll(`${base}/providers/Microsoft.ContainerService/managedClusters`, { query: { 'api-version': API } }), clustersTable);
  });

  withGlobalOptions(
    aks
      .command('scale')
      .description('Change the number of nodes of a managed cluster (its VM size cannot change).')
      .requiredOption('-g, --resource-group <group>', 'resource group')
      .requiredOption('-n, --name <name>', 'cluster name')
      .requiredOption('-c, --node-count <n>', 'new number of nodes', parseInteger('--node-count', 1, 1000))
      .option('--nodepool-name <name>', 'node pool to scale (default: the first)')
      .option('--no-wait', 'return as soon as the change is accepted')
      .addHelpText('after', '\nExample:\n  berth aks scale -g myresourcegroup -n myexistingcluster --node-count 5'),
  ).action(async (o: GlobalOptions & { resourceGroup: string; name: string; nodeCount: number; nodepoolName?: string; wait: boolean }) => {
    const ctx = new CliContext(o);
    const path = clusterPath(await ctx.subscription(), ctx.group(o.resourceGroup), o.name);
    const current = (await ctx.client.request('GET', path, { query: { 'api-version': API } })).body;
    const pools = current.properties.agentPoolProfiles as Array<{ name: string; count: number }>;
    const pool = o.nodepoolName ? pools.find((p) => p.name === o.nodepoolName) : pools[0];
    if (!pool) throw new CliError(`The cluster has no node pool '${o.nodepoolName}'; its pools are ${pools.map((p) => p.name).join(', ')}.`);
    pool.count = o.nodeCount;
    const started = await ctx.client.request('PUT', path, {
      query: { 'api-version': API },
      body: { location: current.location, sku: current.sku, tags: current.tags, properties: { agentPoolProfiles: pools } },
    });
    if (!(await waitForOperation(ctx.client, started, `Scaling managed cluster '${o.name}' to ${o.nodeCount} nodes`, o.wait === false))) return;
    ctx.print((await ctx.client.request('GET', path, { query: { 'api-version': API } })).body, clustersTable);
  });

  withGlobalOptions(
    aks
      .command('delete')
      .description('Delete a managed cluster and everything in it.')
      .requiredOption('-g, --resource-group <group>', 'resource group')
      .requiredOption('-n, --name <name>', 'cluster name')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--no-wait', 'return as soon as the delete is accepted')
      .addHelpText('after', '\nExample:\n  berth aks delete -g myresourcegroup -n myexistingcluster --yes'),
  ).action(async (o: GlobalOptions & { resourceGroup: string; name: string; yes?: boolean; wait: boolean }) => {
    const ctx = new CliContext(o);
    if (!o.yes) {
      if (!process.stdin.isTTY) throw new CliError('Deleting a cluster needs confirmation: pass --yes.', 2);
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`Delete managed cluster '${o.name}' and everything in it? (y/N): `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const started = await ctx.client.request('DELETE', clusterPath(await ctx.subscription(), ctx.group(o.resourceGroup), o.name), {
      query: { 'api-version': API },
    });
    await waitForOperation(ctx.client, started, `Deleting managed cluster '${o.name}'`, o.wait === false);
  });

  withGlobalOptions(
    aks
      .command('get-credentials')
      .description('Fetch a kubeconfig for a cluster and merge it into ~/.kube/config (or --file).')
      .requiredOption('-g, --resource-group <group>', 'resource group')
      .requiredOption('-n, --name <name>', 'cluster name')
      .option('-a, --admin', 'the cluster admin credential instead of the user one')
      .option('-f, --file <path>', "kubeconfig to merge into (default: KUBECONFIG's first file, else ~/.kube/config); '-' prints it", defaultKubeconfigPath())
      .addHelpText(
        'after',
        `
Examples:
  berth aks get-credentials -g myresourcegroup -n myexistingcluster --admin
  berth aks get-credentials -g myresourcegroup -n myexistingcluster --file ./kubeconfig`,
      ),
  ).action(async (o: GlobalOptions & { resourceGroup: string; name: string; admin?: boolean; file: string }) => {
    const ctx = new CliContext(o);
    const action = o.admin ? 'listClusterAdminCredential' : 'listClusterUserCredential';
    const res = await ctx.client.request('POST', `${clusterPath(await ctx.subscription(), ctx.group(o.resourceGroup), o.name)}/${action}`, {
      query: { 'api-version': API },
    });
    const text = Buffer.from(res.body.kubeconfigs[0].value, 'base64').toString('utf8');
    if (o.file === '-') {
      process.stdout.write(text);
      return;
    }
    const context = await mergeKubeconfig(o.file, parseYaml(text));
    process.stderr.write(`Merged "${context}" as current context in ${o.file}\n`);
  });

  withGlobalOptions(
    aks
      .command('get-versions')
      .description('List the Kubernetes versions available in a region, with their upgrades and the default.')
      .requiredOption('-l, --location <location>', 'region, e.g. westus')
      .addHelpText(
        'after',
        `
Examples:
  berth aks get-versions -l westus -o table
  berth aks get-versions -l westus --query "orchestrators[?default == \\\`true\\\`].orchestratorVersion" -o table`,
      ),
  ).action(async (o: GlobalOptions & { location: string }) => {
    const ctx = new CliContext(o);
    const sub = await ctx.subscription();
    const res = await ctx.client.request(
      'GET',
      `/subscriptions/${sub}/providers/Microsoft.ContainerService/locations/${encodeURIComponent(o.location)}/orchestrators`,
      {
        query: { 'api-version': ORCHESTRATORS_API, 'resource-type': 'managedClusters' },
      },
    );
    const { properties, ...rest } = res.body;
    ctx.print({ ...rest, orchestrators: properties.orchestrators }, versionsTable);
  });

  return aks;
}
