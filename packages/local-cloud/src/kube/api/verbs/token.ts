import { serviceAccountToken } from '../../credentials.js';
import { resourceTypeByKey } from '../../resource-types.js';
import { invalid, notFound } from '../../status.js';
import type { KubeCall } from '../kube-call.js';
import { asObject } from '../parse-request.js';

const SERVICE_ACCOUNTS = resourceTypeByKey('core/serviceaccounts');

/** Kubernetes' bounds and default for a requested token's lifetime. */
const MIN_EXPIRATION_S = 600;
const MAX_EXPIRATION_S = 2 ** 32;
const DEFAULT_EXPIRATION_S = 3600;
const AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: unknown;
}

/**
 * `POST serviceaccounts/{name}/token` (what `kubectl create token` sends): a
 * token for the service account that expires, and that RBAC judges as that
 * account. Every namespace's `default` account exists implicitly, as the
 * service-account controller makes it on a real cluster.
 */
export async function requestToken(call: KubeCall, namespace: string, name: string): Promise<unknown> {
  const body = asObject(call.request.body);
  const spec = (body.spec ?? {}) as TokenRequestSpec;
  if (name !== 'default' && !(await call.store.get(call.clusterId, SERVICE_ACCOUNTS, namespace, name))) throw notFound(SERVICE_ACCOUNTS, name);
  const seconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_S;
  const tokenRequest = { ...SERVICE_ACCOUNTS, kind: 'TokenRequest' };
  if (!Number.isInteger(seconds) || seconds < MIN_EXPIRATION_S || seconds > MAX_EXPIRATION_S) {
    throw invalid(tokenRequest, name, [
      {
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${JSON.stringify(seconds)}: must be a whole number of seconds from ${MIN_EXPIRATION_S} (10 minutes) to 2^32`,
      },
    ]);
  }
  const expiresAt = new Date(Math.floor(Date.now() / 1000 + seconds) * 1000);
  call.reply.code(201);
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences: spec.audiences?.length ? spec.audiences : [AUDIENCE], expirationSeconds: seconds, boundObjectRef: null },
    status: {
      token: serviceAccountToken(call.box, call.clusterId, { namespace, name }, expiresAt),
      expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}
