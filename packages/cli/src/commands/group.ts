import { Command } from 'commander';
import { CliContext, withGlobalOptions, type GlobalOptions } from '../cli-context.js';
import { waitForOperation } from '../long-running.js';

const API = '2021-04-01';

export function groupCommand(): Command {
  const group = new Command('group').description('Manage resource groups.');
  withGlobalOptions(
    group
      .command('create')
      .description('Create a resource group (or update its tags).')
      .requiredOption('-n, --name <name>', 'resource group name')
      .requiredOption('-l, --location <location>', 'region, e.g. westus')
      .addHelpText('after', '\nExample:\n  berth group create -n myresourcegroup -l westus'),
  ).action(async (o: GlobalOptions & { name: string; location: string }) => {
    const ctx = new CliContext(o);
    ctx.print(await ctx.berth.createResourceGroup(await ctx.subscription(), o.name, o.location));
  });
  withGlobalOptions(
    group
      .command('show')
      .description('Show a resource group.')
      .requiredOption('-n, --name <name>', 'resource group name')
      .addHelpText('after', '\nExample:\n  berth group show -n myresourcegroup'),
  ).action(async (o: GlobalOptions & { name: string }) => {
    const ctx = new CliContext(o);
    ctx.print(await ctx.berth.getResourceGroup(await ctx.subscription(), o.name));
  });
  withGlobalOptions(group.command('list').description('List resource groups.').addHelpText('after', '\nExample:\n  berth group list -o table')).action(
    async (o: GlobalOptions) => {
      const ctx = new CliContext(o);
      ctx.print(await ctx.client.listAll(`/subscriptions/${await ctx.subscription()}/resourcegroups`, { query: { 'api-version': API } }));
    },
  );
  withGlobalOptions(
    group
      .command('delete')
      .description('Delete a resource group and everything in it.')
      .requiredOption('-n, --name <name>', 'resource group name')
      .requiredOption('-y, --yes', 'confirm: everything in the group is deleted')
      .option('--no-wait', 'return as soon as the delete is accepted')
      .addHelpText('after', '\nExample:\n  berth group delete -n myresourcegroup --yes'),
  ).action(async (o: GlobalOptions & { name: string; wait: boolean }) => {
    const ctx = new CliContext(o);
    const started = await ctx.client.request('DELETE', `/subscriptions/${await ctx.subscription()}/resourcegroups/${encodeURIComponent(o.name)}`, {
      query: { 'api-version': API },
    });
    await waitForOperation(ctx.client, started, `Deleting resource group '${o.name}'`, o.wait === false);
  });
  return group;
}
