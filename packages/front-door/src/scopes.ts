import { ArmError } from '@berth/arm';
import type { ScopePath } from '@berth/arm';

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

export function invalidScope(scope: string): ArmError {
  return new ArmError(
    400,
    'InvalidScope',
    `The scope '${scope.slice(0, 300)}' is not valid. Give a subscription (/subscriptions/{id}), a resource group (/subscriptions/{id}/resourceGroups/{name}) or a resource (/subscriptions/{id}/resourceGroups/{name}/providers/{namespace}/{type}/{name}).`,
  );
}

/** A scope path written as ARM writes a scope (lower-cased). */
export function scopeString(path: ScopePath): string {
  return `/${path.join('/')}`;
}
