import { Command, CommanderError } from 'commander';
import { upCommand } from './commands/up.js';
import { tokenCommand } from './commands/token.js';
import { CliError } from './errors.js';

export function program(): Command {
  const root = new Command('berth')
    .description('Berth: create, attach and manage Kubernetes inference clusters for ML workspaces.')
    .showHelpAfterError('(run with --help for usage)')
    .addCommand(upCommand())
    .addCommand(tokenCommand());
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
    process.stderr.write(`ERROR: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}
