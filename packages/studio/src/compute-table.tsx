import type { ComputeResource } from '@berth/sdk';
import { endpointOf, failureReason, purposeLabel, tlsLabel } from './format.js';

/** One row per AKS compute of the workspace; a failed one shows its reason on hover and when expanded. */
export function ComputeTable(props: { computes: ComputeResource[]; hrefOf: (name: string) => string; onOpen: (name: string) => void }) {
  if (props.computes.length === 0) {
    return (
      <p className="empty" role="status">
        No inference clusters yet: New → Create new, or New → Use existing to attach a cluster you have.
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Inference clusters of the workspace</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Cluster purpose</th>
            <th scope="col">Nodes</th>
            <th scope="col">VM size</th>
            <th scope="col">Location</th>
            <th scope="col">Attached or created</th>
            <th scope="col">Scoring endpoint / FQDN</th>
            <th scope="col">TLS</th>
          </tr>
        </thead>
        <tbody>
          {props.computes.map((c) => {
            const aks = c.properties.properties;
            const state = c.properties.provisioningState;
            const reason = failureReason(c);
            return (
              <tr key={c.id}>
                <th scope="row">
                  <a
                    href={props.hrefOf(c.name)}
                    onClick={(e) => {
                      if (e.metaKey || e.ctrlKey || e.shiftKey) return;
                      e.preventDefault();
                      props.onOpen(c.name);
                    }}
                  >
                    {c.name}
                  </a>
                </th>
                <td>
                  {reason ? (
                    <details className="state" title={reason}>
                      <summary className={`badge ${state}`}>{state}</summary>
                      <p>{reason}</p>
                    </details>
                  ) : (
                    <span className={`badge ${state}`}>{state}</span>
                  )}
                </td>
                <td>{purposeLabel(aks.clusterPurpose)}</td>
                <td>{aks.agentCount}</td>
                <td>{aks.agentVmSize}</td>
                <td>{c.properties.computeLocation}</td>
                <td>{c.properties.isAttachedCompute ? 'Attached' : 'Created'}</td>
                <td className="endpoint">{endpointOf(c)}</td>
                <td>{tlsLabel(c)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
