import { podServiceAccountName, serviceAccountToken, type BoundObject } from '../../credentials.js';
import { resourceTypeByKey } from '../../resource-types.js';
import { badRequest, invalid, KubeError, notFound } from '../../status.js';
import type { KubeCall } from '../kube-call.js';
import { asObject } from '../parse-request.js';

const SERVICE_ACCOUNTS = resourceTypeByKey('core/serviceaccounts');
const PODS = resourceTypeByKey('core/pods');
const SECRETS = resourceTypeByKey('core/secrets');

/** Kubernetes' bounds and default for a requested token's lifetime. */
const MIN_EXPIRATION_S = 600;
const MAX_EXPIRATION_S = 2 ** 32;
const DEFAULT_EXPIRATION_S = 3600;
/** What a longer request is cut to, as an API server run with `--service-account-max-token-expiration=48h` does. */
export const MAX_ISSUED_EXPIRATION_S = 48 * 3600;
const AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

interface BoundObjectRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: BoundObjectRef | null;
}

/** The object a TokenRequest binds its token to (a Pod or a Secret of the account's namespace), as the API server checks it. */
async function boundObject(call: KubeCall, namespace: string, account: string, ref: BoundObjectRef): Promise<BoundObject> {
  const group = (ref.apiVersion ?? 'v1').includes('/') ? ref.apiVersion!.split('/')[0] : '';
  const kind = ref.kind === 'Pod' || ref.kind === 'Secret' ? ref.kind : undefined;
  if (group !== '' || !kind) throw badRequest(`cannot bind token to object of type ${ref.apiVersion ?? ''}, Kind=${ref.kind ?? ''}`);
  const name = String(ref.name ?? '');
  const type = kind === 'Pod' ? PODS : SECRETS;
  const obj = name ? await call.store.get(call.clusterId, type, namespace, name) : undefined;
  if (!obj) throw notFound(type, name);
  if (kind === 'Pod' && podServiceAccountName(obj.spec) !== account) {
    throw badRequest(`cannot bind token for serviceaccount "${account}" to pod running with different serviceaccount name.`);
  }
  const uid = obj.metadata.uid!;
  if (ref.uid && ref.uid !== uid) {
    throw new KubeError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${kind} "${name}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      { name, kind },
    );
  }
  return { kind, name, uid };
}

/**
 * `POST serviceaccounts/{name}/token` (what `kubectl create token` sends): a
 * token for the service account, bound to its uid (and to a Pod or Secret when
 * `boundObjectRef` names one), that expires, and that RBAC judges as that account.
 */
export async function requestToken(call: KubeCall, namespace: string, name: string): Promise<unknown> {
  const body = asObject(call.request.body);
  const spec = (body.spec ?? {}) as TokenRequestSpec;
  const account = await call.store.get(call.clusterId, SERVICE_ACCOUNTS, namespace, name);
  if (!account) throw notFound(SERVICE_ACCOUNTS, name);
  const requested = spec.expirationSeconds ?? DEFAULT_EXPIRATION_S;
  const tokenRequest = { ...SERVICE_ACCOUNTS, kind: 'TokenRequest' };
  if (!Number.isInteger(requested) || requested < MIN_EXPIRATION_S || requested > MAX_EXPIRATION_S) {
    throw invalid(tokenRequest, name, [
      {
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${JSON.stringify(requested)}: must be a whole number of seconds from ${MIN_EXPIRATION_S} (10 minutes) to 2^32`,
      },
    ]);
  }
  const ref = spec.boundObjectRef ?? undefined;
  const object = ref ? await boundObject(call, namespace, name, ref) : undefined;
  const seconds = Math.min(requested, MAX_ISSUED_EXPIRATION_S);
  const expiresAt = new Date(Math.floor(Date.now() / 1000 + seconds) * 1000);
  const binding = { account: { namespace, name }, accountUid: account.metadata.uid!, ...(object ? { object } : {}) };
  call.reply.code(201);
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: {
      audiences: spec.audiences?.length ? spec.audiences : [AUDIENCE],
      expirationSeconds: seconds,
      boundObjectRef: object ? { kind: object.kind, apiVersion: 'v1', name: object.name, uid: object.uid } : null,
    },
    status: {
      token: serviceAccountToken(call.box, call.clusterId, binding, expiresAt),
      expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}
