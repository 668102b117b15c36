import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BerthClient, OperationOptions } from './berth-client.js';
import { clientFromEnvironment, type ConnectionOptions } from './home-folder.js';
import { Workspace } from './workspace.js';

export interface WorkspaceConfigOptions extends ConnectionOptions, OperationOptions {
  /** An existing client; otherwise one from the connection options, the environment or Berth's home folder. */
  client?: BerthClient;
}

/**
 * The workspace named by a `config.json` (`subscription_id`, `resource_group`,
 * `workspace_name`), as the original's `Workspace.from_config()`: the given path,
 * or `config.json` / `.azureml/config.json` in this folder or any parent.
 */
export async function workspaceFromConfig(path?: string, options: WorkspaceConfigOptions = {}): Promise<Workspace> {
  const file = path ? resolve(path) : findConfig(process.cwd());
  if (!file || !existsSync(file)) {
    throw new Error(
      `No workspace config.json found ${path ? `at ${path}` : 'in this folder or its parents (config.json or .azureml/config.json)'}; write one with subscription_id, resource_group and workspace_name.`,
    );
  }
  const config = JSON.parse(readFileSync(file, 'utf8')) as { subscription_id?: string; resource_group?: string; workspace_name?: string };
  if (!config.resource_group || !config.workspace_name) throw new Error(`${file} needs resource_group and workspace_name.`);
  const client = options.client ?? clientFromEnvironment(options);
  return Workspace.get(config.workspace_name, { ...options, client, subscriptionId: config.subscription_id, resourceGroup: config.resource_group });
}

function findConfig(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'config.json'), join(dir, '.azureml', 'config.json')]) if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
