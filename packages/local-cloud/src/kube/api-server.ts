import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseYaml } from 'yaml';
import type { SecretBox } from '@berth/pki';
import { listKubeObjectsInNamespace, type Db } from '@berth/store';
import { addressInRanges } from '@berth/arm';
import type { ClusterDirectory } from './cluster-directory.js';
import type { ClusterRole, ClusterSettings } from './cluster-settings.js';
import { roleOfToken } from './credentials.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, openApiDocument, openApiIndex, versionInfo } from './discovery.js';
import { matchesFields, parseFieldSelector } from './field-selector.js';
import { clone, isPlainObject, isStringMap, type KubeObject } from './kube-object.js';
import { matchesLabels, parseLabelSelector, SelectorParseError } from './label-selector.js';
import { namespaceRefusal, type KubeObjectStore } from './object-store.js';
import { checkName, isReplicaCount, MAX_REPLICAS, prepareNew, prepareUpdate, type RuleContext } from './object-rules.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from './patch.js';
import { findResourceType, resourceTypeByKey, resourceTypes, type ResourceType } from './resource-types.js';
import {
  badRequest,
  conflict,
  forbidden,
  invalid,
  KubeError,
  methodNotAllowed,
  notFound,
  pathNotFound,
  unauthorized,
} from './status.js';
import { toTable } from './table.js';
import { serveWatch } from './watch.js';
import { decodeKubeProtobuf, PROTOBUF } from './protobuf.js';
import { checkJsonNesting, checkNesting, checkPlainData } from './nesting.js';

export interface KubeApiOptions {
  db: Db;
  store: KubeObjectStore;
  box: SecretBox;
  clusters: ClusterDirectory;
}

/** Namespaces a cluster starts with; they cannot be deleted. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const NAMESPACES = resourceTypeByKey('core/namespaces');
const PATCH_TYPES = ['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json'];
const APPLY_PATCH = 'application/apply-patch+yaml';
/** Status reasons of Fastify's own 4xx refusals (body limit, unknown content type). */
const FRAMEWORK_REASONS: Record<number, string> = { 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType' };

interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

interface Call {
  clusterId: string;
  settings: ClusterSettings;
  role: ClusterRole;
  query: Record<string, string | undefined>;
  dryRun: boolean;
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * The body as an object whose metadata has the types the API server's decoder
 * demands (a wrong type is a 400 there, before any validation).
 */
function asObject(body: unknown): KubeObject {
  if (!isPlainObject(body)) throw badRequest('the request body must be a JSON object');
  const obj = body as KubeObject;
  if (obj.metadata === undefined) obj.metadata = {};
  if (!isPlainObject(obj.metadata)) throw badRequest('metadata must be an object');
  for (const field of ['apiVersion', 'kind'] as const) {
    if (obj[field] !== undefined && typeof obj[field] !== 'string') throw badRequest(`${field} must be a string`);
  }
  for (const field of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid']) {
    if (obj.metadata[field] !== undefined && typeof obj.metadata[field] !== 'string') throw badRequest(`metadata.${field} must be a string`);
  }
  for (const field of ['labels', 'annotations']) {
    const map = obj.metadata[field];
    if (map !== undefined && map !== null && !isStringMap(map)) {
      throw badRequest(`metadata.${field} must be a map of strings`);
    }
  }
  return obj;
}

/** Query parameters a list or watch reads as a count; Kubernetes takes them as int64. */
const COUNT_PARAMETERS = ['limit', 'timeoutSeconds'];

/**
 * The query, one string per parameter. A repeated parameter is refused: read as
 * one value it could widen a selector (and a delete of a collection). dryRun is a
 * list in Kubernetes: repeats are fine, and every value must be All.
 */
function queryOf(request: FastifyRequest): { query: Call['query']; dryRun: boolean } {
  const raw = (request.query ?? {}) as Record<string, string | string[] | undefined>;
  const query: Call['query'] = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'dryRun') continue;
    if (Array.isArray(value)) throw badRequest(`the query parameter "${key}" may be given only once`);
    query[key] = value;
  }
  for (const key of COUNT_PARAMETERS) {
    const value = query[key];
    if (value !== undefined && (!/^\d{1,20}$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER)) {
      throw badRequest(`${key}: Invalid value: "${value}": must be a non-negative integer`);
    }
  }
  return { query, dryRun: dryRunOf(raw.dryRun) };
}

function dryRunOf(value: unknown): boolean {
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  const bad = values.find((v) => v !== 'All');
  if (bad !== undefined) throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(bad)}: supported values: "All"`);
  return true;
}

interface DeleteOptions {
  preconditions?: { resourceVersion?: string; uid?: string };
  dryRun?: string[];
}

/** A DELETE body: no body, or DeleteOptions (kubectl sends `dryRun` for `--dry-run=server` here rather than in the query). */
function deleteOptionsOf(body: unknown): DeleteOptions {
  if (body === undefined || body === null) return {};
  if (!isPlainObject(body)) throw badRequest('the body of a delete must be a DeleteOptions object');
  const { preconditions } = body;
  if (preconditions !== undefined && preconditions !== null) {
    if (!isPlainObject(preconditions) || !['uid', 'resourceVersion'].every((k) => preconditions[k] === undefined || typeof preconditions[k] === 'string')) {
      throw badRequest('preconditions must be an object of uid and resourceVersion strings');
    }
  }
  if (body.dryRun !== undefined && body.dryRun !== null && !Array.isArray(body.dryRun)) throw badRequest('dryRun must be a list');
  return body as DeleteOptions;
}

/** Splits the raw path after `/clusters/{id}`: decoding each segment on its own keeps an encoded `/` inside its segment. */
function segmentsOf(url: string): string[] {
  const path = url.split('?')[0];
  try {
    return path.split('/').filter(Boolean).slice(2).map(decodeURIComponent);
  } catch {
    throw badRequest('the request path holds a malformed percent-encoding');
  }
}

function wantsTable(request: FastifyRequest): boolean {
  return /as=Table/.test(String(request.headers.accept ?? ''));
}

function labelsOf(obj: KubeObject): Record<string, string> | undefined {
  return obj.metadata?.labels;
}

/** Routes the path after `/clusters/{id}` to discovery, OpenAPI or a resource. */
function parsePath(segments: string[]): { kind: 'resource'; target: Target } | { kind: 'doc'; body: object } | undefined {
  const [root, a, b, ...rest] = segments;
  let group: string;
  let version: string;
  let tail: string[];
  if (root === 'api') {
    if (a === undefined) return undefined;
    group = '';
    version = a;
    tail = b === undefined ? [] : [b, ...rest];
  } else if (root === 'apis') {
    if (a === undefined || b === undefined) return undefined;
    group = a;
    version = b;
    tail = rest;
  } else {
    return undefined;
  }
  if (tail.length === 0) return undefined;
  // namespaces/{ns}/{plural}/... addresses a namespaced resource; namespaces/{name}[/status] the namespace itself.
  if (tail[0] === 'namespaces' && tail.length >= 3 && findResourceType(group, version, tail[2])?.namespaced) {
    const type = findResourceType(group, version, tail[2])!;
    if (tail.length > 5) return undefined;
    return { kind: 'resource', target: { type, namespace: tail[1], name: tail[3], subresource: tail[4] } };
  }
  const type = findResourceType(group, version, tail[0]);
  if (!type || tail.length > 3) return undefined;
  return { kind: 'resource', target: { type, name: tail[1], subresource: tail[2] } };
}

/** The Kubernetes API of every local cluster, under `/clusters/{clusterId}`. */
export function kubeApiRoutes(options: KubeApiOptions) {
  const { store, box, clusters, db } = options;

  return async function routes(app: FastifyInstance): Promise<void> {
    // Fastify's JSON parser refuses __proto__ and constructor.prototype keys; every JSON body type goes through it.
    const json = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    // client-node sends `Content-Type: application/json` with an empty body on DELETE; the API server reads that as no options.
    app.addContentTypeParser(['application/json', ...PATCH_TYPES], { parseAs: 'string' }, (request, body, done) => {
      if (body === '') return done(null, undefined);
      try {
        checkJsonNesting(body as string);
      } catch (err) {
        return done(err as Error, undefined);
      }
      json(request, body as string, done);
    });
    app.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_req, body, done) => {
      try {
        done(null, decodeKubeProtobuf(body as Buffer));
      } catch (err) {
        done(err instanceof KubeError ? err : badRequest(`the protobuf body cannot be decoded: ${(err as Error).message}`), undefined);
      }
    });
    app.addContentTypeParser([APPLY_PATCH, 'application/yaml'], { parseAs: 'string' }, (_req, body, done) => {
      let value: unknown;
      try {
        value = parseYaml(body as string);
      } catch (err) {
        return done(badRequest(`the body is not valid YAML: ${(err as Error).message}`), undefined);
      }
      try {
        checkNesting(value);
        checkPlainData(value);
      } catch (err) {
        return done(err as Error, undefined);
      }
      done(null, value);
    });

    app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
      const kubeError =
        err instanceof KubeError
          ? err
          : err instanceof SelectorParseError
            ? badRequest(err.message)
            : err instanceof PatchError
              ? new KubeError(422, 'Invalid', err.message)
              : err.statusCode && err.statusCode < 500
                ? new KubeError(err.statusCode, FRAMEWORK_REASONS[err.statusCode] ?? 'BadRequest', err.message)
                : undefined;
      if (!kubeError) request.log.error({ err }, 'kubernetes API request failed');
      const status = kubeError ?? new KubeError(500, 'InternalError', `Internal error occurred: request ${request.id} failed`);
      return reply.code(status.code).type('application/json').send(status.toStatus());
    });

    const callers = new WeakMap<FastifyRequest, { settings: ClusterSettings; role: ClusterRole }>();

    // Callers are checked in onRequest, before Fastify reads a body: a refused caller's body is never read nor parsed.
    app.addHook('onRequest', async (request) => {
      const { clusterId } = request.params as { clusterId: string };
      // The token first: it is a MAC of the cluster id, so an unknown id answers 401 like a wrong token and ids cannot be probed.
      const match = /^Bearer\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''));
      const role = match ? roleOfToken(box, clusterId, match[1]) : undefined;
      if (!role) throw unauthorized();
      const settings = await clusters.get(clusterId);
      if (!settings) throw new KubeError(404, 'NotFound', `no cluster "${clusterId}" here`);
      if (settings.authorizedIPRanges.length > 0 && !addressInRanges(request.ip, settings.authorizedIPRanges)) {
        throw forbidden(`the API server of cluster "${settings.clusterName}" only accepts requests from its authorized IP ranges (${settings.authorizedIPRanges.join(', ')}); ${request.ip} is not in them`);
      }
      callers.set(request, { settings, role });
    });

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const { clusterId } = request.params as { clusterId: string };
      const { settings, role } = callers.get(request)!;
      const { query, dryRun } = queryOf(request);
      const call: Call = { clusterId, settings, role, query, dryRun, request, reply };
      return route(call, segmentsOf(request.url), request.method);
    };
    app.all('/', { config: { access: 'own' } }, handler);
    app.all('/*', { config: { access: 'own' } }, handler);

    async function route(call: Call, segments: string[], method: string): Promise<unknown> {
      const path = `/${segments.join('/')}`;
      const prefix = `/clusters/${call.clusterId}`;
      // kubectl may resolve OpenAPI paths with or without the kubeconfig's path prefix.
      if (segments[0] === 'clusters' && segments[1] === call.clusterId) return route(call, segments.slice(2), method);
      if (method === 'GET') {
        switch (path) {
          case '/':
            return { paths: ['/api', '/api/v1', '/apis', ...resourceTypes.filter((t) => t.group).map((t) => `/apis/${t.group}/v1`), '/healthz', '/openapi/v3', '/version'] };
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
        }
        if (segments[0] === 'openapi' && segments[1] === 'v3') {
          const doc = openApiDocument(segments.slice(2).join('/'));
          if (doc) return doc;
        }
        if (segments[0] === 'api' && segments.length === 2) {
          const list = apiResourceList('', segments[1]);
          if (list) return list;
        }
        if (segments[0] === 'apis' && segments.length === 2) {
          const group = apiGroup(segments[1]);
          if (group) return group;
        }
        if (segments[0] === 'apis' && segments.length === 3) {
          const list = apiResourceList(segments[1], segments[2]);
          if (list) return list;
        }
      }
      const parsed = parsePath(segments);
      if (!parsed || parsed.kind !== 'resource') throw pathNotFound(`${method} ${prefix}${path}`);
      return resource(call, parsed.target, method);
    }

    async function resource(call: Call, target: Target, method: string): Promise<unknown> {
      const { type, name, subresource } = target;
      const namespace = type.namespaced ? target.namespace : undefined;
      if (subresource !== undefined && !type.subresources.includes(subresource)) throw pathNotFound(`${type.plural}/${subresource}`);
      const write = !['GET', 'HEAD'].includes(method);
      // A namespaced kind's path without a namespace (/api/v1/configmaps) lists and watches across namespaces, nothing more.
      if (write && type.namespaced && target.namespace === undefined) throw methodNotAllowed('the server does not allow this method on the requested resource');
      if (write) authorizeWrite(call, type, namespace ?? (type === NAMESPACES ? name : undefined), method);
      if (name === undefined) {
        switch (method) {
          case 'GET':
            return isWatch(call.query) ? watch(call, type, namespace) : list(call, type, namespace);
          case 'POST':
            return create(call, type, namespace, asObject(call.request.body));
          case 'DELETE':
            return deleteCollection(call, type, namespace);
          default:
            throw methodNotAllowed(`the server does not allow this method on the requested resource`);
        }
      }
      if (subresource === 'scale') return scale(call, type, namespace!, name, method);
      switch (method) {
        case 'GET': {
          const obj = await store.get(call.clusterId, type, namespace ?? '', name);
          if (!obj) throw notFound(type, name);
          return present(call, type, [obj], obj.metadata.resourceVersion ?? '', true);
        }
        case 'PUT':
          return update(call, type, namespace, name, asObject(call.request.body), subresource);
        case 'PATCH':
          return patch(call, type, namespace, name, subresource);
        case 'DELETE':
          if (subresource) throw methodNotAllowed('the server does not allow this method on the requested resource');
          return remove(call, type, namespace, name);
        default:
          throw methodNotAllowed('the server does not allow this method on the requested resource');
      }
    }

    function authorizeWrite(call: Call, type: ResourceType, namespace: string | undefined, method: string): void {
      if (call.role === 'admin') return;
      const verb = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method.toLowerCase();
      if (namespace === 'kube-system' || type.key === 'core/nodes') {
        const where = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
        throw forbidden(`${type.plural} is forbidden: User "clusterUser" cannot ${verb} resource "${type.plural}" in API group "${type.group}"${where}`);
      }
    }

    function isWatch(query: Call['query']): boolean {
      return query.watch === 'true' || query.watch === '1';
    }

    function selectorsOf(query: Call['query']) {
      const labels = parseLabelSelector(query.labelSelector ?? '');
      const fields = parseFieldSelector(query.fieldSelector ?? '');
      return (obj: KubeObject) => matchesLabels(labels, labelsOf(obj)) && matchesFields(fields, obj);
    }

    function present(call: Call, type: ResourceType, items: KubeObject[], resourceVersion: string, single: boolean): unknown {
      if (wantsTable(call.request)) {
        const includeObject = (call.query.includeObject as 'None' | 'Object' | 'Metadata' | undefined) ?? 'Metadata';
        return toTable(type.kind, items, { resourceVersion, includeObject });
      }
      if (single) return items[0];
      return { apiVersion: type.apiVersion, kind: `${type.kind}List`, metadata: { resourceVersion }, items };
    }

    async function list(call: Call, type: ResourceType, namespace?: string) {
      const matches = selectorsOf(call.query);
      const { items, resourceVersion } = await store.list(call.clusterId, type, namespace);
      return present(call, type, items.filter(matches), String(resourceVersion), false);
    }

    async function watch(call: Call, type: ResourceType, namespace?: string): Promise<void> {
      const matches = selectorsOf(call.query);
      const timeout = call.query.timeoutSeconds === undefined ? undefined : Number(call.query.timeoutSeconds);
      await serveWatch(call.reply, store, {
        clusterId: call.clusterId,
        type,
        matches: (ns, obj) => (namespace === undefined || ns === namespace) && matches(obj),
        resourceVersion: call.query.resourceVersion,
        timeoutSeconds: Number.isFinite(timeout) && timeout! > 0 ? timeout : undefined,
        bookmarks: call.query.allowWatchBookmarks === 'true',
        present: (obj, rv) => (wantsTable(call.request) ? present(call, type, [obj], rv, true) : obj),
        current: () => store.list(call.clusterId, type, namespace),
      });
    }

    function ruleContext(call: Call): RuleContext {
      return {
        serviceCidr: call.settings.serviceCidr,
        dnsServiceIP: call.settings.dnsServiceIP,
        takenClusterIps: async () => {
          const services = await store.list(call.clusterId, resourceTypeByKey('core/services'));
          return new Set(services.items.map((s) => (s.spec as { clusterIP?: string })?.clusterIP).filter((ip): ip is string => !!ip));
        },
      };
    }

    async function requireNamespace(call: Call, type: ResourceType, namespace: string | undefined): Promise<void> {
      if (!type.namespaced) return;
      const refusal = namespaceRefusal(namespace!, await store.get(call.clusterId, NAMESPACES, '', namespace!));
      if (refusal) throw refusal;
    }

    async function create(call: Call, type: ResourceType, namespace: string | undefined, obj: KubeObject) {
      if (obj.metadata.namespace && namespace !== undefined && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (type.namespaced) obj.metadata.namespace = namespace;
      else delete obj.metadata.namespace;
      if (!obj.metadata.name && obj.metadata.generateName) {
        obj.metadata.name = `${obj.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
      }
      const causes = checkName(type, obj.metadata.name);
      if (causes.length > 0) throw invalid(type, obj.metadata.name ?? '', causes);
      if (obj.kind !== undefined && obj.kind !== type.kind) throw badRequest(`the kind "${obj.kind}" does not match the resource "${type.plural}"`);
      await requireNamespace(call, type, namespace);
      const prepared = await prepareNew(type, obj, ruleContext(call));
      checkNesting(prepared);
      const created = call.dryRun ? prepared : await store.create(call.clusterId, type, prepared);
      return call.reply.code(201).send(created);
    }

    async function update(call: Call, type: ResourceType, namespace: string | undefined, name: string, obj: KubeObject, subresource?: string) {
      if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
        throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
      }
      obj.metadata.name = name;
      if (type.namespaced) obj.metadata.namespace = namespace;
      const existing = await store.get(call.clusterId, type, namespace ?? '', name);
      if (!existing) {
        if (subresource || !type.createOnUpdate) throw notFound(type, name);
        return create(call, type, namespace, obj);
      }
      const expected = obj.metadata.resourceVersion || undefined;
      if (expected !== undefined && expected !== existing.metadata.resourceVersion) throw conflict(type, name);
      return save(call, type, existing, prepareUpdate(type, existing, obj, subresource));
    }

    /** Saves an update. One that changes nothing is not written, as the API server skips it: same resourceVersion, no watch event. */
    async function save(call: Call, type: ResourceType, existing: KubeObject, prepared: KubeObject): Promise<KubeObject> {
      const { uid, creationTimestamp, resourceVersion } = existing.metadata;
      if (isDeepStrictEqual({ ...prepared, metadata: { ...prepared.metadata, uid, creationTimestamp, resourceVersion } }, existing)) return existing;
      checkNesting(prepared);
      return call.dryRun ? prepared : store.replace(call.clusterId, type, prepared, resourceVersion);
    }

    async function patch(call: Call, type: ResourceType, namespace: string | undefined, name: string, subresource?: string) {
      const contentType = String(call.request.headers['content-type'] ?? '').split(';')[0].trim();
      const body = call.request.body;
      if (contentType === APPLY_PATCH) {
        if (!call.query.fieldManager) throw new KubeError(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
      } else if (!PATCH_TYPES.includes(contentType)) {
        throw new KubeError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${[...PATCH_TYPES, APPLY_PATCH].join(', ')}`);
      }
      // Patches apply to the current object; a concurrent write between read and save retries.
      for (let attempt = 0; ; attempt++) {
        const existing = await store.get(call.clusterId, type, namespace ?? '', name);
        if (!existing) {
          if (contentType === APPLY_PATCH && !subresource) {
            const obj = asObject(clone(body));
            obj.metadata.name ??= name;
            return create(call, type, namespace, obj);
          }
          throw notFound(type, name);
        }
        let patched: KubeObject;
        switch (contentType) {
          case 'application/merge-patch+json':
            patched = applyMergePatch(existing, body);
            break;
          case 'application/json-patch+json':
            patched = applyJsonPatch(existing, body);
            break;
          default:
            // Server-side apply is approximated by a strategic merge of the applied configuration.
            patched = applyStrategicMergePatch(existing, body, type.kind);
        }
        patched = asObject(patched);
        if (patched.metadata.name !== name) throw badRequest('a patch may not change the object name');
        const requested = (body as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
        if (requested !== undefined && requested !== existing.metadata.resourceVersion) throw conflict(type, name);
        try {
          return await save(call, type, existing, prepareUpdate(type, existing, patched, subresource));
        } catch (err) {
          if (!(err instanceof KubeError && err.reason === 'Conflict') || requested !== undefined || attempt >= 4) throw err;
        }
      }
    }

    async function remove(call: Call, type: ResourceType, namespace: string | undefined, name: string) {
      const options = deleteOptionsOf(call.request.body);
      const dry = call.dryRun || dryRunOf(options.dryRun?.length ? options.dryRun : undefined);
      const existing = await store.get(call.clusterId, type, namespace ?? '', name);
      if (!existing) throw notFound(type, name);
      if (options.preconditions?.uid && options.preconditions.uid !== existing.metadata.uid) throw conflict(type, name);
      if (dry) return existing;
      if (type === NAMESPACES) return deleteNamespace(call, existing);
      return store.remove(call.clusterId, type, namespace ?? '', name, options.preconditions?.resourceVersion);
    }

    async function deleteNamespace(call: Call, ns: KubeObject) {
      const name = ns.metadata.name!;
      if (SYSTEM_NAMESPACES.includes(name)) throw forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
      // Once Terminating is stored, the store refuses every create in the namespace, controllers' too: what is listed next is all there will be.
      const terminating = await store.replace(call.clusterId, NAMESPACES, { ...ns, status: { phase: 'Terminating' } });
      const rows = await listKubeObjectsInNamespace(db, call.clusterId, name);
      // Owners first, so that no controller acts on an owner whose pods are already gone.
      rows.sort((a, b) => Number(b.resource === 'apps/deployments') - Number(a.resource === 'apps/deployments'));
      for (const row of rows) {
        await store.remove(call.clusterId, resourceTypeByKey(row.resource), name, row.name).catch((err) => {
          if (!(err instanceof KubeError && err.code === 404)) throw err;
        });
      }
      await store.remove(call.clusterId, NAMESPACES, '', name);
      return terminating;
    }

    async function deleteCollection(call: Call, type: ResourceType, namespace?: string) {
      const matches = selectorsOf(call.query);
      const { items, resourceVersion } = await store.list(call.clusterId, type, namespace);
      const doomed = items.filter(matches).filter((o) => !(type === NAMESPACES && SYSTEM_NAMESPACES.includes(o.metadata.name!)));
      const options = deleteOptionsOf(call.request.body);
      if (!call.dryRun && !dryRunOf(options.dryRun?.length ? options.dryRun : undefined)) {
        for (const obj of doomed) await store.remove(call.clusterId, type, obj.metadata.namespace ?? '', obj.metadata.name!);
      }
      return { apiVersion: type.apiVersion, kind: `${type.kind}List`, metadata: { resourceVersion: String(resourceVersion) }, items: doomed };
    }

    /** `deployments/{name}/scale`: the autoscaling/v1 Scale view of spec.replicas (what `kubectl scale` uses). */
    async function scale(call: Call, type: ResourceType, namespace: string, name: string, method: string) {
      const toScale = (d: KubeObject) => ({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name, namespace, uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion, creationTimestamp: d.metadata.creationTimestamp },
        spec: { replicas: (d.spec as { replicas?: number }).replicas ?? 1 },
        status: { replicas: (d.status as { replicas?: number })?.replicas ?? 0, selector: Object.entries(((d.spec as any).selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',') },
      });
      const existing = await store.get(call.clusterId, type, namespace, name);
      if (!existing) throw notFound(type, name);
      if (method === 'GET') return toScale(existing);
      let wanted: unknown;
      if (method === 'PUT') wanted = (call.request.body as { spec?: { replicas?: unknown } })?.spec?.replicas;
      else if (method === 'PATCH') {
        const contentType = String(call.request.headers['content-type'] ?? '').split(';')[0].trim();
        const current = toScale(existing);
        const patched = contentType === 'application/json-patch+json' ? applyJsonPatch(current, call.request.body) : applyMergePatch(current, call.request.body);
        wanted = patched.spec?.replicas;
      } else throw methodNotAllowed('the server does not allow this method on the requested resource');
      if (!isReplicaCount(wanted)) {
        throw invalid(type, name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(wanted)}: must be an integer from 0 to ${MAX_REPLICAS}` }]);
      }
      return toScale(await save(call, type, existing, prepareUpdate(type, existing, { ...existing, spec: { ...(existing.spec as object), replicas: wanted } })));
    }
  };
}
