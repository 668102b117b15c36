import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { addressInRanges, isIPv4 } from '@berth/arm';
import { listVmSizes, supportedKubernetesVersions, findVmSize } from '@berth/catalog';
import { clusterActions, permits } from '@berth/compute-rules';
import { BerthRestError, type BerthClient, type ComputeResource, type ErrorDetail, type Permission, type WorkspaceResource } from '@berth/sdk';
import { attachCode, createCode, type Scope } from './code.js';
import type { FollowedOperation } from './details.js';
import { certificateProblems } from './certificate-check.js';
import { Field, FormActions, Problems, RegionOptions, ViewAsCode, WriteButton } from './ui.js';
import {
  attachDefinition,
  byField,
  createConfiguration,
  emptyAttachForm,
  emptyCreateForm,
  validateAttach,
  validateCreate,
  type AttachForm,
  type CreateForm,
  type FieldProblems,
  type Validation,
} from './validation.js';

/** A managed cluster as the ContainerService API lists it (the fields the list shows). */
export interface ClusterSummary {
  id: string;
  name: string;
  location: string;
  properties: {
    provisioningState?: string;
    kubernetesVersion?: string;
    currentKubernetesVersion?: string;
    agentPoolProfiles?: Array<{ count?: number; vmSize?: string }>;
    apiServerAccessProfile?: { authorizedIPRanges?: string[] };
  };
}

/** What the server said about a refused request: each problem next to its field, and the whole at the top. */
/** The field of a refusal that names no target, by its code. */
const FIELD_OF_CODE: Record<string, string> = {
  ComputeAlreadyExists: 'computeName',
  ClusterAlreadyAttached: 'properties.resourceId',
  ClusterNotFound: 'properties.resourceId',
  ClusterInDifferentSubscription: 'properties.resourceId',
};

export function serverProblems(err: unknown): FieldProblems {
  if (err instanceof BerthRestError) {
    const details = err.details.length ? err.details : [{ code: err.code, message: err.message, target: FIELD_OF_CODE[err.code] }];
    const out = byField(details);
    // With details, the summary leads the form; without, the one problem is at its field (or the form's top).
    if (err.details.length) (out.form ??= []).unshift(`${err.code}: ${err.message}`);
    return out;
  }
  return { form: [(err as Error).message] };
}

const groupOf = (id: string) => /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';

/**
 * Why a cluster cannot be attached (as the server's attach checks decide), given the purpose chosen and
 * whether the signed-in principal may act on the cluster (undefined while that is being asked); empty when it can.
 */
export function attachBlockers(cluster: ClusterSummary, purpose: string, attachedAs: string | undefined, controlPlane: string, mayAct?: boolean): string[] {
  const out: string[] = [];
  if (mayAct === false) out.push(`You need Contributor on this cluster's resource group (${groupOf(cluster.id)}) or on the cluster to attach it`);
  const p = cluster.properties;
  const version = p.currentKubernetesVersion ?? p.kubernetesVersion ?? '';
  const supported = supportedKubernetesVersions(cluster.location);
  if (!supported.includes(version)) out.push(`Kubernetes ${version} is not supported for attaching; supported: ${supported.join(', ')}`);
  const vcpus = clusterVcpus(cluster);
  if (purpose !== 'DevTest' && vcpus !== undefined && vcpus < 12) out.push(`${vcpus} vCPUs: too few for Production (at least 12); choose Dev-test`);
  if (attachedAs) out.push(`already attached as ${attachedAs}`);
  const ranges = p.apiServerAccessProfile?.authorizedIPRanges ?? [];
  // Berth's control plane is where this page came from; by a DNS name, the server alone can tell.
  if (ranges.length && isIPv4(controlPlane) && !addressInRanges(controlPlane, ranges))
    out.push(`authorized IP ranges (${ranges.join(', ')}) exclude Berth (${controlPlane})`);
  if (p.provisioningState && p.provisioningState !== 'Succeeded') out.push(`cluster is ${p.provisioningState}`);
  return out;
}

/** Whether the signed-in principal may attach the cluster: its own permissions at the cluster's scope, judged by the server's rule. */
async function mayAttach(client: BerthClient, clusterId: string): Promise<boolean> {
  const permissions: Permission[] = [];
  for await (const p of client.listPermissions(clusterId)) permissions.push(p);
  return permits(permissions, clusterActions.credentials);
}

export function clusterVcpus(cluster: ClusterSummary): number | undefined {
  let total = 0;
  for (const pool of cluster.properties.agentPoolProfiles ?? []) {
    const size = findVmSize(pool.vmSize ?? '');
    if (!size) return undefined;
    total += (pool.count ?? 0) * size.vCPUs;
  }
  return total;
}

export function Wizard(props: {
  client: BerthClient;
  scope: Scope;
  location: string;
  allowed: boolean;
  why: string;
  onDone: (name: string, operation: FollowedOperation) => void;
  onCancel: () => void;
}) {
  const [mode, setMode] = useState<'create' | 'attach'>('create');
  const [existing, setExisting] = useState<ComputeResource[]>([]);
  useEffect(() => {
    (async () => {
      const all: ComputeResource[] = [];
      for await (const c of props.client.listComputes(props.scope.subscription, props.scope.group, props.scope.workspace)) all.push(c);
      setExisting(all);
    })().catch(() => undefined);
  }, [props.client, props.scope.subscription, props.scope.group, props.scope.workspace]);
  return (
    <main id="main" className="wizard">
      <h1>New inference cluster</h1>
      <fieldset className="choice">
        <legend>How</legend>
        <label>
          <input type="radio" name="mode" checked={mode === 'create'} onChange={() => setMode('create')} /> Create new
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'attach'} onChange={() => setMode('attach')} /> Use existing
        </label>
      </fieldset>
      {mode === 'create' ? <CreateNew {...props} existing={existing.map((c) => c.name)} /> : <UseExisting {...props} existing={existing.map((c) => c.name)} />}
    </main>
  );
}

type FormProps = Parameters<typeof Wizard>[0] & { existing: string[] };

/** Files chosen for custom TLS are read as text; the rules check them at once. */
function PemFile(props: { label: string; problems?: string[]; onText: (text: string) => void }) {
  return (
    <Field label={props.label} problems={props.problems}>
      {(a11y) => (
        <input {...a11y} type="file" accept=".pem,.crt,.key,text/plain" onChange={async (e) => props.onText((await e.target.files?.[0]?.text()) ?? '')} />
      )}
    </Field>
  );
}

function TlsFields<F extends CreateForm | AttachForm>(props: { form: F; set: (patch: Partial<F>) => void; shown: (field: string) => string[] | undefined }) {
  const { form, set, shown } = props;
  return (
    <fieldset>
      <legend>TLS</legend>
      <div className="field checkbox">
        <label>
          <input type="checkbox" checked={form.tls} onChange={(e) => set({ tls: e.target.checked } as Partial<F>)} /> Enable TLS
        </label>
        <Problems problems={shown('tls')} />
      </div>
      {form.tls && (
        <>
          <div className="field">
            <label>
              <input type="radio" name="tlsMode" checked={form.tlsMode === 'auto'} onChange={() => set({ tlsMode: 'auto' } as Partial<F>)} /> Certificate issued
              by Berth
            </label>
            <label>
              <input type="radio" name="tlsMode" checked={form.tlsMode === 'custom'} onChange={() => set({ tlsMode: 'custom' } as Partial<F>)} /> Upload my
              certificate
            </label>
          </div>
          {form.tlsMode === 'auto' ? (
            <Field label="Leaf domain label" problems={shown('leafDomainLabel')} hint="The certificate is for <label>######.<region>.cloudapp.<zone>.">
              {(a11y) => <input {...a11y} value={form.leafDomainLabel} onChange={(e) => set({ leafDomainLabel: e.target.value } as Partial<F>)} />}
            </Field>
          ) : (
            <>
              <PemFile label="Certificate (PEM)" problems={shown('cert')} onText={(cert) => set({ cert } as Partial<F>)} />
              <PemFile label="Private key (PEM)" problems={shown('key')} onText={(key) => set({ key } as Partial<F>)} />
              <Field label="CNAME" problems={shown('cname')}>
                {(a11y) => <input {...a11y} value={form.cname} onChange={(e) => set({ cname: e.target.value } as Partial<F>)} />}
              </Field>
            </>
          )}
        </>
      )}
    </fieldset>
  );
}

function LoadBalancerFields<F extends CreateForm | AttachForm>(props: {
  form: F;
  set: (patch: Partial<F>) => void;
  shown: (field: string) => string[] | undefined;
}) {
  const { form, set, shown } = props;
  return (
    <>
      <Field label="Load balancer type" problems={shown('loadBalancerType')}>
        {(a11y) => (
          <select {...a11y} value={form.loadBalancerType} onChange={(e) => set({ loadBalancerType: e.target.value } as Partial<F>)}>
            <option value="PublicIp">Public IP</option>
            <option value="InternalLoadBalancer">Internal load balancer</option>
          </select>
        )}
      </Field>
      {form.loadBalancerType === 'InternalLoadBalancer' && (
        <Field label="Load balancer subnet" problems={shown('loadBalancerSubnet')}>
          {(a11y) => <input {...a11y} value={form.loadBalancerSubnet} onChange={(e) => set({ loadBalancerSubnet: e.target.value } as Partial<F>)} />}
        </Field>
      )}
    </>
  );
}

/** The certificate checks that need WebCrypto (dates, CNAME, key match), run as soon as the files or the CNAME change. */
function useCertificateCheck(form: CreateForm | AttachForm, base: Validation): Validation {
  const [extra, setExtra] = useState<{ problems: ErrorDetail[]; warnings: string[] }>({ problems: [], warnings: [] });
  const active = form.tls && form.tlsMode === 'custom';
  useEffect(() => {
    let live = true;
    if (!active) setExtra({ problems: [], warnings: [] });
    else
      certificateProblems(form.cert, form.key, form.cname).then(
        (r) => live && setExtra(r),
        () => live && setExtra({ problems: [], warnings: [] }),
      );
    return () => {
      live = false;
    };
  }, [active, form.cert, form.key, form.cname]);
  if (!extra.problems.length && !extra.warnings.length) return base;
  const details = [...base.details, ...extra.problems];
  return { ...base, details, problems: byField(details), warnings: [...base.warnings, ...extra.warnings] };
}

/** Fields whose change can break a rule shown at another: R2 ties nodes, VM size and purpose; R9 ties the load balancer and TLS. */
const RELATED: Record<string, string[]> = {
  nodes: ['vmSize', 'purpose'],
  purpose: ['nodes', 'vmSize'],
  vmSize: ['nodes', 'purpose'],
  loadBalancerType: ['tls', 'tlsMode', 'leafDomainLabel'],
  tls: ['loadBalancerType'],
  dnsServiceIp: ['serviceCidr'],
  serviceCidr: ['dnsServiceIp'],
};

/**
 * What both wizard forms keep: the form, the fields changed, whether a submit was tried, and the
 * server's problems by field (cleared by any change).
 */
function useWizardForm<T extends object>(initial: T | (() => T)) {
  const [form, setForm] = useState<T>(initial);
  const [touched, setTouched] = useState(new Set<string>());
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<FieldProblems>({});
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<T>) => {
    setForm((f) => ({ ...f, ...patch }));
    setTouched((t) => new Set([...t, ...Object.keys(patch)]));
    setServer({});
  };
  /** Shows a field's problems once it (or a related field) was changed, or after a submit; the server's at once. */
  const shownOf = (local: FieldProblems) => (field: string) => {
    const changed = submitted || touched.has(field) || (RELATED[field] ?? []).some((f) => touched.has(f));
    const all = [...(changed ? (local[field] ?? []) : []), ...(server[field] ?? [])];
    return all.length ? all : undefined;
  };
  /** Sends the form unless its own rules refuse it; what the server refuses goes next to the fields it concerns. */
  const submit = (refused: boolean, send: () => Promise<void>) => async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (refused) return;
    setBusy(true);
    try {
      await send();
    } catch (err) {
      setServer(serverProblems(err));
      setBusy(false);
    }
  };
  return { form, set, busy, shownOf, submit };
}

export function CreateNew(props: FormProps) {
  const { form, set, busy, shownOf, submit } = useWizardForm<CreateForm>(() => emptyCreateForm(props.location));
  const validation = useCertificateCheck(
    form,
    useMemo(() => validateCreate(form, props.scope.subscription, props.existing), [form, props.scope.subscription, props.existing]),
  );
  const shown = shownOf(validation.problems);
  const vmSizes = useMemo(() => listVmSizes(), []);
  const size = findVmSize(form.vmSize);
  const body = createConfiguration(form, props.scope.subscription).toCompute();

  return (
    <form
      noValidate
      aria-label="Create new"
      onSubmit={submit(validation.details.length > 0, async () => {
        const poller = await props.client.beginCreateCompute(props.scope.subscription, props.scope.group, props.scope.workspace, form.name.trim(), body);
        props.onDone(form.name.trim(), { what: 'Create', poller });
      })}
    >
      <Problems problems={shown('form')} />
      <Field label="Compute name" problems={shown('name')} hint="3 to 24 letters, digits and hyphens; starts with a letter, ends with a letter or digit.">
        {(a11y) => <input {...a11y} value={form.name} onChange={(e) => set({ name: e.target.value })} autoComplete="off" />}
      </Field>
      <Field label="Location" problems={shown('location')}>
        {(a11y) => (
          <select {...a11y} value={form.location} onChange={(e) => set({ location: e.target.value })}>
            <RegionOptions />
          </select>
        )}
      </Field>
      <Field
        label="Virtual machine size"
        problems={shown('vmSize')}
        hint={
          size
            ? `${size.vCPUs} vCPUs, ${size.memoryGiB} GiB memory, ${size.gpus} GPUs${size.gpuModel ? ` (${size.gpuModel})` : ''}`
            : 'Type to search the catalog.'
        }
      >
        {(a11y) => (
          <>
            <input {...a11y} list="vm-sizes" value={form.vmSize} onChange={(e) => set({ vmSize: e.target.value })} autoComplete="off" />
            <datalist id="vm-sizes">
              {vmSizes.map((s) => (
                <option key={s.name} value={s.name}>{`${s.vCPUs} vCPUs, ${s.memoryGiB} GiB, ${s.gpus} GPUs`}</option>
              ))}
            </datalist>
          </>
        )}
      </Field>
      <Field label="Number of nodes" problems={shown('nodes')} hint={<span className="vcpu-line">{validation.vcpuLine}</span>}>
        {(a11y) => <input {...a11y} type="number" min={1} max={1000} value={form.nodes} onChange={(e) => set({ nodes: e.target.value })} />}
      </Field>
      <Field label="Cluster purpose" problems={shown('purpose')}>
        {(a11y) => (
          <select {...a11y} value={form.purpose} onChange={(e) => set({ purpose: e.target.value as CreateForm['purpose'] })}>
            <option value="FastProd">Production</option>
            <option value="DevTest">Dev-test</option>
          </select>
        )}
      </Field>
      {validation.warnings.length > 0 && (
        <ul className="warnings">
          {validation.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <Field label="Network configuration" problems={shown('network')}>
        {(a11y) => (
          <select {...a11y} value={form.network} onChange={(e) => set({ network: e.target.value as CreateForm['network'] })}>
            <option value="Basic">Basic</option>
            <option value="Advanced">Advanced</option>
          </select>
        )}
      </Field>
      {form.network === 'Advanced' && (
        <fieldset>
          <legend>Advanced network</legend>
          <Field label="Virtual network resource group" problems={shown('vnetResourceGroup')}>
            {(a11y) => <input {...a11y} value={form.vnetResourceGroup} onChange={(e) => set({ vnetResourceGroup: e.target.value })} />}
          </Field>
          <Field label="Virtual network" problems={shown('vnetName')}>
            {(a11y) => <input {...a11y} value={form.vnetName} onChange={(e) => set({ vnetName: e.target.value })} />}
          </Field>
          <Field label="Subnet" problems={shown('subnetName')}>
            {(a11y) => <input {...a11y} value={form.subnetName} onChange={(e) => set({ subnetName: e.target.value })} />}
          </Field>
          <Field label="Kubernetes service address range" problems={shown('serviceCidr')}>
            {(a11y) => <input {...a11y} placeholder="10.0.0.0/16" value={form.serviceCidr} onChange={(e) => set({ serviceCidr: e.target.value })} />}
          </Field>
          <Field label="Kubernetes DNS service IP address" problems={shown('dnsServiceIp')}>
            {(a11y) => <input {...a11y} placeholder="10.0.0.10" value={form.dnsServiceIp} onChange={(e) => set({ dnsServiceIp: e.target.value })} />}
          </Field>
          <Field label="Docker bridge address" problems={shown('dockerBridgeCidr')}>
            {(a11y) => (
              <input {...a11y} placeholder="172.17.0.1/16" value={form.dockerBridgeCidr} onChange={(e) => set({ dockerBridgeCidr: e.target.value })} />
            )}
          </Field>
        </fieldset>
      )}
      <LoadBalancerFields form={form} set={set} shown={shown} />
      <TlsFields form={form} set={set} shown={shown} />
      <ViewAsCode code={createCode(props.scope, form, body)} />
      <FormActions onCancel={props.onCancel}>
        <WriteButton type="submit" allowed={props.allowed} why={props.why} busy={busy}>
          Create
        </WriteButton>
      </FormActions>
    </form>
  );
}

export function UseExisting(props: FormProps) {
  const { form, set, busy, shownOf, submit } = useWizardForm<AttachForm>(emptyAttachForm);
  const [clusters, setClusters] = useState<ClusterSummary[]>();
  const [attached, setAttached] = useState<Map<string, string>>(new Map());
  const [permitted, setPermitted] = useState<Map<string, boolean>>(new Map());
  const [loadError, setLoadError] = useState<string>();
  useEffect(() => {
    const { client, scope } = props;
    (async () => {
      const list = await client.rest.listAll<ClusterSummary>(`/subscriptions/${scope.subscription}/providers/Microsoft.ContainerService/managedClusters`, {
        query: { 'api-version': '2024-08-01' },
      });
      const byCluster = new Map<string, string>();
      const workspaces: WorkspaceResource[] = [];
      for await (const w of client.listWorkspaces(scope.subscription)) workspaces.push(w);
      for (const w of workspaces) {
        const group = groupOf(w.id);
        for await (const c of client.listComputes(scope.subscription, group, w.name)) {
          if (c.properties.resourceId) byCluster.set(c.properties.resourceId.toLowerCase(), `${c.name} (workspace ${w.name})`);
        }
      }
      setAttached(byCluster);
      setClusters(list);
      const byId = new Map<string, boolean>();
      await Promise.all(list.map(async (c) => byId.set(c.id.toLowerCase(), await mayAttach(client, c.id))));
      setPermitted(byId);
    })().catch((e: Error) => setLoadError(e.message));
  }, [props.client, props.scope.subscription]);
  const validation = useCertificateCheck(
    form,
    useMemo(() => validateAttach(form, props.existing), [form, props.existing]),
  );
  const shown = shownOf(validation.problems);
  const body = attachDefinition(form);
  const controlPlane = window.location.hostname;

  return (
    <form
      noValidate
      aria-label="Use existing"
      onSubmit={submit(validation.details.length > 0, async () => {
        const poller = await props.client.beginAttachCompute(props.scope.subscription, props.scope.group, props.scope.workspace, form.name.trim(), body);
        props.onDone(form.name.trim(), { what: 'Attach', poller });
      })}
    >
      <Problems problems={shown('form')} />
      <fieldset>
        <legend>Kubernetes clusters of the subscription</legend>
        <Problems problems={loadError ? [loadError] : shown('clusterId')} />
        {clusters === undefined && !loadError && <p role="status">Loading clusters…</p>}
        {clusters?.length === 0 && <p className="empty">No managed clusters in this subscription: create one with `berth aks create`.</p>}
        {clusters && clusters.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Attach</th>
                  <th scope="col">Name</th>
                  <th scope="col">Resource group</th>
                  <th scope="col">Region</th>
                  <th scope="col">Version</th>
                  <th scope="col">Nodes</th>
                  <th scope="col">Can attach</th>
                </tr>
              </thead>
              <tbody>
                {clusters.map((c) => {
                  const blockers = attachBlockers(c, form.purpose, attached.get(c.id.toLowerCase()), controlPlane, permitted.get(c.id.toLowerCase()));
                  const pools = c.properties.agentPoolProfiles ?? [];
                  return (
                    <tr key={c.id} className={blockers.length ? 'blocked' : undefined}>
                      <td>
                        <input
                          type="radio"
                          name="cluster"
                          aria-label={`Attach ${c.name}`}
                          checked={form.clusterId === c.id}
                          disabled={blockers.length > 0}
                          onChange={() => set({ clusterId: c.id })}
                        />
                      </td>
                      <td>{c.name}</td>
                      <td>{groupOf(c.id)}</td>
                      <td>{c.location}</td>
                      <td>{c.properties.currentKubernetesVersion ?? c.properties.kubernetesVersion}</td>
                      <td>
                        {pools.map((p) => `${p.count} x ${p.vmSize}`).join(' + ')} = {clusterVcpus(c) ?? '?'} vCPUs
                      </td>
                      <td>{blockers.length ? <span className="blocker">No: {blockers.join('; ')}</span> : 'Yes'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </fieldset>
      <Field label="Compute name" problems={shown('name')} hint="3 to 24 letters, digits and hyphens; starts with a letter, ends with a letter or digit.">
        {(a11y) => <input {...a11y} value={form.name} onChange={(e) => set({ name: e.target.value })} autoComplete="off" />}
      </Field>
      <Field label="Cluster purpose" problems={shown('purpose')}>
        {(a11y) => (
          <select {...a11y} value={form.purpose} onChange={(e) => set({ purpose: e.target.value as AttachForm['purpose'], clusterId: '' })}>
            <option value="FastProd">Production</option>
            <option value="DevTest">Dev-test</option>
          </select>
        )}
      </Field>
      <LoadBalancerFields form={form} set={set} shown={shown} />
      <TlsFields form={form} set={set} shown={shown} />
      <ViewAsCode code={attachCode(props.scope, form, body)} />
      <FormActions onCancel={props.onCancel}>
        <WriteButton type="submit" allowed={props.allowed} why={props.why} busy={busy}>
          Attach
        </WriteButton>
      </FormActions>
    </form>
  );
}
