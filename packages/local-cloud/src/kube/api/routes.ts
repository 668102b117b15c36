import { apiGroup, apiGroupList, apiResourceList, apiVersions, openApiDocument, openApiIndex, openApiV2Document, versionInfo } from '../discovery.js';
import { resourceTypeByKey, resourceTypes } from '../resource-types.js';
import { methodNotAllowed, pathNotFound } from '../status.js';
import { authorize } from './auth.js';
import type { KubeCall } from './kube-call.js';
import { asObject, isWatch, resourceTargetOf, type ResourceTarget } from './parse-request.js';
import { reviewAccess, reviewRules } from './verbs/access-review.js';
import { createObject } from './verbs/create.js';
import { deleteCollection, deleteObject } from './verbs/delete.js';
import { patchObject } from './verbs/patch.js';
import { podLog } from './verbs/log.js';
import { getObject, listObjects } from './verbs/read.js';
import { scaleObject } from './verbs/scale.js';
import { requestToken } from './verbs/token.js';
import { updateObject } from './verbs/update.js';
import { watchObjects } from './verbs/watch.js';

const NAMESPACES = resourceTypeByKey('core/namespaces');
const REVIEWS = resourceTypeByKey('authorization.k8s.io/selfsubjectaccessreviews');
const RULES_REVIEWS = resourceTypeByKey('authorization.k8s.io/selfsubjectrulesreviews');
const notAllowed = () => methodNotAllowed('the server does not allow this method on the requested resource');

/** Routes the path after `/clusters/{id}` to discovery, OpenAPI, health, or a verb on a resource. */
export async function route(call: KubeCall, segments: string[], method: string): Promise<unknown> {
  // kubectl may resolve OpenAPI paths with or without the kubeconfig's path prefix.
  if (segments[0] === 'clusters' && segments[1] === call.clusterId) return route(call, segments.slice(2), method);
  if (method === 'GET') {
    const doc = serverDocument(call, segments);
    if (doc !== undefined) return doc;
  }
  const target = resourceTargetOf(segments);
  if (!target) throw pathNotFound(`${method} /clusters/${call.clusterId}/${segments.join('/')}`);
  return routeToVerb(call, target, method);
}

/** What the server says of itself: paths, version, health, discovery and OpenAPI documents. */
function serverDocument(call: KubeCall, segments: string[]): unknown {
  switch (`/${segments.join('/')}`) {
    case '/':
      return {
        paths: [
          '/api',
          '/api/v1',
          '/apis',
          ...resourceTypes.filter((t) => t.group).map((t) => `/apis/${t.group}/v1`),
          '/healthz',
          '/openapi/v2',
          '/openapi/v3',
          '/version',
        ],
      };
    case '/version':
      return versionInfo(call.settings.kubernetesVersion);
    case '/healthz':
    case '/livez':
    case '/readyz':
      return call.reply.type('text/plain').send('ok');
    case '/api':
      return apiVersions(new URL(call.request.server.berth.publicUrl).host);
    case '/apis':
      return apiGroupList();
    case '/openapi/v3':
      return openApiIndex('');
    case '/openapi/v2': {
      const doc = openApiV2Document(call.settings.kubernetesVersion, String(call.request.headers.accept ?? ''));
      return call.reply.type(doc.contentType).send(doc.body);
    }
  }
  const [root, a, b] = segments;
  if (root === 'openapi' && a === 'v3') return openApiDocument(segments.slice(2).join('/'));
  if (root === 'api' && segments.length === 2) return apiResourceList('', a);
  if (root === 'apis' && segments.length === 2) return apiGroup(a);
  if (root === 'apis' && segments.length === 3) return apiResourceList(a, b);
  return undefined;
}

/** The RBAC verb of a request: `get`, `list` and `watch` for reads, `create` … `deletecollection` for writes. */
function verbOf(call: KubeCall, method: string, name: string | undefined): string {
  if (method === 'GET' || method === 'HEAD') return isWatch(call.query) ? 'watch' : name === undefined ? 'list' : 'get';
  if (method === 'DELETE') return name === undefined ? 'deletecollection' : 'delete';
  return { POST: 'create', PUT: 'update', PATCH: 'patch' }[method] ?? method.toLowerCase();
}

async function routeToVerb(call: KubeCall, target: ResourceTarget, method: string): Promise<unknown> {
  const { type, name, subresource } = target;
  const namespace = type.namespaced ? target.namespace : undefined;
  if (subresource !== undefined && !type.subresources.includes(subresource)) throw pathNotFound(`${type.plural}/${subresource}`);
  const write = !['GET', 'HEAD'].includes(method);
  // A namespaced kind's path without a namespace (/api/v1/configmaps) lists and watches across namespaces, nothing more.
  if (write && type.namespaced && target.namespace === undefined) throw notAllowed();
  const review = type === REVIEWS || type === RULES_REVIEWS;
  if (review && (method !== 'POST' || name !== undefined)) throw notAllowed();
  await authorize(call.store, call.clusterId, call.caller, type, {
    verb: verbOf(call, method, name),
    group: type.group,
    resource: type.plural,
    subresource,
    // A Namespace object is authorized in its own namespace, as Kubernetes does.
    namespace: namespace ?? (type === NAMESPACES ? name : undefined),
    name,
  });
  if (review) return type === REVIEWS ? reviewAccess(call) : reviewRules(call);
  if (name === undefined) {
    switch (method) {
      case 'GET':
        return isWatch(call.query) ? watchObjects(call, type, namespace) : listObjects(call, type, namespace);
      case 'POST':
        return createObject(call, type, namespace, asObject(call.request.body));
      case 'DELETE':
        return deleteCollection(call, type, namespace);
      default:
        throw notAllowed();
    }
  }
  if (subresource === 'scale') return scaleObject(call, type, namespace!, name, method);
  if (subresource === 'token') {
    if (method !== 'POST') throw notAllowed();
    return requestToken(call, namespace!, name);
  }
  if (subresource === 'log') {
    if (method !== 'GET') throw notAllowed();
    return podLog(call, call.workloads, namespace!, name);
  }
  switch (method) {
    case 'GET':
      return getObject(call, type, namespace, name);
    case 'PUT':
      return updateObject(call, type, namespace, name, asObject(call.request.body), subresource);
    case 'PATCH':
      return patchObject(call, type, namespace, name, subresource);
    case 'DELETE':
      if (subresource) throw notAllowed();
      return deleteObject(call, type, namespace, name);
    default:
      throw notAllowed();
  }
}
