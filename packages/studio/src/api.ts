import { BerthClient, BerthRestError } from '@berth/sdk';

/** What the page knows of its session: who, the token's roles by subscription (or `*`), and the CSRF value of writes. */
export interface Session {
  name: string;
  roles: Record<string, string>;
  csrf: string;
  expiresAt: string;
}

export type Role = 'Reader' | 'Contributor' | 'Owner';

const origin = () => window.location.origin;

/** A client of the page's own origin: no bearer token (the HttpOnly session cookie goes along), the session's CSRF value on every call. */
export function clientFor(session?: Session): BerthClient {
  return new BerthClient(origin(), '', session ? { headers: { 'x-berth-csrf': session.csrf } } : {});
}

/** The session of the cookie, or undefined when there is none (or it ended). */
export async function currentSession(): Promise<Session | undefined> {
  try {
    return (await clientFor().rest.request<Session>('GET', '/berth/studio/session')).body;
  } catch (err) {
    if (err instanceof BerthRestError && (err.statusCode === 401 || err.statusCode === 404)) return undefined;
    throw err;
  }
}

/** Exchanges a one-time code (from `berth studio`) or a pasted token for a session cookie. */
export async function signIn(credential: { code: string } | { token: string }): Promise<Session> {
  return (await clientFor().rest.request<Session>('POST', '/berth/studio/session', { body: credential })).body;
}

export async function signOut(session: Session): Promise<void> {
  await clientFor(session).rest.request('DELETE', '/berth/studio/session');
}

/** The session's role in a subscription: the token's role there, or on every subscription (`*`). */
export function roleIn(session: Session, subscriptionId: string): Role | undefined {
  const role = session.roles[subscriptionId.toLowerCase()] ?? session.roles['*'];
  return role as Role | undefined;
}

export const canWrite = (role: Role | undefined) => role === 'Contributor' || role === 'Owner';

/** Why a write control is disabled, for its tooltip. */
export function whyReadOnly(role: Role | undefined): string {
  return `Your role here is ${role ?? 'none'}: creating, changing and removing computes needs Contributor or Owner.`;
}
