import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  AksAttachConfiguration,
  AksProvisioningConfiguration,
  AksUpdateConfiguration,
  OperationFailedError,
  type BerthPoller,
  type ComputeResource,
  type EnableSslOptions,
} from '@berth/sdk';
import { readSslPemFiles } from '@berth/sdk/node';
import { CliContext, withGlobalOptions, type GlobalOptions } from '../cli-context.js';
import { CliError } from '../errors.js';
import { followPoller } from '../long-running.js';
import { parseInteger } from '../options.js';
import { defaultKubeconfigPath, mergeKubeconfig } from '../kubeconfig.js';

type WsOptions = GlobalOptions & { workspaceName?: string; resourceGroup?: string };

function workspaceOptions(command: Command): Command {
  return withGlobalOptions(
    command
      .option('-w, --workspace-name <name>', 'workspace (default: berth configure --defaults workspace=...)')
      .option('-g, --resource-group <group>', 'resource group of the workspace (default: the configured one)'),
  );
}

/** `az ml computetarget list/show -o table` columns. */
function computesTable(value: unknown): Array<Record<string, unknown>> {
  return (Array.isArray(value) ? value : [value]).map((c: ComputeResource) => ({
    Name: c.name,
    Location: c.properties?.computeLocation,
    ProvisioningState: c.properties?.provisioningState,
    ClusterPurpose: c.properties?.properties?.clusterPurpose,
    AgentCount: c.properties?.properties?.agentCount,
    AgentVmSize: c.properties?.properties?.agentVmSize,
    Attached: c.properties?.isAttachedCompute,
    ScoringEndpoint: c.properties?.properties?.systemServices?.[0]?.publicIpAddress ?? '',
    // Berth's local cloud: where that endpoint also answers on this machine.
    LocalEndpoints: ((c.properties?.properties?.systemServices?.[0] as { localEndpoints?: string[] } | undefined)?.localEndpoints ?? []).join(' '),
  }));
}

function sslOptions(o: Record<string, any>): EnableSslOptions | undefined {
  if (o.sslLeafDomainLabel && (o.sslCertFile || o.sslKeyFile || o.sslCname)) {
    throw new CliError(
      'Use either --ssl-leaf-domain-label (a certificate Berth issues) or --ssl-cert-file, --ssl-key-file and --ssl-cname (your own), not both.',
      2,
    );
  }
  if (o.sslLeafDomainLabel) return { leafDomainLabel: o.sslLeafDomainLabel, ...(o.sslOverwriteDomain ? { overwriteExistingDomain: true } : {}) };
  if (o.sslCertFile || o.sslKeyFile || o.sslCname) {
    if (!(o.sslCertFile && o.sslKeyFile && o.sslCname))
      throw new CliError('A custom TLS certificate needs all of --ssl-cert-file, --ssl-key-file and --ssl-cname.', 2);
    return readSslPemFiles({ sslCertPemFile: o.sslCertFile, sslKeyPemFile: o.sslKeyFile, sslCname: o.sslCname });
  }
  return undefined;
}

function withSslOptions(command: Command): Command {
  return command
    .option('--ssl-leaf-domain-label <label>', 'TLS with a certificate Berth issues for <label>######.<region>.cloudapp.<zone>')
    .option('--ssl-overwrite-domain', 'reuse a leaf domain label another compute holds')
    .option('--ssl-cert-file <file>', 'TLS with your certificate (PEM)')
    .option('--ssl-key-file <file>', "your certificate's private key (PEM, no passphrase)")
    .option('--ssl-cname <name>', 'the domain name your certificate serves');
}

/** Follows a compute operation; on failure prints every provisioning error with its code. */
async function followCompute(
  ctx: CliContext,
  poller: BerthPoller<unknown>,
  warnings: string[],
  what: string,
  noWait: boolean,
  path: [string, string, string, string],
): Promise<void> {
  for (const w of warnings) process.stderr.write(`WARNING: ${w}\n`);
  try {
    if (!(await followPoller(poller, what, noWait))) return;
  } catch (err) {
    if (!(err instanceof OperationFailedError)) throw err;
    const compute = await ctx.berth.getCompute(...path).catch(() => undefined);
    const errors = compute?.properties.provisioningErrors?.map((e) => e.error) ?? [err.error];
    throw new CliError([`${what} failed:`, ...errors.map((e) => `  (${e.code}) ${e.message}`)].join('\n'));
  }
  ctx.print(await ctx.berth.getCompute(...path), computesTable);
}

export function mlCommand(): Command {
  const ml = new Command('ml').description('Machine-learning workspaces and their inference clusters (as `az ml`).');

  const workspace = ml.command('workspace').description('Manage workspaces.');
  withGlobalOptions(
    workspace
      .command('create')
      .description('Create a workspace.')
      .requiredOption('-w, --workspace-name <name>', 'workspace name (3-33 letters, digits, hyphens, underscores)')
      .option('-g, --resource-group <group>', 'resource group (default: the configured one)')
      .option('-l, --location <location>', "region (default: the resource group's)")
      .option('--description <text>', 'description')
      .option('--friendly-name <name>', 'display name')
      .addHelpText('after', '\nExample:\n  berth ml workspace create -w myworkspace -g myresourcegroup'),
  ).action(async (o: WsOptions & { location?: string; description?: string; friendlyName?: string }) => {
    const ctx = new CliContext(o);
    const sub = await ctx.subscription();
    const group = ctx.group(o.resourceGroup);
    const location = o.location ?? ctx.defaults.location ?? (await ctx.berth.getResourceGroup(sub, group)).location;
    const poller = await ctx.berth.beginCreateWorkspace(sub, group, o.workspaceName!, { location, description: o.description, friendlyName: o.friendlyName });
    await followPoller(poller as BerthPoller<unknown>, `Creating workspace '${o.workspaceName}'`, false);
    ctx.print(await ctx.berth.getWorkspace(sub, group, o.workspaceName!));
  });
  workspaceOptions(
    workspace.command('show').description('Show a workspace.').addHelpText('after', '\nExample:\n  berth ml workspace show -w myworkspace -g myresourcegroup'),
  ).action(async (o: WsOptions) => {
    const ctx = new CliContext(o);
    ctx.print(await ctx.berth.getWorkspace(await ctx.subscription(), ctx.group(o.resourceGroup), ctx.workspace(o.workspaceName)));
  });
  withGlobalOptions(
    workspace
      .command('list')
      .description('List workspaces, in a resource group or the subscription.')
      .option('-g, --resource-group <group>', 'resource group')
      .addHelpText('after', '\nExample:\n  berth ml workspace list -o table'),
  ).action(async (o: WsOptions) => {
    const ctx = new CliContext(o);
    const items = [];
    for await (const w of ctx.berth.listWorkspaces(await ctx.subscription(), o.resourceGroup)) items.push(w);
    ctx.print(items);
  });
  workspaceOptions(
    workspace
      .command('delete')
      .description('Delete a workspace (detach or delete its computes first).')
      .option('--no-wait', 'return as soon as the delete is accepted')
      .addHelpText('after', '\nExample:\n  berth ml workspace delete -w myworkspace -g myresourcegroup'),
  ).action(async (o: WsOptions & { wait: boolean }) => {
    const ctx = new CliContext(o);
    const poller = await ctx.berth.beginDeleteWorkspace(await ctx.subscription(), ctx.group(o.resourceGroup), ctx.workspace(o.workspaceName));
    await followPoller(poller as BerthPoller<unknown>, `Deleting workspace '${ctx.workspace(o.workspaceName)}'`, o.wait === false);
  });

  const target = ml.command('computetarget').description('Manage inference clusters (AKS computes) of a workspace.');
  async function path(ctx: CliContext, o: WsOptions & { name: string }): Promise<[string, string, string, string]> {
    return [await ctx.subscription(), ctx.group(o.resourceGroup), ctx.workspace(o.workspaceName), o.name];
  }

  const create = target.command('create').description('Create a compute.');
  workspaceOptions(
    withSslOptions(
      create
        .command('aks')
        .description("Create an AKS inference cluster (defaults: 3 x Standard_D3_v2, FastProd, the region's default Kubernetes version).")
        .requiredOption('-n, --name <name>', 'compute name (3-24 letters, digits and hyphens)')
        .option('-a, --agent-count <n>', 'number of nodes', parseInteger('--agent-count', 1, 1000))
        .option('-s, --vm-size <size>', 'VM size of the nodes, e.g. Standard_D3_v2')
        .addOption(new Option('--cluster-purpose <purpose>', 'FastProd needs 12 vCPUs; DevTest runs one front-end replica').choices(['FastProd', 'DevTest']))
        .option('-l, --location <location>', "region (default: the workspace's)")
        .option('--vnet-resourcegroup-name <group>', 'resource group of an existing vnet')
        .option('--vnet-name <name>', 'existing vnet')
        .option('--subnet-name <name>', 'subnet of that vnet')
        .option('--service-cidr <cidr>', 'Kubernetes service address range, e.g. 10.0.0.0/16')
        .option('--dns-service-ip <ip>', 'cluster DNS address inside --service-cidr, e.g. 10.0.0.10')
        .option('--docker-bridge-cidr <cidr>', 'Docker bridge address, e.g. 172.17.0.1/16')
        .addOption(new Option('--load-balancer-type <type>', 'scoring endpoint on a public or a private address').choices(['PublicIp', 'InternalLoadBalancer']))
        .option('--load-balancer-subnet <subnet>', 'subnet of the internal load balancer')
        .option('--description <text>', 'description')
        .option('--no-wait', 'return as soon as the create is accepted'),
    ).addHelpText(
      'after',
      `
Examples:
  berth ml computetarget create aks -n myaks
  berth ml computetarget create aks -n devaks --cluster-purpose DevTest --agent-count 1 --vm-size Standard_D2_v2
  berth ml computetarget create aks -n tlsaks --ssl-leaf-domain-label contoso
  berth ml computetarget create aks -n privaks --load-balancer-type InternalLoadBalancer --load-balancer-subnet default`,
    ),
  ).action(async (o: WsOptions & Record<string, any>) => {
    const ctx = new CliContext(o);
    const p = await path(ctx, o as WsOptions & { name: string });
    const config = new AksProvisioningConfiguration({
      agentCount: o.agentCount,
      vmSize: o.vmSize,
      location: o.location,
      clusterPurpose: o.clusterPurpose,
      vnetResourceGroupName: o.vnetResourcegroupName,
      vnetName: o.vnetName,
      subnetName: o.subnetName,
      serviceCidr: o.serviceCidr,
      dnsServiceIp: o.dnsServiceIp,
      dockerBridgeCidr: o.dockerBridgeCidr,
      loadBalancerType: o.loadBalancerType,
      loadBalancerSubnet: o.loadBalancerSubnet,
      description: o.description,
    });
    config.subscriptionId = p[0];
    const ssl = sslOptions(o);
    if (ssl) config.enableSsl(ssl);
    config.validateConfiguration(o.name);
    const poller = await ctx.berth.beginCreateCompute(...p, config.toCompute());
    await followCompute(ctx, poller as BerthPoller<unknown>, poller.warnings, `Creating compute '${o.name}'`, o.wait === false, p);
  });

  const attach = target.command('attach').description('Attach an existing cluster.');
  workspaceOptions(
    withSslOptions(
      attach
        .command('aks')
        .description('Attach an existing AKS cluster by its resource id (same subscription as the workspace).')
        .requiredOption('-n, --name <name>', 'compute name (3-24 letters, digits and hyphens)')
        .requiredOption('-i, --compute-resource-id <id>', "the cluster's ARM id: berth aks show -n <cluster> -g <group> --query id -o tsv")
        .addOption(new Option('--cluster-purpose <purpose>', 'FastProd needs 12 vCPUs; DevTest runs one front-end replica').choices(['FastProd', 'DevTest']))
        .option('--no-wait', 'return as soon as the attach is accepted'),
    ).addHelpText(
      'after',
      `
Example (the article's command, with berth):
  berth ml computetarget attach aks -n myaks -i /subscriptions/<s>/resourcegroups/myresourcegroup/providers/Microsoft.ContainerService/managedClusters/myexistingcluster -g myresourcegroup -w myworkspace`,
    ),
  ).action(async (o: WsOptions & Record<string, any>) => {
    const ctx = new CliContext(o);
    const p = await path(ctx, o as WsOptions & { name: string });
    const config = new AksAttachConfiguration({ resourceId: o.computeResourceId, clusterPurpose: o.clusterPurpose });
    const ssl = sslOptions(o);
    if (ssl) config.enableSsl(ssl);
    config.validateConfiguration(o.name);
    const poller = await ctx.berth.beginAttachCompute(...p, config.toCompute());
    await followCompute(ctx, poller as BerthPoller<unknown>, poller.warnings, `Attaching compute '${o.name}'`, o.wait === false, p);
  });

  workspaceOptions(
    target
      .command('detach')
      .description('Detach a compute: remove it and what Berth installed; the cluster stays.')
      .requiredOption('-n, --name <name>', 'compute name')
      .option('--no-wait', 'return as soon as the detach is accepted')
      .addHelpText('after', '\nExample:\n  berth ml computetarget detach -n myaks -g myresourcegroup -w myworkspace'),
  ).action(async (o: WsOptions & { name: string; wait: boolean }) => {
    const ctx = new CliContext(o);
    const poller = await ctx.berth.beginDetachCompute(...(await path(ctx, o)));
    await followPoller(poller as BerthPoller<unknown>, `Detaching compute '${o.name}'`, o.wait === false);
  });

  workspaceOptions(
    target
      .command('delete')
      .description('Delete a compute and the cluster the workspace created for it (attached clusters: use detach).')
      .requiredOption('-n, --name <name>', 'compute name')
      .requiredOption('-y, --yes', 'confirm: the cluster is deleted')
      .option('--no-wait', 'return as soon as the delete is accepted')
      .addHelpText('after', '\nExample:\n  berth ml computetarget delete -n myaks --yes'),
  ).action(async (o: WsOptions & { name: string; wait: boolean }) => {
    const ctx = new CliContext(o);
    const poller = await ctx.berth.beginDeleteCompute(...(await path(ctx, o)), 'Delete');
    await followPoller(poller as BerthPoller<unknown>, `Deleting compute '${o.name}' and its cluster`, o.wait === false);
  });

  workspaceOptions(
    target
      .command('show')
      .description('Show a compute.')
      .requiredOption('-n, --name <name>', 'compute name')
      .addHelpText(
        'after',
        `
In Berth's local cloud, properties.properties.systemServices[].localEndpoints lists where the scoring
endpoint also answers on this machine (http://127.0.0.1:P, and https://127.0.0.1:P with TLS).

Examples:
  berth ml computetarget show -n myaks -o table
  berth ml computetarget show -n myaks --query "properties.properties.systemServices[0].localEndpoints" -o tsv`,
      ),
  ).action(async (o: WsOptions & { name: string }) => {
    const ctx = new CliContext(o);
    ctx.print(await ctx.berth.getCompute(...(await path(ctx, o))), computesTable);
  });

  workspaceOptions(
    target
      .command('list')
      .description("List a workspace's computes.")
      .addHelpText('after', '\nExample:\n  berth ml computetarget list -g myresourcegroup -w myworkspace -o table'),
  ).action(async (o: WsOptions) => {
    const ctx = new CliContext(o);
    const items = [];
    for await (const c of ctx.berth.listComputes(await ctx.subscription(), ctx.group(o.resourceGroup), ctx.workspace(o.workspaceName))) items.push(c);
    ctx.print(items, computesTable);
  });

  const update = target.command('update').description('Update a compute in place.');
  workspaceOptions(
    withSslOptions(
      update
        .command('aks')
        .description('Change TLS, the load balancer type or subnet of an AKS compute, without detaching it.')
        .requiredOption('-n, --name <name>', 'compute name')
        .addOption(new Option('--load-balancer-type <type>', 'public or private scoring endpoint').choices(['PublicIp', 'InternalLoadBalancer']))
        .option('--load-balancer-subnet <subnet>', 'subnet of the internal load balancer')
        .option('--disable-ssl', 'turn TLS termination off')
        .option('--no-wait', 'return as soon as the update is accepted'),
    ).addHelpText(
      'after',
      `
Examples:
  berth ml computetarget update aks -n myaks --load-balancer-type InternalLoadBalancer --load-balancer-subnet default
  berth ml computetarget update aks -n myaks --ssl-cert-file cert.pem --ssl-key-file key.pem --ssl-cname www.contoso.com`,
    ),
  ).action(async (o: WsOptions & Record<string, any>) => {
    const ctx = new CliContext(o);
    const p = await path(ctx, o as WsOptions & { name: string });
    const ssl = sslOptions(o);
    if (!ssl && !o.disableSsl && !o.loadBalancerType && !o.loadBalancerSubnet)
      throw new CliError('Nothing to update: give --load-balancer-type, --load-balancer-subnet, --disable-ssl or --ssl-* options.', 2);
    const config = new AksUpdateConfiguration({
      ...(ssl ? { sslConfiguration: ssl } : o.disableSsl ? { sslConfiguration: { status: 'Disabled' } } : {}),
      loadBalancerType: o.loadBalancerType,
      loadBalancerSubnet: o.loadBalancerSubnet,
    });
    const poller = await ctx.berth.beginUpdateCompute(...p, config.toUpdate());
    await followCompute(ctx, poller as BerthPoller<unknown>, poller.warnings, `Updating compute '${o.name}'`, o.wait === false, p);
  });

  workspaceOptions(
    target
      .command('scale')
      .description('Change the number of nodes of a cluster the workspace created (the VM size cannot change).')
      .requiredOption('-n, --name <name>', 'compute name')
      .requiredOption('-c, --node-count <n>', 'new number of nodes', parseInteger('--node-count', 1, 1000))
      .option('--no-wait', 'return as soon as the change is accepted')
      .addHelpText('after', '\nExample:\n  berth ml computetarget scale -n myaks --node-count 5'),
  ).action(async (o: WsOptions & { name: string; nodeCount: number; wait: boolean }) => {
    const ctx = new CliContext(o);
    const p = await path(ctx, o);
    const poller = await ctx.berth.beginUpdateCompute(...p, { properties: { properties: { agentCount: o.nodeCount } } });
    await followCompute(ctx, poller as BerthPoller<unknown>, poller.warnings, `Scaling compute '${o.name}' to ${o.nodeCount} nodes`, o.wait === false, p);
  });

  workspaceOptions(
    target
      .command('get-credentials')
      .description("Merge the cluster's admin kubeconfig into ~/.kube/config (or --file), for kubectl.")
      .requiredOption('-n, --name <name>', 'compute name')
      .option('--user', 'the user credential instead of the admin one')
      .option('-f, --file <path>', "kubeconfig to merge into (default: KUBECONFIG's first file, else ~/.kube/config); '-' prints it", defaultKubeconfigPath())
      .addHelpText('after', '\nExample:\n  berth ml computetarget get-credentials -n myaks && kubectl get secret/azuremlfessl -n azureml -o yaml'),
  ).action(async (o: WsOptions & { name: string; user?: boolean; file: string }) => {
    const ctx = new CliContext(o);
    const keys = await ctx.berth.listComputeKeys(...(await path(ctx, o)));
    const text = o.user ? keys.userKubeConfig : keys.adminKubeConfig;
    if (!text) throw new CliError(`The compute '${o.name}' has no ${o.user ? 'user' : 'admin'} credential.`);
    if (o.file === '-') {
      process.stdout.write(text);
      return;
    }
    const context = await mergeKubeconfig(o.file, parseYaml(text));
    process.stderr.write(`Merged "${context}" as current context in ${o.file}\n`);
  });

  return ml;
}
