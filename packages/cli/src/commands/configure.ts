import { Command } from 'commander';
import { readDefaults, writeDefaults, type CliDefaults } from '../cli-context.js';
import { CliError } from '../errors.js';

const KEYS: Array<keyof CliDefaults> = ['group', 'workspace', 'location', 'subscription'];

export function configureCommand(): Command {
  return new Command('configure')
    .description('Set defaults that commands use when -g, -w, -l or --subscription are left out (kept in the Berth home folder).')
    .option('--defaults <key=value...>', `defaults to set (${KEYS.join(', ')}); an empty value removes one`)
    .option('--home <dir>', 'Berth home folder; env BERTH_HOME')
    .addHelpText(
      'after',
      `
Examples:
  berth configure --defaults group=myresourcegroup workspace=myworkspace
  berth configure --defaults workspace=        # remove the default workspace
  berth configure                              # show the defaults`,
    )
    .action(async (o: { defaults?: string[]; home?: string }) => {
      const defaults = readDefaults(o.home);
      for (const pair of o.defaults ?? []) {
        const [key, ...rest] = pair.split('=');
        if (!KEYS.includes(key as keyof CliDefaults) || rest.length === 0) {
          throw new CliError(`'${pair}' is not key=value with key one of ${KEYS.join(', ')}.`, 2);
        }
        const value = rest.join('=');
        if (value) defaults[key as keyof CliDefaults] = value;
        else delete defaults[key as keyof CliDefaults];
      }
      if (o.defaults) await writeDefaults(o.home, defaults);
      process.stdout.write(`${JSON.stringify(defaults, null, 2)}\n`);
    });
}
