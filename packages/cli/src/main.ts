import { Command, CommanderError } from 'commander';
import { upCommand } from './commands/up.js';
import { tokenCommand } from './commands/token.js';
import { adCommand } from './commands/ad.js';
import { aksCommand } from './commands/aks.js';
import { configureCommand } from './commands/configure.js';
import { groupCommand } from './commands/group.js';
import { mlCommand } from './commands/ml.js';
import { roleCommand } from './commands/role.js';
import { studioCommand } from './commands/studio.js';
import { CliError } from './errors.js';
import { BerthConnectionError, BerthRestError, ComputeConfigurationError, OperationFailedError } from '@berth/sdk';
import { ConnectionSettingsError } from '@berth/sdk/node';

export function program(): Command {
  const root = new Command('berth')
    .description('Berth: create, attach and manage Kubernetes inference clusters for ML workspaces.')
    .showHelpAfterError('(run with --help for usage)')
    .addCommand(upCommand())
    .addCommand(tokenCommand())
    .addCommand(adCommand())
    .addCommand(roleCommand())
    .addCommand(configureCommand())
    .addCommand(groupCommand())
    .addCommand(mlCommand())
    .addCommand(aksCommand())
    .addCommand(studioCommand());
  // Usage errors exit 2, failures 1, as the Azure CLI does.
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(root);
  return root;
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`ERROR: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof BerthRestError || err instanceof OperationFailedError) {
      const code = err instanceof BerthRestError ? err.code : err.error.code;
      const details = err instanceof BerthRestError ? err.details : (err.error.details ?? []);
      const message = err instanceof BerthRestError ? err.message : err.error.message;
      const lines = details.length > 1 ? details.map((d) => `  - (${d.code}) ${d.target ? `${d.target}: ` : ''}${d.message}`) : [];
      process.stderr.write([`ERROR: (${code}) ${details.length > 1 ? `${details.length} problems:` : message}`, ...lines].join('\n') + '\n');
      return 1;
    }
    if (err instanceof ComputeConfigurationError) {
      process.stderr.write(
        `ERROR: (ComputeValidationFailed) ${err.details.length} problem${err.details.length === 1 ? '' : 's'} with the configuration; nothing was sent:\n${err.details.map((d) => `  - (${d.code}) ${d.message}`).join('\n')}\n`,
      );
      return 1;
    }
    if (err instanceof BerthConnectionError || err instanceof ConnectionSettingsError) {
      process.stderr.write(`ERROR: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`ERROR: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}
