/** Parts of an ARM resource id `/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}[/{type}/{name}...]`. */
export interface ResourceIdParts {
  subscriptionId: string;
  resourceGroup: string;
  namespace: string;
  /** Resource types from the outermost, e.g. `['workspaces', 'computes']`. */
  types: string[];
  names: string[];
}

export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

export function resourceId(subscriptionId: string, resourceGroup: string, namespace: string, segments: Array<[type: string, name: string]>): string {
  const tail = segments.map(([t, n]) => `${t}/${n}`).join('/');
  return `${resourceGroupId(subscriptionId, resourceGroup)}/providers/${namespace}/${tail}`;
}

const segmentsOf = (id: string) => id.replace(/^\/+/, '').split('/');

/** Where an id sits: its subscription, its resource group (none for subscription-level ids) and its last name; undefined if not under a subscription. */
export function resourceScopeOf(id: string): { subscriptionId: string; resourceGroup?: string; name: string } | undefined {
  const parts = segmentsOf(id);
  if (parts.length < 2 || parts[0].toLowerCase() !== 'subscriptions' || !parts[1]) return undefined;
  const inGroup = parts[2]?.toLowerCase() === 'resourcegroups' && !!parts[3];
  return { subscriptionId: parts[1], ...(inGroup ? { resourceGroup: parts[3] } : {}), name: parts[parts.length - 1] };
}

/** Parses a resource id; segment names are matched case-insensitively as ARM does. Returns undefined if malformed. */
export function parseResourceId(id: string): ResourceIdParts | undefined {
  const parts = segmentsOf(id);
  if (parts.length < 8 || parts.length % 2 !== 0) return undefined;
  if (parts[0].toLowerCase() !== 'subscriptions' || parts[2].toLowerCase() !== 'resourcegroups') return undefined;
  if (parts[4].toLowerCase() !== 'providers') return undefined;
  if (parts.some((p) => p.length === 0)) return undefined;
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 6; i < parts.length; i += 2) {
    types.push(parts[i]);
    names.push(parts[i + 1]);
  }
  return { subscriptionId: parts[1], resourceGroup: parts[3], namespace: parts[5], types, names };
}

/** The id of a nested resource's parent (a compute's workspace); undefined for a top-level or malformed id. */
export function parentResourceId(id: string): string | undefined {
  const parts = parseResourceId(id);
  if (!parts || parts.types.length < 2) return undefined;
  return resourceId(
    parts.subscriptionId,
    parts.resourceGroup,
    parts.namespace,
    parts.types.slice(0, -1).map((type, i) => [type, parts.names[i]]),
  );
}

/**
 * A scope as lower-cased path segments: `[]` is the root (every subscription), `['subscriptions', s]`,
 * `['subscriptions', s, 'resourcegroups', g]`, `[..., 'providers', ns, type, name, ...]`. Segments are
 * compared whole, so a segment can never match across a `/`.
 */
export type ScopePath = readonly string[];

/** A scope a role assignment may be made at: a subscription, a resource group, or a resource (top-level or nested) in one. */
export interface ParsedScope {
  /** The scope as ARM writes it: `/subscriptions/{s}[/resourceGroups/{g}[/providers/{ns}/{type}/{name}...]]`. */
  canonical: string;
  path: ScopePath;
  subscriptionId: string;
  resourceGroup?: string;
  /** The resource's id, for a resource scope. */
  resourceId?: string;
}

const SCOPE_SEGMENT = /^[^/?#<>%&\\]+$/;
const AUTHORIZATION = 'microsoft.authorization';

/** Parses a scope; undefined when it is none of a subscription, a resource group or a resource. */
export function parseScope(scope: string): ParsedScope | undefined {
  const trimmed = scope.trim().replace(/\/+$/, '');
  if (!trimmed.startsWith('/') || trimmed.length > 1500) return undefined;
  const parts = trimmed.slice(1).split('/');
  if (parts.some((p) => !SCOPE_SEGMENT.test(p))) return undefined;
  if (parts[0].toLowerCase() !== 'subscriptions' || parts.length < 2) return undefined;
  const subscriptionId = parts[1];
  if (parts.length === 2) return { canonical: `/subscriptions/${subscriptionId}`, path: ['subscriptions', subscriptionId.toLowerCase()], subscriptionId };
  if (parts[2].toLowerCase() !== 'resourcegroups' || parts.length < 4) return undefined;
  const resourceGroup = parts[3];
  const groupScope = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  const lower = parts.map((p) => p.toLowerCase());
  if (parts.length === 4) return { canonical: groupScope, path: ['subscriptions', lower[1], 'resourcegroups', lower[3]], subscriptionId, resourceGroup };
  if (lower[4] !== 'providers' || parts.length < 8 || parts.length % 2 !== 0 || lower[5] === AUTHORIZATION) return undefined;
  if (lower.slice(6).some((p) => p === 'providers')) return undefined;
  const canonical = `${groupScope}/providers/${parts.slice(5).join('/')}`;
  return {
    canonical,
    path: ['subscriptions', lower[1], 'resourcegroups', lower[3], 'providers', ...lower.slice(5)],
    subscriptionId,
    resourceGroup,
    resourceId: canonical,
  };
}

/** The store's key for an id: ARM ids compare case-insensitively. */
export function idKey(id: string): string {
  return id.toLowerCase();
}
