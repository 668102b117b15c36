import type { BerthClient, OperationOptions } from './berth-client.js';
import { BerthRestError } from './errors.js';
import type { WorkspaceResource } from './models.js';

export interface WorkspaceOptions extends OperationOptions {
  /** Default: the only (or first) subscription your token sees. */
  subscriptionId?: string;
  resourceGroup: string;
  /** The client to call Berth with; in Node, `clientFromEnvironment()` of `@berth/sdk/node` finds Berth as the CLI does. */
  client: BerthClient;
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
    const { client } = options;
    const subscriptionId = await subscriptionOf(client, options);
    const resource = await client.getWorkspace(subscriptionId, options.resourceGroup, name, options);
    return new Workspace(client, subscriptionId, options.resourceGroup, name, resource);
  }

  static async create(name: string, options: CreateWorkspaceOptions): Promise<Workspace> {
    const { client } = options;
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
        return await Workspace.get(name, { ...options, subscriptionId });
      } catch (err) {
        if (!(err instanceof BerthRestError && err.statusCode === 404)) throw err;
      }
    }
    const poller = await client.beginCreateWorkspace(subscriptionId, options.resourceGroup, name, options, options);
    const resource = await poller.pollUntilDone(options);
    return new Workspace(client, subscriptionId, options.resourceGroup, name, resource);
  }
}
