import { isIPv6 } from 'node:net';

export interface SignInLimits {
  /** Failed sign-ins one client id may make per minute (also the burst); past them it gets 429 until one is regained. */
  failedSignInsPerClient: number;
  /** Failed sign-ins one client address (an IPv6 /64) may make per minute, whatever client ids they name. */
  failedSignInsPerAddress: number;
}

/** Far above what a client with the right secret ever fails (none), well below what guessing needs. */
export const defaultSignInLimits: SignInLimits = { failedSignInsPerClient: 10, failedSignInsPerAddress: 60 };

/** Keys each limiter remembers at most: about a megabyte; the least recently failed key is dropped first. */
const MAX_KEYS = 10_000;

/**
 * Token buckets by key, in a bounded map: each key holds up to `perMinute` tokens, regains them at
 * `perMinute` a minute, and spends one per failure. A Map keeps insertion order, so re-inserting a key
 * on each failure makes its first key the least recently failed one, the one dropped when full.
 */
class FailureBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(private readonly perMinute: number) {
    this.perMs = perMinute / 60_000;
  }

  private tokens(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    return bucket ? Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs) : this.perMinute;
  }

  /** Seconds until `key` may try again; 0 when it may now. */
  retryAfterS(key: string, now: number): number {
    const tokens = this.tokens(key, now);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.perMs / 1000);
  }

  fail(key: string, now: number): void {
    const tokens = this.tokens(key, now) - 1;
    this.buckets.delete(key);
    if (this.buckets.size >= MAX_KEYS) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(key, { tokens, at: now });
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}

/** An IPv6 client's /64 (what one host or home network is given), so rotating addresses within it gains nothing; other addresses as they are. */
export function addressKey(address: string): string {
  if (!isIPv6(address) || address.includes('.')) return address;
  const [head, tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Throttles failed sign-ins (the token endpoints' wrong client secrets, the Studio's bad codes and
 * tokens), per client id and per client address: a client that knows its secret never fails, so
 * never waits; a guesser is held to a few tries a minute. In this process's memory: several
 * processes sharing a store each allow their own budget.
 */
export class SignInThrottle {
  private readonly clients: FailureBuckets;
  private readonly addresses: FailureBuckets;

  constructor(limits: SignInLimits) {
    this.clients = new FailureBuckets(limits.failedSignInsPerClient);
    this.addresses = new FailureBuckets(limits.failedSignInsPerAddress);
  }

  /** Seconds the caller must wait before its next try (0: it may try now). */
  retryAfterS(address: string, clientId?: string, now = Date.now()): number {
    const byAddress = this.addresses.retryAfterS(addressKey(address), now);
    return clientId === undefined ? byAddress : Math.max(byAddress, this.clients.retryAfterS(clientId.toLowerCase(), now));
  }

  failed(address: string, clientId?: string, now = Date.now()): void {
    this.addresses.fail(addressKey(address), now);
    if (clientId !== undefined) this.clients.fail(clientId.toLowerCase(), now);
  }

  /** A client that proved its secret starts afresh; its address does not (an attacker with one valid secret must not reset its own address). */
  succeeded(clientId: string): void {
    this.clients.forget(clientId.toLowerCase());
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    signInThrottle: SignInThrottle;
  }
}
