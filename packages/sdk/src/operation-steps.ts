import type { PollerState } from './poller.js';

/** What each step of Berth's operations does, as a user would say it: an operation's status names its steps by id. */
const STEP_LABELS: Record<string, string> = {
  'create-cluster': 'Create the Kubernetes cluster',
  'scale-cluster': 'Scale the node pool',
  'wait-cluster': 'Wait for the cluster to be provisioned',
  'fetch-credentials': 'Get the cluster credentials',
  install: 'Install the components (azureml-fe, TLS, load balancer)',
  'wait-ready': 'Wait for the front end to be ready',
  uninstall: 'Remove the components',
  'delete-cluster': 'Delete the Kubernetes cluster',
  'wait-cluster-deleted': 'Wait for the cluster to be deleted',
  remove: 'Remove the compute',
  policy: 'Check Azure Policy',
  provision: 'Provision',
  bootstrap: 'Bootstrap the cluster',
  apply: 'Apply the change to the cluster',
  deprovision: 'Deprovision',
  delete: 'Delete',
  'delete-contents': 'Delete what the resource group holds',
};

/** A step's label; a step this SDK does not know (a newer Berth's, another service's) by its id. */
export function operationStepLabel(name: string): string {
  return STEP_LABELS[name] ?? name;
}

/** The step an operation is in, from its poller's state; none once it ended, or when its service lists no steps. */
export function currentStep(state: PollerState): string | undefined {
  const last = state.steps?.at(-1);
  return last?.status === 'InProgress' ? operationStepLabel(last.name) : undefined;
}
