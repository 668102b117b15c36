import { namespaceRefusal } from '../../object-store.js';
import type { KubeObject } from '../../kube-object.js';
import { checkNesting } from '../../nesting.js';
import { checkName, prepareNew, type RuleContext } from '../../object-rules.js';
import { resourceTypeByKey, type ResourceType } from '../../resource-types.js';
import { badRequest, invalid } from '../../status.js';
import { authorizeGrants } from '../auth.js';
import type { KubeCall } from '../kube-call.js';

const NAMESPACES = resourceTypeByKey('core/namespaces');
const SERVICES = resourceTypeByKey('core/services');

/** What admission needs to know of the cluster: its service network and the cluster IPs taken in it. */
function ruleContext(call: KubeCall): RuleContext {
  return {
    serviceCidr: call.settings.serviceCidr,
    dnsServiceIP: call.settings.dnsServiceIP,
    takenClusterIps: async () => {
      const services = await call.store.list(call.clusterId, SERVICES);
      return new Set(services.items.map((s) => (s.spec as { clusterIP?: string })?.clusterIP).filter((ip): ip is string => !!ip));
    },
  };
}

/** `create`: names, validates and defaults the object, then stores it (not on a dry run); answers 201. */
export async function createObject(call: KubeCall, type: ResourceType, namespace: string | undefined, obj: KubeObject): Promise<unknown> {
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
  // Checked before admission too (the store checks again as it writes), so a dry run in a missing namespace fails as a create would.
  if (type.namespaced) {
    const refusal = namespaceRefusal(namespace!, await call.store.get(call.clusterId, NAMESPACES, '', namespace!));
    if (refusal) throw refusal;
  }
  const prepared = await prepareNew(type, obj, ruleContext(call));
  checkNesting(prepared);
  await authorizeGrants(call.store, call.clusterId, call.caller, type, prepared);
  const created = call.dryRun ? prepared : await call.store.create(call.clusterId, type, prepared);
  return call.reply.code(201).send(created);
}
