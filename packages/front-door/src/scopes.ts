import { ArmError } from '@berth/arm';
import type { ScopePath } from './roles.js';

const AUTHORIZATION = 'microsoft.authorization';

/**
 * The scope a request acts on, from what the router matched: the route's URL template with its
 * decoded params substituted (each param one whole segment), cut at the resource: action suffixes
 * (`/listKeys`), collection names (`/computes`) and `/providers/Microsoft.Authorization/...`
 * extension paths fall away. Subscription-level provider paths (`/subscriptions/{s}/providers/...`)
 * act on the subscription. Never derived from the raw URL.
 */
export function requestScope(template: string, params: Record<string, unknown>): ScopePath {
  const values: string[] = [];
  for (const segment of template.split('/')) {
    if (segment === '') continue;
    if (segment.includes('*')) break;
    values.push(segment.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, (_, name: string) => String(params[name] ?? '')).toLowerCase());
  }
  const subscriptionId = String(params.subscriptionId ?? '').toLowerCase();
  const path = ['subscriptions', subscriptionId];
  if (values[0] !== 'subscriptions' || values[1] !== subscriptionId) return path;
  let i = 2;
  if (values[i] !== 'resourcegroups' || !values[i + 1]) return path;
  path.push('resourcegroups', values[i + 1]);
  i += 2;
  if (values[i] !== 'providers' || !values[i + 1] || values[i + 1] === AUTHORIZATION || !values[i + 2] || !values[i + 3]) return path;
  path.push('providers', values[i + 1], values[i + 2], values[i + 3]);
  i += 4;
  while (values[i] && values[i] !== 'providers' && values[i + 1]) {
    path.push(values[i], values[i + 1]);
    i += 2;
  }
  return path;
}

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

const SEGMENT = /^[^/?#<>%&\\]+$/;

export function invalidScope(scope: string): ArmError {
  return new ArmError(
    400,
    'InvalidScope',
    `The scope '${scope.slice(0, 300)}' is not valid. Give a subscription (/subscriptions/{id}), a resource group (/subscriptions/{id}/resourceGroups/{name}) or a resource (/subscriptions/{id}/resourceGroups/{name}/providers/{namespace}/{type}/{name}).`,
  );
}

/** Parses a scope; undefined when it is none of a subscription, a resource group or a resource. */
export function parseScope(scope: string): ParsedScope | undefined {
  const trimmed = scope.trim().replace(/\/+$/, '');
  if (!trimmed.startsWith('/') || trimmed.length > 1500) return undefined;
  const parts = trimmed.slice(1).split('/');
  if (parts.some((p) => !SEGMENT.test(p))) return undefined;
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

/** A scope path written as ARM writes a scope (lower-cased). */
export function scopeString(path: ScopePath): string {
  return `/${path.join('/')}`;
}
