import { resourceScopeOf } from '@berth/arm';
import type { NewResource } from '../tables/resources.table.js';

export interface NewResourceInput {
  /** The ARM id, as it will be returned. */
  id: string;
  type: string;
  /** The id of the parent: the group for top-level resources, `/subscriptions/{s}` for subscription-level ones. */
  parentId: string;
  body: unknown;
  now: string;
}

/** The row of a new resource: every key derives from its ids, lower-cased since ARM compares them without case. */
export function resourceRow(r: Omit<NewResourceInput, 'body'>, body: string): NewResource {
  const scope = resourceScopeOf(r.id);
  if (!scope) throw new Error(`'${r.id}' is not an ARM resource id`);
  return {
    id_key: r.id.toLowerCase(),
    id: r.id,
    type_key: r.type.toLowerCase(),
    subscription_key: scope.subscriptionId.toLowerCase(),
    group_key: scope.resourceGroup?.toLowerCase() ?? '',
    parent_key: r.parentId.toLowerCase(),
    name: scope.name,
    body,
    created_at: r.now,
    updated_at: r.now,
  };
}
