import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { ArmRestClient, BerthClient } from '@berth/sdk';
import { berthHome, clientFromEnvironment } from '@berth/sdk/node';
import { CliError } from './errors.js';
import { formatOutput, outputFormats, type OutputFormat, type TableTransformer } from './output.js';

/** Options every API command takes, as in the Azure CLI. */
export interface GlobalOptions {
  home?: string;
  output: OutputFormat;
  query?: string;
  subscription?: string;
}

/** `berth configure --defaults` values, kept in the home folder like the Azure CLI's config. */
export interface CliDefaults {
  group?: string;
  workspace?: string;
  location?: string;
  subscription?: string;
}

const DEFAULTS_FILE = 'cli-defaults.json';

export function withGlobalOptions(command: Command): Command {
  return command
    .addOption(new Option('-o, --output <format>', 'output format').choices([...outputFormats]).default('json'))
    .option('--query <jmespath>', 'JMESPath query applied to the result, e.g. "id" or "[].name"')
    .option('--subscription <id>', 'subscription id (default: the configured one, else your first)')
    .option('--home <dir>', "Berth's home folder (endpoint, ca.pem, token); env BERTH_HOME");
}

export function readDefaults(home?: string): CliDefaults {
  const path = join(berthHome(home), DEFAULTS_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as CliDefaults) : {};
}

export async function writeDefaults(home: string | undefined, defaults: CliDefaults): Promise<string> {
  const dir = berthHome(home);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, DEFAULTS_FILE);
  await writeFile(path, `${JSON.stringify(defaults, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** What a command needs to call Berth: the REST client and the subscription to work in. */
export class CliContext {
  readonly client: ArmRestClient;
  /** The SDK over the same connection. */
  readonly berth: BerthClient;
  readonly defaults: CliDefaults;
  private subscriptionId?: string;

  constructor(readonly options: GlobalOptions) {
    this.berth = clientFromEnvironment({ home: options.home });
    this.client = this.berth.rest;
    this.defaults = readDefaults(options.home);
    this.subscriptionId = options.subscription ?? this.defaults.subscription;
  }

  async subscription(): Promise<string> {
    if (this.subscriptionId) return this.subscriptionId;
    const res = await this.client.request('GET', '/subscriptions', { query: { 'api-version': '2020-01-01' } });
    const first = res.body?.value?.[0]?.subscriptionId as string | undefined;
    if (!first) throw new CliError('Your token has no role on any subscription. Ask an Owner for a token (`berth token create`).');
    this.subscriptionId = first;
    return first;
  }

  /** The resource group from `-g`, else `berth configure --defaults group=...`. */
  group(value?: string): string {
    const group = value ?? this.defaults.group;
    if (!group) throw new CliError('Give a resource group with -g/--resource-group, or set a default: berth configure --defaults group=<name>.', 2);
    return group;
  }

  /** The workspace from `-w`, else `berth configure --defaults workspace=...`. */
  workspace(value?: string): string {
    const workspace = value ?? this.defaults.workspace;
    if (!workspace) throw new CliError('Give a workspace with -w/--workspace-name, or set a default: berth configure --defaults workspace=<name>.', 2);
    return workspace;
  }

  print(value: unknown, table?: TableTransformer): void {
    process.stdout.write(formatOutput(value, { output: this.options.output, query: this.options.query, table, color: process.stdout.isTTY }));
  }
}
