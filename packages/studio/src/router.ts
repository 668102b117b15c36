import { useEffect, useState } from 'react';

/** The view a URL shows: the page under /studio/ and the chosen subscription, resource group and workspace (so a link opens the same view). */
export interface Route {
  page: 'list' | 'signin' | 'new' | 'compute';
  compute?: string;
  subscription?: string;
  group?: string;
  workspace?: string;
}

const BASE = '/studio/';

export function parseRoute(location: Pick<Location, 'pathname' | 'search'>): Route {
  const rest = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  const q = new URLSearchParams(location.search);
  const scope = {
    subscription: q.get('subscription') ?? undefined,
    group: q.get('group') ?? undefined,
    workspace: q.get('workspace') ?? undefined,
  };
  if (rest === 'signin') return { page: 'signin', ...scope };
  if (rest === 'new') return { page: 'new', ...scope };
  const compute = /^computes\/([^/]+)$/.exec(rest);
  if (compute) return { page: 'compute', compute: decodeURIComponent(compute[1]), ...scope };
  return { page: 'list', ...scope };
}

export function hrefOf(route: Route): string {
  const path = route.page === 'compute' ? `computes/${encodeURIComponent(route.compute ?? '')}` : route.page === 'list' ? '' : route.page;
  const q = new URLSearchParams();
  if (route.subscription) q.set('subscription', route.subscription);
  if (route.group) q.set('group', route.group);
  if (route.workspace) q.set('workspace', route.workspace);
  const search = q.toString();
  return `${BASE}${path}${search ? `?${search}` : ''}`;
}

const listeners = new Set<() => void>();

export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  const href = hrefOf(route);
  if (href !== window.location.pathname + window.location.search) {
    if (options.replace) window.history.replaceState(null, '', href);
    else window.history.pushState(null, '', href);
  }
  for (const l of listeners) l();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}
