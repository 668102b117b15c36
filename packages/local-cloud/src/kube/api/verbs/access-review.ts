import { resourceTypeByKey } from '../../resource-types.js';
import { invalid } from '../../status.js';
import { mayAccess } from '../auth.js';
import { rulesHeld, type PolicyRule } from '../rbac.js';
import type { KubeCall } from '../kube-call.js';
import { asObject } from '../parse-request.js';

const REVIEWS = resourceTypeByKey('authorization.k8s.io/selfsubjectaccessreviews');
const RULES_REVIEWS = resourceTypeByKey('authorization.k8s.io/selfsubjectrulesreviews');

interface ReviewSpec {
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
}

/**
 * `POST selfsubjectaccessreviews` (what `kubectl auth can-i` sends): whether the
 * caller may do what the spec describes, by the same rules every request is
 * judged by. An empty namespace means every namespace, so only cluster-wide grants count.
 */
export async function reviewAccess(call: KubeCall): Promise<unknown> {
  const body = asObject(call.request.body);
  const spec = (body.spec ?? {}) as ReviewSpec;
  const attributes = spec.resourceAttributes;
  if (!attributes === !spec.nonResourceAttributes) {
    throw invalid(REVIEWS, '', [{ field: 'spec', message: 'Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
  }
  let allowed: boolean;
  if (attributes) {
    allowed = await mayAccess(call.store, call.clusterId, call.caller, {
      verb: attributes.verb ?? '',
      group: attributes.group ?? '',
      resource: attributes.resource ?? '',
      subresource: attributes.subresource || undefined,
      namespace: attributes.namespace || undefined,
      name: attributes.name || undefined,
    });
  } else {
    // Discovery, version and health answer every authenticated caller's GET (system:discovery and system:public-info-viewer).
    allowed = spec.nonResourceAttributes!.verb === 'get';
  }
  call.reply.code(201);
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed, ...(allowed ? { reason: "allowed by the cluster's RBAC" } : {}) },
  };
}

const EVERYTHING: PolicyRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
/** What every authenticated caller may read outside resources (system:discovery and system:public-info-viewer). */
const DISCOVERY = {
  verbs: ['get'],
  nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'],
};

/**
 * `POST selfsubjectrulesreviews` (what `kubectl auth can-i --list` sends): the
 * rules the caller holds in a namespace. The user credential's are everything
 * but writes in kube-system and to nodes, which rules cannot subtract: those
 * answers say `incomplete`.
 */
export async function reviewRules(call: KubeCall): Promise<unknown> {
  const body = asObject(call.request.body);
  const spec = (body.spec ?? {}) as { namespace?: string };
  if (!spec.namespace) throw invalid(RULES_REVIEWS, '', [{ field: 'spec.namespace', message: 'Required value: a namespace is required' }]);
  const { caller } = call;
  const rules = caller.serviceAccount ? await rulesHeld(call.store, call.clusterId, caller.serviceAccount, spec.namespace) : [EVERYTHING];
  call.reply.code(201);
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: {
      resourceRules: rules.map(({ verbs = [], apiGroups = [], resources = [], resourceNames }) => ({
        verbs,
        apiGroups,
        resources,
        ...(resourceNames?.length ? { resourceNames } : {}),
      })),
      nonResourceRules: [DISCOVERY],
      incomplete: caller.role === 'user',
    },
  };
}
