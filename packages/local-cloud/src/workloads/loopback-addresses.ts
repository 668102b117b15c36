import { createHash } from 'node:crypto';

/** 127.128.0.0/9: pods' own addresses, apart from the 127.0.0.x Berth and its load balancers use. */
const BASE = (127 << 24) | (128 << 16);
const SIZE = 1 << 23;

const toIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** Hands out one loopback address per running pod: stable for a pod (from its uid) unless taken, never two alike. */
export class LoopbackAddresses {
  private readonly taken = new Set<string>();

  allocate(seed: string, preferred?: string): string {
    if (preferred && preferred.startsWith('127.') && !this.taken.has(preferred)) {
      this.taken.add(preferred);
      return preferred;
    }
    const start = createHash('sha256').update(seed).digest().readUInt32BE(0) % SIZE;
    for (let i = 0; i < SIZE; i++) {
      const offset = (start + i) % SIZE;
      // Skip addresses ending in .0 and .255: some tools take them for network or broadcast addresses.
      const ip = toIp(BASE + offset);
      if (ip.endsWith('.0') || ip.endsWith('.255') || this.taken.has(ip)) continue;
      this.taken.add(ip);
      return ip;
    }
    throw new Error('no loopback address left for a pod');
  }

  release(ip: string): void {
    this.taken.delete(ip);
  }
}
