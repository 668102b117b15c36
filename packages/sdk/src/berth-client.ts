import { armPath, pathSegment } from './arm-path.js';
import { BerthPoller, type PollerState } from './poller.js';
import { ArmRestClient, type OperationStatus, type RestResponse } from './rest-client.js';
import type {
  AksComputeSecrets,
  ComputeDefinition,
  ComputeNode,
  ComputeResource,
  ComputeUpdate,
  Permission,
  ResourceGroup,
  Subscription,
  WorkspaceResource,
} from './models.js';

export const ML_API_VERSION = '2022-10-01';
const GROUPS_API_VERSION = '2021-04-01';
const SUBSCRIPTIONS_API_VERSION = '2020-01-01';
const AUTHORIZATION_API_VERSION = '2022-04-01';

export interface OperationOptions {
  abortSignal?: AbortSignal;
}

export interface BerthClientOptions {
  /** PEM of the CA that signs Berth's certificate (its home folder's ca.pem); ignored in a browser, which trusts certificates itself. */
  ca?: string;
  /** Headers sent with every request: a browser page signed in with a session cookie (empty token) sends its `X-Berth-CSRF` here. */
  headers?: Record<string, string>;
}

/** A paged list, as the Azure SDK's: iterate items with `for await`, or pages with `byPage()`. */
export interface PagedAsyncIterableIterator<T> extends AsyncIterableIterator<T> {
  byPage(): AsyncIterableIterator<T[]>;
}

function paged<T>(
  first: () => Promise<RestResponse<{ value: T[]; nextLink?: string }>>,
  next: (link: string) => Promise<RestResponse<{ value: T[]; nextLink?: string }>>,
): PagedAsyncIterableIterator<T> {
  async function* pages(): AsyncIterableIterator<T[]> {
    let res = await first();
    yield res.body.value;
    while (res.body.nextLink) {
      res = await next(res.body.nextLink);
      yield res.body.value;
    }
  }
  async function* items(): AsyncIterableIterator<T> {
    for await (const page of pages()) yield* page;
  }
  const iterator = items();
  return Object.assign(iterator, { byPage: pages });
}

/**
 * Berth's HTTPS API: resource groups, workspaces and AKS computes. Long-running
 * calls are `begin…` and return pollers; every call takes an `abortSignal`.
 * In Node, `clientFromEnvironment()` of `@berth/sdk/node` makes one from Berth's home folder.
 */
export class BerthClient {
  readonly rest: ArmRestClient;

  constructor(endpoint: string, token: string, options: BerthClientOptions = {}) {
    this.rest = new ArmRestClient({ endpoint, token, ca: options.ca, headers: options.headers });
  }

  async listSubscriptions(options: OperationOptions = {}): Promise<Subscription[]> {
    const res = await this.rest.request<{ value: Subscription[] }>('GET', '/subscriptions', {
      query: { 'api-version': SUBSCRIPTIONS_API_VERSION },
      abortSignal: options.abortSignal,
    });
    return res.body.value;
  }

  async createResourceGroup(subscriptionId: string, name: string, location: string, options: OperationOptions = {}): Promise<ResourceGroup> {
    const res = await this.rest.request<ResourceGroup>('PUT', armPath`/subscriptions/${subscriptionId}/resourcegroups/${name}`, {
      query: { 'api-version': GROUPS_API_VERSION },
      body: { location },
      abortSignal: options.abortSignal,
    });
    return res.body;
  }

  async getResourceGroup(subscriptionId: string, name: string, options: OperationOptions = {}): Promise<ResourceGroup> {
    const res = await this.rest.request<ResourceGroup>('GET', armPath`/subscriptions/${subscriptionId}/resourcegroups/${name}`, {
      query: { 'api-version': GROUPS_API_VERSION },
      abortSignal: options.abortSignal,
    });
    return res.body;
  }

  workspacePath(subscriptionId: string, resourceGroup: string, workspace: string): string {
    return armPath`/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
  }

  computePath(subscriptionId: string, resourceGroup: string, workspace: string, compute: string): string {
    return this.workspacePath(subscriptionId, resourceGroup, workspace) + armPath`/computes/${compute}`;
  }

  private poller<T>(res: RestResponse<T>, resourceUrl: string | undefined): BerthPoller<T> {
    const statusUrl = res.headers['azure-asyncoperation'];
    return this.pollerOf<T>({ statusUrl, resourceUrl, status: statusUrl ? 'InProgress' : 'Succeeded' }, res.body);
  }

  /** A poller from `poller.toString()` of an earlier one, e.g. after a restart. */
  resumePoller<T>(serialized: string): BerthPoller<T> {
    return this.pollerOf<T>(JSON.parse(serialized) as PollerState);
  }

  private pollerOf<T>(state: PollerState, initialResult?: T): BerthPoller<T> {
    const { resourceUrl } = state;
    return new BerthPoller<T>(state, {
      readStatus: (url, abortSignal) => this.rest.readOperationStatus(url, abortSignal),
      readResult: resourceUrl ? async (_final, abortSignal) => (await this.rest.request<T>('GET', resourceUrl, { abortSignal })).body : undefined,
      initialResult,
    });
  }

  async beginCreateWorkspace(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    workspace: { location: string; description?: string; friendlyName?: string; tags?: Record<string, string> },
    options: OperationOptions = {},
  ): Promise<BerthPoller<WorkspaceResource>> {
    const path = this.workspacePath(subscriptionId, resourceGroup, name);
    const body = {
      location: workspace.location,
      ...(workspace.tags ? { tags: workspace.tags } : {}),
      properties: { description: workspace.description, friendlyName: workspace.friendlyName },
    };
    const res = await this.rest.request<WorkspaceResource>('PUT', path, { query: { 'api-version': ML_API_VERSION }, body, abortSignal: options.abortSignal });
    return this.poller(res, `${path}?api-version=${ML_API_VERSION}`);
  }

  async getWorkspace(subscriptionId: string, resourceGroup: string, name: string, options: OperationOptions = {}): Promise<WorkspaceResource> {
    return (
      await this.rest.request<WorkspaceResource>('GET', this.workspacePath(subscriptionId, resourceGroup, name), {
        query: { 'api-version': ML_API_VERSION },
        abortSignal: options.abortSignal,
      })
    ).body;
  }

  listWorkspaces(subscriptionId: string, resourceGroup?: string, options: OperationOptions = {}): PagedAsyncIterableIterator<WorkspaceResource> {
    const base = resourceGroup ? armPath`/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}` : armPath`/subscriptions/${subscriptionId}`;
    return paged(
      () =>
        this.rest.request('GET', `${base}/providers/Microsoft.MachineLearningServices/workspaces`, {
          query: { 'api-version': ML_API_VERSION },
          abortSignal: options.abortSignal,
        }),
      (link) => this.rest.request('GET', link, { abortSignal: options.abortSignal }),
    );
  }

  async beginDeleteWorkspace(subscriptionId: string, resourceGroup: string, name: string, options: OperationOptions = {}): Promise<BerthPoller<void>> {
    const res = await this.rest.request<void>('DELETE', this.workspacePath(subscriptionId, resourceGroup, name), {
      query: { 'api-version': ML_API_VERSION },
      abortSignal: options.abortSignal,
    });
    return this.poller(res, undefined);
  }

  /** Creates an AKS compute (a new cluster), or attaches one when `compute.properties.resourceId` is set. */
  async beginCreateCompute(
    subscriptionId: string,
    resourceGroup: string,
    workspace: string,
    name: string,
    compute: ComputeDefinition,
    options: OperationOptions = {},
  ): Promise<BerthPoller<ComputeResource> & { warnings: string[] }> {
    return this.beginComputeWrite('PUT', this.computePath(subscriptionId, resourceGroup, workspace, name), compute, options);
  }

  /** Attaches an existing managed cluster, by its ARM resource id. */
  async beginAttachCompute(
    subscriptionId: string,
    resourceGroup: string,
    workspace: string,
    name: string,
    compute: ComputeDefinition,
    options: OperationOptions = {},
  ) {
    if (!compute.properties.resourceId) throw new TypeError('beginAttachCompute needs properties.resourceId (the managed cluster to attach).');
    return this.beginCreateCompute(subscriptionId, resourceGroup, workspace, name, compute, options);
  }

  async beginUpdateCompute(
    subscriptionId: string,
    resourceGroup: string,
    workspace: string,
    name: string,
    update: ComputeUpdate,
    options: OperationOptions = {},
  ): Promise<BerthPoller<ComputeResource> & { warnings: string[] }> {
    return this.beginComputeWrite('PATCH', this.computePath(subscriptionId, resourceGroup, workspace, name), update, options);
  }

  /** A PUT or PATCH of a compute: its poller, with the server's warnings (R2's DevTest notice, certificate expiry). */
  private async beginComputeWrite(
    method: 'PUT' | 'PATCH',
    path: string,
    body: ComputeDefinition | ComputeUpdate,
    options: OperationOptions,
  ): Promise<BerthPoller<ComputeResource> & { warnings: string[] }> {
    const res = await this.rest.request<ComputeResource>(method, path, { query: { 'api-version': ML_API_VERSION }, body, abortSignal: options.abortSignal });
    return Object.assign(this.poller(res, `${path}?api-version=${ML_API_VERSION}`), { warnings: warningsOf(res) });
  }

  /** Detach keeps the cluster and removes what Berth installed; Delete also deletes a cluster the workspace created. */
  async beginDeleteCompute(
    subscriptionId: string,
    resourceGroup: string,
    workspace: string,
    name: string,
    underlyingResourceAction: 'Detach' | 'Delete',
    options: OperationOptions = {},
  ): Promise<BerthPoller<void>> {
    const res = await this.rest.request<void>('DELETE', this.computePath(subscriptionId, resourceGroup, workspace, name), {
      query: { 'api-version': ML_API_VERSION, underlyingResourceAction },
      abortSignal: options.abortSignal,
    });
    return this.poller(res, undefined);
  }

  beginDetachCompute(subscriptionId: string, resourceGroup: string, workspace: string, name: string, options: OperationOptions = {}) {
    return this.beginDeleteCompute(subscriptionId, resourceGroup, workspace, name, 'Detach', options);
  }

  async getCompute(subscriptionId: string, resourceGroup: string, workspace: string, name: string, options: OperationOptions = {}): Promise<ComputeResource> {
    return (await this.readCompute(subscriptionId, resourceGroup, workspace, name, options)).body;
  }

  private readCompute(subscriptionId: string, resourceGroup: string, workspace: string, name: string, options: OperationOptions) {
    return this.rest.request<ComputeResource>('GET', this.computePath(subscriptionId, resourceGroup, workspace, name), {
      query: { 'api-version': ML_API_VERSION },
      abortSignal: options.abortSignal,
    });
  }

  /**
   * The operation in progress on a compute (a create, attach, update, detach or delete), to follow its steps
   * (`getOperationState().steps`) when it was started elsewhere; undefined when none is. Its result is the
   * final operation status: read the compute itself for what the operation made.
   */
  async getComputeOperation(
    subscriptionId: string,
    resourceGroup: string,
    workspace: string,
    name: string,
    options: OperationOptions = {},
  ): Promise<BerthPoller<OperationStatus> | undefined> {
    const statusUrl = (await this.readCompute(subscriptionId, resourceGroup, workspace, name, options)).headers['azure-asyncoperation'];
    return statusUrl ? BerthPoller.forOperationStatus(statusUrl, this.rest, { resolveOnUnsuccessful: true }) : undefined;
  }

  /**
   * What the caller may do at a resource group or resource, given by its id (`Microsoft.Authorization/permissions`):
   * one entry per role it holds there or above. `permits()` of `@berth/compute-rules` says whether they allow an action,
   * e.g. `clusterActions.credentials` on a cluster, which attaching it needs.
   */
  listPermissions(scope: string, options: OperationOptions = {}): PagedAsyncIterableIterator<Permission> {
    const path = scope
      .replace(/^\/|\/$/g, '')
      .split('/')
      .map(pathSegment)
      .join('/');
    return paged(
      () =>
        this.rest.request('GET', `/${path}/providers/Microsoft.Authorization/permissions`, {
          query: { 'api-version': AUTHORIZATION_API_VERSION },
          abortSignal: options.abortSignal,
        }),
      (link) => this.rest.request('GET', link, { abortSignal: options.abortSignal }),
    );
  }

  listComputes(subscriptionId: string, resourceGroup: string, workspace: string, options: OperationOptions = {}): PagedAsyncIterableIterator<ComputeResource> {
    return paged(
      () =>
        this.rest.request('GET', `${this.workspacePath(subscriptionId, resourceGroup, workspace)}/computes`, {
          query: { 'api-version': ML_API_VERSION },
          abortSignal: options.abortSignal,
        }),
      (link) => this.rest.request('GET', link, { abortSignal: options.abortSignal }),
    );
  }

  async listComputeKeys(
    subscriptionId: string,
    resourceGroup: string,
    workspace: string,
    name: string,
    options: OperationOptions = {},
  ): Promise<AksComputeSecrets> {
    return (
      await this.rest.request<AksComputeSecrets>('POST', `${this.computePath(subscriptionId, resourceGroup, workspace, name)}/listKeys`, {
        query: { 'api-version': ML_API_VERSION },
        abortSignal: options.abortSignal,
      })
    ).body;
  }

  async listComputeNodes(
    subscriptionId: string,
    resourceGroup: string,
    workspace: string,
    name: string,
    options: OperationOptions = {},
  ): Promise<ComputeNode[]> {
    return (
      await this.rest.request<{ nodes: ComputeNode[] }>('POST', `${this.computePath(subscriptionId, resourceGroup, workspace, name)}/listNodes`, {
        query: { 'api-version': ML_API_VERSION },
        abortSignal: options.abortSignal,
      })
    ).body.nodes;
  }
}

/** The warnings of a `Warning: 299 - "..."` header. */
export function warningsOf(res: RestResponse): string[] {
  const header = res.headers['warning'];
  if (!header) return [];
  return [...header.matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
}
