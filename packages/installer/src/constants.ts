/** The installer's own version, stamped on every object it writes; a different stamp on a live object means "upgrade it". */
export const INSTALLER_VERSION = '1.0.0';

/** The namespace the inference front end lives in. */
export const NAMESPACE = 'azureml';

/** Fixed object names (deterministic, so a repeated create collides instead of forking). */
export const FE_NAME = 'azureml-fe';
export const CONFIG_NAME = 'azuremlfeconfig';
export const TLS_SECRET_NAME = 'azuremlfessl';
/** The ConfigMap that ships the router's bundled source, so a public Node.js image runs it: no image of Berth's own. */
export const APP_CONFIG_NAME = 'azureml-fe-app';
export const APP_FILE = 'azureml-fe.mjs';
export const APP_MOUNT_PATH = '/app';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_COMPUTE = 'berth.dev/compute';
export const MANAGED_BY = 'berth';

export const ANNOTATION_COMPUTE_ID = 'berth.dev/compute-id';
export const ANNOTATION_VERSION = 'berth.dev/installer-version';
export const ANNOTATION_CONFIG_HASH = 'berth.dev/config-hash';

export const INTERNAL_LB = 'service.beta.kubernetes.io/azure-load-balancer-internal';
export const INTERNAL_LB_SUBNET = 'service.beta.kubernetes.io/azure-load-balancer-internal-subnet';

/** Container ports of the front end and the Service ports in front of them. */
export const HTTP_PORT = 9001;
export const HTTPS_PORT = 9443;
export const TLS_MOUNT_PATH = '/etc/azureml-fe/tls';

/** What makes a Service one the front end routes to, and the annotation naming the Secret of its keys (the router's own names). */
export const SCORING_SERVICE_LABEL = 'berth.dev/scoring-service';
export const ANNOTATION_AUTH_SECRET = 'berth.dev/auth-secret';
/** The Role (and RoleBinding) in each namespace of scoring services that lets the front end read just the Secrets they name. */
export const SECRET_READER_NAME = 'azureml-fe-secrets';

/** Label keys Berth sets; any other label on a live object belongs to someone else and is kept. */
export function isOwnedLabel(key: string): boolean {
  return key === LABEL_MANAGED_BY || key === LABEL_NAME || key === LABEL_COMPONENT || key.startsWith('berth.dev/');
}

/** Set on a LoadBalancer Service by Berth's local cloud (its loopback endpoints), not by the installer. */
export const ANNOTATION_LOCAL_ENDPOINTS = 'berth.dev/local-endpoints';

/** Annotation keys Berth sets (or removes, like the internal load-balancer ones when the type changes). */
export function isOwnedAnnotation(key: string): boolean {
  return (key.startsWith('berth.dev/') && key !== ANNOTATION_LOCAL_ENDPOINTS) || key === INTERNAL_LB || key === INTERNAL_LB_SUBNET;
}
