import { Command, InvalidArgumentError, Option } from 'commander';
import { ArmRestClient } from '@berth/sdk';
import { resolveConnection } from '@berth/sdk/node';
import { CliContext, withGlobalOptions, type GlobalOptions } from '../cli-context.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, y: 365 * 86_400 };

/** `30d`, `12h`, `90m`, `45s`, `1y` as seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)([smhdy])$/.exec(value.trim());
  if (!match || Number(match[1]) === 0) {
    throw new InvalidArgumentError('--expires-in takes a number and a unit: s (seconds), m (minutes), h (hours), d (days) or y (years), e.g. 30d.');
  }
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

interface TokenInfo {
  name: string;
  roles: Record<string, string>;
  createdAt: string;
  expiresAt: string | null;
}

export function tokenCommand(): Command {
  const token = new Command('token').description("Manage bearer tokens for Berth's API: create, list and revoke.");
  token
    .command('create')
    .description('Create a bearer token with a role on one subscription (or on all of them) and print it. Only its hash is stored: keep it now.')
    .addOption(new Option('--role <role>', 'role the token holds').choices(['Reader', 'Contributor', 'Owner']).makeOptionMandatory())
    .option('--subscription <id>', 'limit the role to this subscription (default: every subscription)')
    .option('--name <name>', 'a unique name that identifies the token in lists, errors and logs, and revokes it')
    .option('--expires-in <duration>', 'lifetime: 30d, 12h, 90m, 45s, 1y (default 90d; at most 3650d)', parseDuration)
    .option('--home <dir>', 'Berth home folder; env BERTH_HOME')
    .addHelpText(
      'after',
      `
Examples:
  berth token create --role Reader
  berth token create --role Contributor --subscription 00000000-0000-0000-0000-000000000000 --name ci --expires-in 30d`,
    )
    .action(async (opts: { role: string; subscription?: string; name?: string; expiresIn?: number; home?: string }) => {
      const client = new ArmRestClient(resolveConnection({ home: opts.home }));
      const res = await client.request('POST', '/berth/tokens', {
        body: { role: opts.role, subscription: opts.subscription, name: opts.name, expiresInSeconds: opts.expiresIn },
      });
      const made = res.body as { token: string; name: string; expiresAt: string };
      process.stdout.write(`${made.token}\n`);
      process.stderr.write(`Token '${made.name}' expires at ${made.expiresAt}. Revoke it with: berth token revoke ${made.name}\n`);
    });

  withGlobalOptions(
    token
      .command('list')
      .description('List the tokens you own (name, role, scope, created, expires); never the tokens themselves.')
      .addHelpText('after', '\nExamples:\n  berth token list -o table\n  berth token list --query "[?expiresAt==null].name"'),
  ).action(async (o: GlobalOptions) => {
    const ctx = new CliContext(o);
    const res = await ctx.client.request('GET', '/berth/tokens');
    ctx.print((res.body as { value: TokenInfo[] }).value, (value) =>
      (value as TokenInfo[]).map((t) => ({
        Name: t.name,
        Role: Object.values(t.roles).join(', '),
        Scope: Object.keys(t.roles)
          .map((s) => (s === '*' ? 'every subscription' : s))
          .join(', '),
        Created: t.createdAt,
        Expires: t.expiresAt ?? 'never',
      })),
    );
  });

  token
    .command('revoke')
    .description('Revoke a token by name: every Berth process sharing the store refuses it within a second.')
    .argument('<name>', 'the name `berth token list` shows')
    .option('--home <dir>', 'Berth home folder; env BERTH_HOME')
    .addHelpText('after', '\nExample:\n  berth token revoke ci')
    .action(async (name: string, opts: { home?: string }) => {
      const client = new ArmRestClient(resolveConnection({ home: opts.home }));
      await client.request('DELETE', `/berth/tokens/${encodeURIComponent(name)}`);
      process.stderr.write(`Token '${name}' revoked.\n`);
    });
  return token;
}
