import { Command, Option } from 'commander';
import { ArmRestClient, resolveConnection } from '@berth/sdk';

export function tokenCommand(): Command {
  const token = new Command('token').description("Manage bearer tokens for Berth's API.");
  token
    .command('create')
    .description('Create a bearer token with a role on one subscription (or on all of them) and print it.')
    .addOption(new Option('--role <role>', 'role the token holds').choices(['Reader', 'Contributor', 'Owner']).makeOptionMandatory())
    .option('--subscription <id>', 'limit the role to this subscription (default: every subscription)')
    .option('--name <name>', 'a name that identifies the token in errors and logs')
    .option('--home <dir>', 'Berth home folder; env BERTH_HOME')
    .addHelpText('after', `
Examples:
  berth token create --role Reader
  berth token create --role Contributor --subscription 00000000-0000-0000-0000-000000000000 --name ci`)
    .action(async (opts: { role: string; subscription?: string; name?: string; home?: string }) => {
      const client = new ArmRestClient(resolveConnection({ home: opts.home }));
      const res = await client.request('POST', '/berth/tokens', { body: { role: opts.role, subscription: opts.subscription, name: opts.name } });
      process.stdout.write(`${(res.body as { token: string }).token}\n`);
    });
  return token;
}
