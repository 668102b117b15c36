import { useCallback, useEffect, useRef, useState } from 'react';
import {
  BerthRestError,
  type BerthClient,
  type BerthPoller,
  type ComputeResource,
  type ComputeUpdate,
  type ErrorDetail,
  type PollerState,
  type SslConfiguration,
  operationStepLabel,
} from '@berth/sdk';
import { certificateProblems } from './certificate-check.js';
import { kubeconfigCode, removeCode, scaleCode, updateCode, type Scope } from './code.js';
import { certificateExpiry, endpointOf, failureReason, formatTime, purposeLabel, tlsLabel, vmSizeLabel } from './format.js';
import { Dialog, Field, FormActions, Problems, useInterval, ViewAsCode, WriteButton } from './ui.js';
import { checkTls, provisioningInProgress } from '@berth/compute-rules';
import { byField, validateScale, type FieldProblems } from './validation.js';
import { serverProblems, type ClusterSummary } from './wizard.js';

/** An operation the page follows: what the user asked for, and its poller (the steps are in its state). */
export interface FollowedOperation {
  what: string;
  poller: Pick<BerthPoller<unknown>, 'poll' | 'isDone' | 'getOperationState'>;
}

const STEP_OUTCOMES: Record<string, { text: string; className: string }> = {
  Succeeded: { text: 'done', className: 'ok' },
  Failed: { text: 'failed', className: 'failed' },
  InProgress: { text: 'in progress', className: 'running' },
};

const API = { 'api-version': '2024-08-01' };

export function ComputeDetails(props: {
  client: BerthClient;
  scope: Scope;
  name: string;
  allowed: boolean;
  why: string;
  onGone: () => void;
  /** The operation the wizard just started on this compute: followed from the start, even if it ends before the page loads. */
  started?: FollowedOperation;
}) {
  const { client, scope, name } = props;
  const [compute, setCompute] = useState<ComputeResource>();
  const [cluster, setCluster] = useState<ClusterSummary | null>();
  const [error, setError] = useState<string>();
  const [dialog, setDialog] = useState<'scale' | 'update' | 'detach' | 'delete'>();
  const [followed, setFollowed] = useState<FollowedOperation | undefined>(props.started);
  const [opState, setOpState] = useState<PollerState | undefined>(props.started?.poller.getOperationState());
  const [notice, setNotice] = useState<string>();
  /** The operation followed, for `load` (state would be a render late). */
  const following = useRef<FollowedOperation | undefined>(props.started);
  /** Whether the compute was seen: a 404 then means it was removed (detached or deleted), and the page goes back to the list. */
  const seen = useRef(false);

  const follow = useCallback((operation: FollowedOperation | undefined) => {
    following.current = operation;
    setFollowed(operation);
    setOpState(operation?.poller.getOperationState());
  }, []);

  const load = useCallback(async () => {
    try {
      const c = await client.getCompute(scope.subscription, scope.group, scope.workspace, name);
      seen.current = true;
      setCompute(c);
      setError(undefined);
      if (c.properties.resourceId) {
        setCluster(
          await client.rest.request<ClusterSummary>('GET', c.properties.resourceId, { query: API }).then(
            (r) => r.body,
            () => null,
          ),
        );
      }
      // An operation started elsewhere (another tab, the CLI): the compute's GET names it.
      if (provisioningInProgress(c.properties.provisioningState) && (!following.current || following.current.poller.isDone)) {
        const poller = await client.getComputeOperation(scope.subscription, scope.group, scope.workspace, name);
        if (poller) follow({ what: operationName(c.properties.provisioningState), poller });
      }
      const operation = following.current;
      if (operation && !operation.poller.isDone) {
        await operation.poller.poll();
        setOpState(operation.poller.getOperationState());
      }
    } catch (err) {
      if (err instanceof BerthRestError && err.statusCode === 404) {
        if (seen.current) props.onGone();
        else setError(`No compute named '${name}' in workspace ${scope.workspace}.`);
      } else setError((err as Error).message);
    }
  }, [client, scope.subscription, scope.group, scope.workspace, name, follow, props]);

  useEffect(() => {
    void load();
  }, [load]);
  const running = !!compute && provisioningInProgress(compute.properties.provisioningState);
  useInterval(() => void load(), 700, running || (!!followed && !followed.poller.isDone));

  const started = (operation: FollowedOperation) => {
    follow(operation);
    setNotice(operation.what);
    setDialog(undefined);
    void load();
  };

  if (error) {
    return (
      <main id="main">
        <h1>{name}</h1>
        <Problems problems={[error]} />
      </main>
    );
  }
  if (!compute) return <p role="status">Loading…</p>;
  const p = compute.properties;
  const aks = p.properties;
  // Berth's local cloud: where the scoring endpoint also answers on this machine.
  const localEndpoints = aks.systemServices?.[0]?.localEndpoints ?? [];
  const expiry = certificateExpiry(aks.sslConfiguration.cert);
  const replicas = aks.clusterPurpose === 'DevTest' ? 1 : 3;
  const ready = p.provisioningState === 'Succeeded' && aks.systemServices.length > 0;

  return (
    <main id="main" className="details">
      <h1>{compute.name}</h1>
      <div className="toolbar">
        <WriteButton allowed={props.allowed} why={props.why} busy={running} onClick={() => setDialog('scale')}>
          Scale
        </WriteButton>
        <WriteButton allowed={props.allowed} why={props.why} busy={running} onClick={() => setDialog('update')}>
          Update
        </WriteButton>
        <WriteButton allowed={props.allowed} why={props.why} busy={running} onClick={() => setDialog('detach')}>
          Detach
        </WriteButton>
        {!p.isAttachedCompute && (
          <WriteButton allowed={props.allowed} why={props.why} busy={running} onClick={() => setDialog('delete')}>
            Delete
          </WriteButton>
        )}
        <WriteButton
          allowed={props.allowed}
          why={`${props.why} (the kubeconfig is a secret)`}
          onClick={async () => {
            const keys = await client.listComputeKeys(scope.subscription, scope.group, scope.workspace, name);
            const url = URL.createObjectURL(new Blob([keys.adminKubeConfig], { type: 'application/yaml' }));
            const a = document.createElement('a');
            a.href = url;
            a.download = `${name}.kubeconfig`;
            a.click();
            URL.revokeObjectURL(url);
          }}
        >
          Download kubeconfig
        </WriteButton>
      </div>
      {notice && <p role="status">{notice} started.</p>}
      <section aria-labelledby="op-heading" className="operation">
        <h2 id="op-heading">Operation</h2>
        {!followed || !opState ? (
          <p>No operation in progress; the last one ended {formatTime(p.modifiedOn)}.</p>
        ) : (
          <OperationSteps what={followed.what} state={opState} />
        )}
      </section>
      <section aria-labelledby="props-heading">
        <h2 id="props-heading">Properties</h2>
        <dl className="props">
          <dt>State</dt>
          <dd>
            <span className={`badge ${p.provisioningState}`}>{p.provisioningState}</span>
            {failureReason(compute) && <p className="reason">{failureReason(compute)}</p>}
          </dd>
          <dt>Cluster purpose</dt>
          <dd>{purposeLabel(aks.clusterPurpose)}</dd>
          <dt>Nodes</dt>
          <dd>{aks.agentCount}</dd>
          <dt>VM size</dt>
          <dd>{vmSizeLabel(aks.agentVmSize)}</dd>
          <dt>Location</dt>
          <dd>{p.computeLocation}</dd>
          <dt>Attached or created</dt>
          <dd>{p.isAttachedCompute ? 'Attached (detaching keeps the cluster)' : 'Created by the workspace'}</dd>
          <dt>Scoring endpoint / FQDN</dt>
          <dd>{endpointOf(compute) || '—'}</dd>
          {localEndpoints.length > 0 && (
            <>
              <dt>Local endpoints</dt>
              <dd className="endpoint">{localEndpoints.join(' ')}</dd>
            </>
          )}
          <dt>Load balancer</dt>
          <dd>
            {aks.loadBalancerType === 'InternalLoadBalancer' ? 'Internal' : 'Public IP'}
            {aks.loadBalancerSubnet ? ` (subnet ${aks.loadBalancerSubnet})` : ''}
          </dd>
          <dt>TLS</dt>
          <dd>{tlsLabel(compute)}</dd>
          <dt>Certificate expiry</dt>
          <dd>
            {expiry
              ? formatTime(expiry.toISOString())
              : aks.sslConfiguration.status === 'Auto'
                ? 'Issued by Berth for 90 days, renewed 30 days before it expires'
                : '—'}
          </dd>
          <dt>Kubernetes version</dt>
          <dd>{cluster?.properties.currentKubernetesVersion ?? cluster?.properties.kubernetesVersion ?? '—'}</dd>
          <dt>Front-end replicas</dt>
          <dd>
            {replicas} ({ready ? 'ready' : 'not ready'})
          </dd>
          <dt>Resource id</dt>
          <dd className="endpoint">{p.resourceId}</dd>
          <dt>Created</dt>
          <dd>{formatTime(p.createdOn)}</dd>
          <dt>Modified</dt>
          <dd>{formatTime(p.modifiedOn)}</dd>
        </dl>
      </section>
      <details className="code">
        <summary>Download kubeconfig as code</summary>
        <pre>
          <code>{kubeconfigCode(scope, name).cli}</code>
        </pre>
      </details>
      {dialog === 'scale' && <ScaleDialog {...props} compute={compute} onClose={() => setDialog(undefined)} onStarted={started} />}
      {dialog === 'update' && <UpdateDialog {...props} compute={compute} onClose={() => setDialog(undefined)} onStarted={started} />}
      {(dialog === 'detach' || dialog === 'delete') && (
        <RemoveDialog {...props} action={dialog === 'detach' ? 'Detach' : 'Delete'} onClose={() => setDialog(undefined)} onStarted={started} />
      )}
    </main>
  );
}

type DialogProps = Parameters<typeof ComputeDetails>[0] & { onClose: () => void; onStarted: (operation: FollowedOperation) => void };

/** What to call an operation the page did not start, from the compute's provisioning state. */
function operationName(provisioningState: string): string {
  return provisioningState === 'Creating' ? 'Create' : provisioningState === 'Deleting' ? 'Removal' : 'Update';
}

/** The operation's steps as Berth reports them (each with when it ended, or began while running), then its outcome. */
function OperationSteps(props: { what: string; state: PollerState }) {
  const { state } = props;
  const steps = state.steps ?? [];
  const outcome = state.status === 'Succeeded' ? 'Succeeded' : state.status === 'Failed' || state.status === 'Canceled' ? state.status : undefined;
  return (
    <>
      <p>
        {props.what}: {outcome ? outcome.toLowerCase() : 'in progress'}
      </p>
      <ol aria-live="polite">
        {steps.map((step) => {
          const shown = STEP_OUTCOMES[step.status] ?? STEP_OUTCOMES.InProgress;
          const at = step.endTime ?? step.startTime;
          return (
            <li key={`${step.name} ${step.startTime}`} className={shown.className}>
              {operationStepLabel(step.name)}: {shown.text} <time dateTime={at}>{formatTime(at)}</time>
            </li>
          );
        })}
        {outcome === 'Succeeded' && <li className="ok">Ready: Succeeded</li>}
        {outcome && outcome !== 'Succeeded' && <li className="failed">{`${outcome}: ${state.error?.message ?? 'no reason given'}`}</li>}
      </ol>
    </>
  );
}

function ScaleDialog(props: DialogProps & { compute: ComputeResource }) {
  const aks = props.compute.properties.properties;
  const [nodes, setNodes] = useState(String(aks.agentCount));
  const [server, setServer] = useState<FieldProblems>({});
  const validation = validateScale(nodes, aks.agentVmSize, aks.clusterPurpose);
  const problems = [...(validation.problems.nodes ?? []), ...(server.nodes ?? [])];
  return (
    <Dialog title={`Scale ${props.name}`} onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (validation.details.length) return;
          try {
            const poller = await props.client.beginUpdateCompute(props.scope.subscription, props.scope.group, props.scope.workspace, props.name, {
              properties: { properties: { agentCount: Number(nodes) } },
            });
            props.onStarted({ what: 'Scale', poller });
          } catch (err) {
            setServer(serverProblems(err));
          }
        }}
      >
        <Problems problems={server.form} />
        <Field label="Number of nodes" problems={problems.length ? problems : undefined} hint={<span className="vcpu-line">{validation.vcpuLine}</span>}>
          {(a11y) => <input {...a11y} type="number" min={1} max={1000} value={nodes} onChange={(e) => (setNodes(e.target.value), setServer({}))} />}
        </Field>
        <p className="hint">The VM size ({aks.agentVmSize}) cannot change (R11).</p>
        <ViewAsCode code={scaleCode(props.scope, props.name, nodes)} />
        <FormActions onCancel={props.onClose}>
          <button type="submit">Scale</button>
        </FormActions>
      </form>
    </Dialog>
  );
}

type TlsChoice = 'keep' | 'off' | 'auto' | 'custom';

function UpdateDialog(props: DialogProps & { compute: ComputeResource }) {
  const aks = props.compute.properties.properties;
  const current = aks.sslConfiguration;
  const [lb, setLb] = useState(aks.loadBalancerType);
  const [subnet, setSubnet] = useState(aks.loadBalancerSubnet ?? '');
  const [tls, setTls] = useState<TlsChoice>('keep');
  const [label, setLabel] = useState(current.leafDomainLabel ?? '');
  const [cert, setCert] = useState('');
  const [key, setKey] = useState('');
  const [cname, setCname] = useState(current.cname ?? '');
  const [server, setServer] = useState<FieldProblems>({});
  const [certCheck, setCertCheck] = useState<{ problems: ErrorDetail[]; warnings: string[] }>({ problems: [], warnings: [] });
  useEffect(() => {
    let live = true;
    if (tls !== 'custom') setCertCheck({ problems: [], warnings: [] });
    else
      certificateProblems(cert, key, cname).then(
        (r) => live && setCertCheck(r),
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, [tls, cert, key, cname]);

  const ssl: SslConfiguration | undefined =
    tls === 'off'
      ? { status: 'Disabled' }
      : tls === 'auto'
        ? { status: 'Auto', leafDomainLabel: label.trim() }
        : tls === 'custom'
          ? { status: 'Enabled', cert, key, cname: cname.trim() }
          : undefined;
  // The rules on what the compute will be: TLS as chosen (or as it is), with the load balancer chosen.
  const effective = tls === 'keep' ? (current.status === 'Disabled' ? undefined : { ...current, status: current.status }) : ssl;
  const rules = checkTls(effective, lb, 'properties.properties.sslConfiguration');
  const local = byField([...rules.problems.filter((d) => tls !== 'keep' || d.code === 'TlsWithInternalLoadBalancer'), ...certCheck.problems]);
  const body: ComputeUpdate = {
    properties: {
      properties: {
        loadBalancerType: lb,
        ...(lb === 'InternalLoadBalancer' && subnet.trim() ? { loadBalancerSubnet: subnet.trim() } : {}),
        ...(ssl ? { sslConfiguration: ssl } : {}),
      },
    },
  };
  const at = (field: string) => {
    const all = [...(local[field] ?? []), ...(server[field] ?? [])];
    return all.length ? all : undefined;
  };
  const blocked = Object.keys(local).length > 0;
  return (
    <Dialog title={`Update ${props.name}`} onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (blocked) return;
          try {
            const poller = await props.client.beginUpdateCompute(props.scope.subscription, props.scope.group, props.scope.workspace, props.name, body);
            props.onStarted({ what: 'Update', poller });
          } catch (err) {
            setServer(serverProblems(err));
          }
        }}
      >
        <Problems problems={server.form} />
        <Field label="Load balancer type" problems={at('loadBalancerType')}>
          {(a11y) => (
            <select {...a11y} value={lb} onChange={(e) => (setLb(e.target.value as typeof lb), setServer({}))}>
              <option value="PublicIp">Public IP</option>
              <option value="InternalLoadBalancer">Internal load balancer</option>
            </select>
          )}
        </Field>
        {lb === 'InternalLoadBalancer' && (
          <Field label="Load balancer subnet" problems={at('loadBalancerSubnet')}>
            {(a11y) => <input {...a11y} value={subnet} onChange={(e) => setSubnet(e.target.value)} />}
          </Field>
        )}
        <Field label="TLS" problems={at('tls')}>
          {(a11y) => (
            <select {...a11y} value={tls} onChange={(e) => (setTls(e.target.value as TlsChoice), setServer({}))}>
              <option value="keep">
                Keep as it is ({current.status === 'Disabled' ? 'off' : current.status === 'Auto' ? 'issued by Berth' : 'my certificate'})
              </option>
              <option value="off">Off</option>
              <option value="auto">Certificate issued by Berth</option>
              <option value="custom">Upload my certificate</option>
            </select>
          )}
        </Field>
        {tls === 'auto' && (
          <Field label="Leaf domain label" problems={at('leafDomainLabel')}>
            {(a11y) => <input {...a11y} value={label} onChange={(e) => setLabel(e.target.value)} />}
          </Field>
        )}
        {tls === 'custom' && (
          <>
            <Field label="Certificate (PEM)" problems={at('cert')}>
              {(a11y) => (
                <input {...a11y} type="file" accept=".pem,.crt,text/plain" onChange={async (e) => setCert((await e.target.files?.[0]?.text()) ?? '')} />
              )}
            </Field>
            <Field label="Private key (PEM)" problems={at('key')}>
              {(a11y) => (
                <input {...a11y} type="file" accept=".pem,.key,text/plain" onChange={async (e) => setKey((await e.target.files?.[0]?.text()) ?? '')} />
              )}
            </Field>
            <Field label="CNAME" problems={at('cname')}>
              {(a11y) => <input {...a11y} value={cname} onChange={(e) => setCname(e.target.value)} />}
            </Field>
          </>
        )}
        {[...rules.warnings, ...certCheck.warnings].length > 0 && (
          <ul className="warnings">
            {[...rules.warnings, ...certCheck.warnings].map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        )}
        <ViewAsCode
          code={updateCode(props.scope, props.name, { loadBalancerType: lb, loadBalancerSubnet: subnet, tls, leafDomainLabel: label, cname }, body)}
        />
        <FormActions onCancel={props.onClose}>
          <button type="submit">Update</button>
        </FormActions>
      </form>
    </Dialog>
  );
}

function RemoveDialog(props: DialogProps & { action: 'Detach' | 'Delete' }) {
  const [error, setError] = useState<string>();
  return (
    <Dialog title={`${props.action} ${props.name}?`} onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const poller = await props.client.beginDeleteCompute(props.scope.subscription, props.scope.group, props.scope.workspace, props.name, props.action);
            props.onStarted({ what: props.action, poller });
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <p>
          {props.action === 'Detach'
            ? 'Detaching removes the compute from the workspace and uninstalls what Berth installed. The Kubernetes cluster itself is kept: you can attach it again later.'
            : 'Deleting removes the compute and deletes its Kubernetes cluster, which the workspace created. This cannot be undone.'}
        </p>
        <Problems problems={error ? [error] : undefined} />
        <ViewAsCode code={removeCode(props.scope, props.name, props.action)} />
        <FormActions onCancel={props.onClose}>
          <button type="submit" className={props.action === 'Delete' ? 'danger' : undefined}>
            {props.action}
          </button>
        </FormActions>
      </form>
    </Dialog>
  );
}
