import { Command, InvalidArgumentError, Option } from 'commander';
import { builtInRoles } from '@berth/arm';
import { CliContext, type GlobalOptions } from '../cli-context.js';
import { CliError } from '../errors.js';
import { outputFormats } from '../output.js';

interface ServicePrincipalInfo {
  appId: string;
  objectId: string;
  displayName: string;
  tenant: string;
  roles: Record<string, string>;
  createdAt: string;
  passwordExpiresAt: string;
}

const CREDENTIAL_WARNING =
  'The output includes credentials that you must protect. Be sure that you do not include these credentials in your code or check the credentials into your source control.\n';

function parseYears(value: string): number {
  const years = Number(value);
  if (!/^\d+$/.test(value.trim()) || years < 1 || years > 100) throw new InvalidArgumentError('--years takes a whole number of years from 1 to 100.');
  return years;
}

/** -o, --query and --home, as every API command takes (no --subscription: principals are not in one). */
function withOutputOptions(command: Command): Command {
  return command
    .addOption(new Option('-o, --output <format>', 'output format').choices([...outputFormats]).default('json'))
    .option('--query <jmespath>', 'JMESPath query applied to the result, e.g. "appId" or "[].displayName"')
    .option('--home <dir>', "Berth's home folder (endpoint, ca.pem, token); env BERTH_HOME");
}

function servicePrincipalCommand(): Command {
  const sp = new Command('sp').description(
    "Manage service principals: an app id and a secret that Berth's token service trades for a bearer JWT (az login --service-principal, ClientSecretCredential).",
  );

  withOutputOptions(
    sp
      .command('create-for-rbac')
      .description(
        'Create a service principal and print its appId, displayName, password (the client secret, shown only now: only its hash is stored) and tenant. ' +
          'With --role and --scopes it gets that role at those scopes (role assignments); without them it gets no role. Only an Owner of every scope can do this.',
      )
      .option('-n, --name <name>', 'display name, unique (default: berth-sp-<date-time>)')
      .addOption(new Option('--role <role>', 'role on the --scopes (default: none)').choices(builtInRoles.map((r) => r.roleName)))
      .option(
        '--scopes <scopes...>',
        'scopes the role applies at, space-separated: /subscriptions/<id>[/resourceGroups/<g>[/providers/<namespace>/<type>/<name>]] ...',
      )
      .option('--years <n>', 'years the secret is valid (default 1)', parseYears)
      .addHelpText(
        'after',
        `
Examples:
  berth ad sp create-for-rbac --name ci --role Contributor --scopes /subscriptions/00000000-0000-0000-0000-000000000000
  berth ad sp create-for-rbac --name audit --role Reader --scopes /subscriptions/<id> --years 2
  berth ad sp create-for-rbac --name team --role Contributor --scopes /subscriptions/<id>/resourceGroups/ml-rg

Then sign in with it (the Azure CLI, with Berth registered as a cloud whose login endpoint ends in /adfs):
  az login --service-principal -u <appId> -p <password> --tenant <tenant>
or from code: new ClientSecretCredential(tenant, appId, password, { authorityHost: '<Berth URL>', disableInstanceDiscovery: true })`,
      ),
  ).action(async (o: GlobalOptions & { name?: string; role?: string; scopes?: string[]; years?: number }) => {
    if ((o.role === undefined) !== (o.scopes === undefined)) {
      throw new CliError('usage error: to give the service principal a role, specify both --role and --scopes (or neither for no role).', 2);
    }
    const ctx = new CliContext(o);
    const res = await ctx.client.request('POST', '/berth/servicePrincipals', {
      body: { displayName: o.name, role: o.role, scopes: o.scopes, years: o.years },
    });
    const made = res.body as ServicePrincipalInfo & { password: string };
    process.stderr.write(CREDENTIAL_WARNING);
    ctx.print({ appId: made.appId, displayName: made.displayName, password: made.password, tenant: made.tenant });
  });

  withOutputOptions(
    sp
      .command('list')
      .description('List the service principals you manage (appId, objectId, name, roles, tenant, dates); never their secrets.')
      .addHelpText('after', '\nExamples:\n  berth ad sp list -o table\n  berth ad sp list --query "[?displayName==\'ci\'].appId" -o tsv'),
  ).action(async (o: GlobalOptions) => {
    const ctx = new CliContext(o);
    const res = await ctx.client.request('GET', '/berth/servicePrincipals');
    ctx.print((res.body as { value: ServicePrincipalInfo[] }).value, (value) =>
      (value as ServicePrincipalInfo[]).map((p) => ({
        DisplayName: p.displayName,
        AppId: p.appId,
        Roles: Object.entries(p.roles)
          .map(([scope, role]) => `${role} on ${scope === '*' ? 'every subscription' : scope.startsWith('/') ? scope : `/subscriptions/${scope}`}`)
          .join(', '),
        Tenant: p.tenant,
        PasswordExpires: p.passwordExpiresAt,
      })),
    );
  });

  const credential = new Command('credential').description("Manage a service principal's secret.");
  withOutputOptions(
    credential
      .command('reset')
      .description(
        'Replace the secret of a service principal and print the new one (appId, password, tenant). The old secret stops working at once; tokens already issued stay valid until they expire (an hour).',
      )
      .requiredOption('--id <appId>', 'the appId (or objectId) of the service principal')
      .option('--years <n>', 'years the new secret is valid (default 1)', parseYears)
      .addHelpText('after', '\nExample:\n  berth ad sp credential reset --id 11111111-2222-3333-4444-555555555555'),
  ).action(async (o: GlobalOptions & { id: string; years?: number }) => {
    const ctx = new CliContext(o);
    const res = await ctx.client.request('POST', `/berth/servicePrincipals/${encodeURIComponent(o.id)}/resetCredential`, { body: { years: o.years } });
    const reset = res.body as { appId: string; password: string; tenant: string };
    process.stderr.write(CREDENTIAL_WARNING);
    ctx.print({ appId: reset.appId, password: reset.password, tenant: reset.tenant });
  });
  sp.addCommand(credential);

  sp.command('delete')
    .description(
      'Delete a service principal: its secret stops working at once; its tokens, and the Berth tokens it minted (berth token create), within a second.',
    )
    .requiredOption('--id <appId>', 'the appId (or objectId) of the service principal')
    .option('--home <dir>', "Berth's home folder; env BERTH_HOME")
    .addHelpText('after', '\nExample:\n  berth ad sp delete --id 11111111-2222-3333-4444-555555555555')
    .action(async (o: { id: string; home?: string }) => {
      const ctx = new CliContext({ home: o.home, output: 'none' });
      await ctx.client.request('DELETE', `/berth/servicePrincipals/${encodeURIComponent(o.id)}`);
      process.stderr.write(`Service principal '${o.id}' deleted.\n`);
    });
  return sp;
}

export function adCommand(): Command {
  return new Command('ad')
    .description('Identities that sign in to Berth, as `az ad` manages them in Azure: service principals.')
    .addCommand(servicePrincipalCommand());
}
