import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BerthClient, type OperationOptions } from './berth-client.js';
import type { ConnectionOptions } from './connection.js';
import { BerthRestError } from './errors.js';
import type { WorkspaceResource } from './models.js';

export interface WorkspaceOptions extends ConnectionOptions, OperationOptions {
  /** Default: the only (or first) subscription your token sees. */
  subscriptionId?: string;
  resourceGroup: string;
  /** An existing client; otherwise one is made from the connection options. */
  client?: BerthClient;
}

export interface CreateWorkspaceOptions extends WorkspaceOptions {
  location: string;
  description?: string;
  friendlyName?: string;
  /** Create the resource group when it does not exist (the original's `create_resource_group=True`). */
  createResourceGroup?: boolean;
  /** Return the workspace if it exists instead of failing. */
  existOk?: boolean;
}

async function subscriptionOf(client: BerthClient, options: { subscriptionId?: string; abortSignal?: AbortSignal }): Promise<string> {
  if (options.subscriptionId) return options.subscriptionId;
  const subs = await client.listSubscriptions(options);
  if (subs.length === 0) throw new Error('Your token has no role on any subscription; ask an Owner for one (`berth token create`).');
  return subs[0].subscriptionId;
}

/** A machine-learning workspace, the article's `Workspace`. */
export class Workspace {
  private constructor(
    readonly client: BerthClient,
    readonly subscriptionId: string,
    readonly resourceGroup: string,
    readonly name: string,
    readonly resource: WorkspaceResource,
  ) {}

  get location(): string {
    return this.resource.location;
  }

  static async get(name: string, options: WorkspaceOptions): Promise<Workspace> {
    const client = options.client ?? BerthClient.fromEnvironment(options);
    const subscriptionId = await subscriptionOf(client, options);
    const resource = await client.getWorkspace(subscriptionId, options.resourceGroup, name, options);
    return new Workspace(client, subscriptionId, options.resourceGroup, name, resource);
  }

  static async create(name: string, options: CreateWorkspaceOptions): Promise<Workspace> {
    const client = options.client ?? BerthClient.fromEnvironment(options);
    const subscriptionId = await subscriptionOf(client, options);
    if (options.createResourceGroup) {
      try {
        await client.getResourceGroup(subscriptionId, options.resourceGroup, options);
      } catch (err) {
        if (!(err instanceof BerthRestError && err.statusCode === 404)) throw err;
        await client.createResourceGroup(subscriptionId, options.resourceGroup, options.location, options);
      }
    }
    if (options.existOk) {
      try {
        return await Workspace.get(name, { ...options, client, subscriptionId });
      } catch (err) {
        if (!(err instanceof BerthRestError && err.statusCode === 404)) throw err;
      }
    }
    const poller = await client.beginCreateWorkspace(subscriptionId, options.resourceGroup, name, options, options);
    const resource = await poller.pollUntilDone(options);
    return new Workspace(client, subscriptionId, options.resourceGroup, name, resource);
  }

  /**
   * The workspace named by a `config.json` (`subscription_id`, `resource_group`,
   * `workspace_name`), as the original's `Workspace.from_config()`: the given path,
   * or `config.json` / `.azureml/config.json` in this folder or any parent.
   */
  static async fromConfig(path?: string, options: ConnectionOptions & OperationOptions & { client?: BerthClient } = {}): Promise<Workspace> {
    const file = path ? resolve(path) : findConfig(process.cwd());
    if (!file || !existsSync(file)) {
      throw new Error(`No workspace config.json found ${path ? `at ${path}` : 'in this folder or its parents (config.json or .azureml/config.json)'}; write one with subscription_id, resource_group and workspace_name.`);
    }
    const config = JSON.parse(readFileSync(file, 'utf8')) as { subscription_id?: string; resource_group?: string; workspace_name?: string };
    if (!config.resource_group || !config.workspace_name) throw new Error(`${file} needs resource_group and workspace_name.`);
    return Workspace.get(config.workspace_name, { ...options, subscriptionId: config.subscription_id, resourceGroup: config.resource_group });
  }
}

function findConfig(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'config.json'), join(dir, '.azureml', 'config.json')]) if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
