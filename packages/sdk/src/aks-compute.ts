import { checkComputePut, computeNameProblem, provisioningInProgress } from '@berth/compute-rules';
import type { OperationOptions } from './berth-client.js';
import { BerthRestError, OperationFailedError, type ErrorDetail } from './errors.js';
import type { AksComputeSecrets, ClusterPurpose as Purpose, ComputeDefinition, ComputeResource, LoadBalancerType, SslConfiguration } from './models.js';
import { sleep, type BerthPoller } from './poller.js';
import type { Workspace } from './workspace.js';

/** The article's `AksCompute.ClusterPurpose`. */
export const ClusterPurpose = { DevTest: 'DevTest', FastProd: 'FastProd', DenseProd: 'DenseProd', DEV_TEST: 'DevTest', FAST_PROD: 'FastProd' } as const;

/**
 * TLS termination: a certificate Berth issues, or your own as PEM text (in Node,
 * `readSslPemFiles` of `@berth/sdk/node` reads it from the original's PEM files).
 */
export type EnableSslOptions = { leafDomainLabel: string; overwriteExistingDomain?: boolean } | { sslCertPem: string; sslKeyPem: string; sslCname: string };

/** A compute configuration failed Berth's pre-flight rules, locally or on the server: every broken rule is in `details`. */
export class ComputeConfigurationError extends Error {
  constructor(readonly details: ErrorDetail[]) {
    super(
      details.length === 1
        ? details[0].message
        : `The configuration breaks ${details.length} rules:\n${details.map((d) => `  - (${d.code}) ${d.message}`).join('\n')}`,
    );
    this.name = 'ComputeConfigurationError';
  }
}

/** The provisioning of a compute failed; `provisioningErrors` says at which step and why. */
export class ComputeTargetError extends Error {
  constructor(
    message: string,
    readonly provisioningErrors: Array<{ code: string; message: string }>,
  ) {
    super(message);
    this.name = 'ComputeTargetError';
  }
}

function sslFrom(options: EnableSslOptions): SslConfiguration {
  if ('leafDomainLabel' in options)
    return {
      status: 'Auto',
      leafDomainLabel: options.leafDomainLabel,
      ...(options.overwriteExistingDomain !== undefined ? { overwriteExistingDomain: options.overwriteExistingDomain } : {}),
    };
  return { status: 'Enabled', cert: options.sslCertPem, key: options.sslKeyPem, cname: options.sslCname };
}

abstract class AksConfiguration {
  ssl?: SslConfiguration;

  /** TLS termination: a certificate Berth issues for `<label>######.<region>.cloudapp.<zone>`, or your own. */
  enableSsl(options: EnableSslOptions): this {
    this.ssl = sslFrom(options);
    return this;
  }

  abstract toCompute(): ComputeDefinition;

  /**
   * The server's pre-flight rules that need no cloud call (R1 for `computeName`
   * when given, R2, VM size, networking, TLS), run here before any request;
   * throws one error listing each broken rule.
   */
  validateConfiguration(computeName?: string): void {
    const compute = this.toCompute();
    const nameProblem = computeName === undefined ? undefined : computeNameProblem(computeName);
    const { problems } = checkComputePut(compute, compute.location ?? 'westus');
    const all = [...(nameProblem ? [nameProblem] : []), ...problems];
    if (all.length > 0) throw new ComputeConfigurationError(all);
  }
}

export interface ProvisioningConfigurationOptions {
  agentCount?: number;
  vmSize?: string;
  location?: string;
  clusterPurpose?: Purpose;
  vnetResourceGroupName?: string;
  vnetName?: string;
  subnetName?: string;
  serviceCidr?: string;
  dnsServiceIp?: string;
  dockerBridgeCidr?: string;
  loadBalancerType?: LoadBalancerType;
  loadBalancerSubnet?: string;
  description?: string;
}

/** `AksCompute.provisioningConfiguration(...)`: a new cluster; unset fields take Berth's defaults (3 x Standard_D3_v2, FastProd). */
export class AksProvisioningConfiguration extends AksConfiguration {
  /** Set by `ComputeTarget.create` from the workspace's subscription, for the subnet id. */
  subscriptionId?: string;

  constructor(readonly options: ProvisioningConfigurationOptions = {}) {
    super();
  }

  toCompute(): ComputeDefinition {
    const o = this.options;
    const subnet =
      o.vnetName && o.subnetName
        ? `/subscriptions/${this.subscriptionId ?? '{subscription}'}/resourceGroups/${o.vnetResourceGroupName ?? '{group}'}/providers/Microsoft.Network/virtualNetworks/${o.vnetName}/subnets/${o.subnetName}`
        : undefined;
    const networking =
      subnet || o.serviceCidr || o.dnsServiceIp || o.dockerBridgeCidr
        ? {
            ...(subnet ? { subnetId: subnet } : {}),
            ...(o.serviceCidr ? { serviceCidr: o.serviceCidr } : {}),
            ...(o.dnsServiceIp ? { dnsServiceIP: o.dnsServiceIp } : {}),
            ...(o.dockerBridgeCidr ? { dockerBridgeCidr: o.dockerBridgeCidr } : {}),
          }
        : undefined;
    return {
      ...(o.location ? { location: o.location } : {}),
      properties: {
        computeType: 'AKS',
        ...(o.description ? { description: o.description } : {}),
        ...(o.location ? { computeLocation: o.location } : {}),
        properties: {
          ...(o.agentCount !== undefined ? { agentCount: o.agentCount } : {}),
          ...(o.vmSize ? { agentVmSize: o.vmSize } : {}),
          ...(o.clusterPurpose ? { clusterPurpose: o.clusterPurpose } : {}),
          ...(networking ? { aksNetworkingConfiguration: networking } : {}),
          ...(o.loadBalancerType ? { loadBalancerType: o.loadBalancerType } : {}),
          ...(o.loadBalancerSubnet ? { loadBalancerSubnet: o.loadBalancerSubnet } : {}),
          ...(this.ssl ? { sslConfiguration: this.ssl } : {}),
        },
      },
    };
  }
}

export interface AttachConfigurationOptions {
  resourceGroup?: string;
  clusterName?: string;
  /** Or the cluster's ARM id (`berth aks show ... --query id`). */
  resourceId?: string;
  clusterPurpose?: Purpose;
}

/** `AksCompute.attachConfiguration(...)`: an existing managed cluster, by resource group and name or by id. */
export class AksAttachConfiguration extends AksConfiguration {
  subscriptionId?: string;

  constructor(readonly options: AttachConfigurationOptions) {
    super();
    if (!options.resourceId && !(options.resourceGroup && options.clusterName)) {
      throw new TypeError('attachConfiguration needs resourceId, or resourceGroup and clusterName.');
    }
  }

  get resourceId(): string {
    return (
      this.options.resourceId ??
      `/subscriptions/${this.subscriptionId ?? '{subscription}'}/resourceGroups/${this.options.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${this.options.clusterName}`
    );
  }

  toCompute(): ComputeDefinition {
    return {
      properties: {
        computeType: 'AKS',
        resourceId: this.resourceId,
        properties: {
          ...(this.options.clusterPurpose ? { clusterPurpose: this.options.clusterPurpose } : {}),
          ...(this.ssl ? { sslConfiguration: this.ssl } : {}),
        },
      },
    };
  }
}

/** `AksUpdateConfiguration`: TLS, load balancer type and subnet of an existing compute. */
export class AksUpdateConfiguration {
  constructor(
    readonly options: { sslConfiguration?: SslConfiguration | EnableSslOptions; loadBalancerType?: LoadBalancerType; loadBalancerSubnet?: string } = {},
  ) {}

  toUpdate() {
    const ssl = this.options.sslConfiguration;
    const sslConfiguration =
      ssl && ('leafDomainLabel' in ssl || 'sslCertPem' in ssl) && !('status' in ssl) ? sslFrom(ssl as EnableSslOptions) : (ssl as SslConfiguration | undefined);
    return {
      properties: {
        properties: {
          ...(sslConfiguration ? { sslConfiguration } : {}),
          ...(this.options.loadBalancerType ? { loadBalancerType: this.options.loadBalancerType } : {}),
          ...(this.options.loadBalancerSubnet ? { loadBalancerSubnet: this.options.loadBalancerSubnet } : {}),
        },
      },
    };
  }
}

export interface WaitOptions extends OperationOptions {
  /**
   * Show progress as the original does, then the final state: `true` writes it
   * to stderr (to the console where there is none, as in a browser); a function
   * receives the text instead.
   */
  showOutput?: boolean | ((text: string) => void);
}

function outputOf(showOutput: WaitOptions['showOutput']): (text: string) => void {
  if (typeof showOutput === 'function') return showOutput;
  if (!showOutput) return () => {};
  // stderr.write is looked up at each write, not bound once, so a stream replaced later still gets the text.
  return (text) => (globalThis.process?.stderr ? globalThis.process.stderr.write(text) : console.info(text));
}

/** A compute of a workspace: `ComputeTarget.create/attach/get/list` and what a target can do. */
export class ComputeTarget {
  protected resource?: ComputeResource;
  private pending?: BerthPoller<unknown>;
  /** Warnings of the last create, attach or update (e.g. a DevTest cluster under 2 vCPUs). */
  warnings: string[] = [];

  constructor(
    readonly workspace: Workspace,
    readonly name: string,
  ) {}

  private get client() {
    return this.workspace.client;
  }

  private args(): [string, string, string, string] {
    return [this.workspace.subscriptionId, this.workspace.resourceGroup, this.workspace.name, this.name];
  }

  get provisioningState(): string | undefined {
    return this.resource?.properties.provisioningState;
  }

  get provisioningErrors(): Array<{ code: string; message: string }> {
    return (this.resource?.properties.provisioningErrors ?? []).map((e) => e.error);
  }

  /** The compute as Berth last returned it. */
  get properties(): ComputeResource | undefined {
    return this.resource;
  }

  static async create(workspace: Workspace, name: string, configuration: AksProvisioningConfiguration, options: OperationOptions = {}): Promise<AksCompute> {
    configuration.subscriptionId ??= workspace.subscriptionId;
    return AksCompute.begin(workspace, name, configuration, options);
  }

  static async attach(workspace: Workspace, name: string, configuration: AksAttachConfiguration, options: OperationOptions = {}): Promise<AksCompute> {
    configuration.subscriptionId ??= workspace.subscriptionId;
    return AksCompute.begin(workspace, name, configuration, options);
  }

  static async get(workspace: Workspace, name: string, options: OperationOptions = {}): Promise<AksCompute> {
    const target = new AksCompute(workspace, name);
    await target.refresh(options);
    return target;
  }

  static async list(workspace: Workspace, options: OperationOptions = {}): Promise<AksCompute[]> {
    const targets: AksCompute[] = [];
    for await (const resource of workspace.client.listComputes(workspace.subscriptionId, workspace.resourceGroup, workspace.name, options)) {
      const target = new AksCompute(workspace, resource.name!);
      target.resource = resource;
      targets.push(target);
    }
    return targets;
  }

  protected static async begin(
    workspace: Workspace,
    name: string,
    configuration: AksProvisioningConfiguration | AksAttachConfiguration,
    options: OperationOptions,
  ): Promise<AksCompute> {
    configuration.validateConfiguration(name);
    const target = new AksCompute(workspace, name);
    try {
      const poller = await workspace.client.beginCreateCompute(...target.args(), configuration.toCompute(), options);
      target.pending = poller as BerthPoller<unknown>;
      target.resource = poller.getResult();
      target.warnings = poller.warnings;
    } catch (err) {
      throw err instanceof BerthRestError && err.statusCode === 400 && err.details.length > 0 ? new ComputeConfigurationError(err.details) : err;
    }
    return target;
  }

  async refresh(options: OperationOptions = {}): Promise<this> {
    this.resource = await this.client.getCompute(...this.args(), options);
    return this;
  }

  /**
   * Waits for the operation in progress (create, attach, update, scale); with
   * `showOutput`, prints progress as the original does. Throws `ComputeTargetError`
   * with every provisioning error if it failed.
   */
  async waitForCompletion(options: WaitOptions = {}): Promise<void> {
    const print = outputOf(options.showOutput);
    print(`${this.provisioningState ?? 'InProgress'}`);
    if (this.pending) {
      const unsubscribe = this.pending.onProgress(() => print('.'));
      try {
        await this.pending.pollUntilDone(options);
      } catch (err) {
        if (!(err instanceof OperationFailedError)) throw err;
      } finally {
        unsubscribe();
        this.pending = undefined;
      }
    }
    await this.refresh(options);
    while (provisioningInProgress(this.provisioningState)) {
      print('.');
      await sleep(1000, options.abortSignal);
      await this.refresh(options);
    }
    print(`\n${this.provisioningState}\n`);
    if (this.provisioningState === 'Failed') {
      const errors = this.provisioningErrors;
      for (const e of errors) print(`Provisioning error: (${e.code}) ${e.message}\n`);
      throw new ComputeTargetError(`Compute '${this.name}' failed: ${errors.map((e) => `(${e.code}) ${e.message}`).join('; ') || 'no reason given'}`, errors);
    }
    print(`Provisioning operation finished, operation "${this.provisioningState}"\n`);
  }

  private async beginUpdate(update: object, options: OperationOptions): Promise<void> {
    try {
      const poller = await this.client.beginUpdateCompute(...this.args(), update as never, options);
      this.pending = poller as BerthPoller<unknown>;
      this.resource = poller.getResult();
      this.warnings = poller.warnings;
    } catch (err) {
      throw err instanceof BerthRestError && err.statusCode === 400 && err.details.length > 0 ? new ComputeConfigurationError(err.details) : err;
    }
  }

  /** TLS, internal load balancer: applied in place, without detaching. Follow with `waitForCompletion()`. */
  update(configuration: AksUpdateConfiguration, options: OperationOptions = {}): Promise<void> {
    return this.beginUpdate(configuration.toUpdate(), options);
  }

  /** Changes the number of nodes of a cluster the workspace created (R11; the VM size cannot change). */
  scale(nodeCount: number, options: OperationOptions = {}): Promise<void> {
    return this.beginUpdate({ properties: { properties: { agentCount: nodeCount } } }, options);
  }

  /** Removes the compute and what Berth installed; the cluster stays (R13). Waits for it. */
  async detach(options: OperationOptions = {}): Promise<void> {
    await (await this.client.beginDetachCompute(...this.args(), options)).pollUntilDone(options);
  }

  /** Removes the compute and deletes the cluster the workspace created. Waits for it. */
  async delete(options: OperationOptions = {}): Promise<void> {
    await (await this.client.beginDeleteCompute(...this.args(), 'Delete', options)).pollUntilDone(options);
  }

  /** The cluster's user and admin kubeconfigs. */
  getCredentials(options: OperationOptions = {}): Promise<AksComputeSecrets> {
    return this.client.listComputeKeys(...this.args(), options);
  }
}

/** An AKS inference cluster of a workspace. */
export class AksCompute extends ComputeTarget {
  static readonly ClusterPurpose = ClusterPurpose;

  static provisioningConfiguration(options: ProvisioningConfigurationOptions = {}): AksProvisioningConfiguration {
    return new AksProvisioningConfiguration(options);
  }

  static attachConfiguration(options: AttachConfigurationOptions): AksAttachConfiguration {
    return new AksAttachConfiguration(options);
  }
}
