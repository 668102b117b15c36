import ipaddr from 'ipaddr.js';

/** An IPv4 CIDR block as numbers, for overlap and allocation arithmetic. */
export interface Cidr {
  text: string;
  base: number;
  prefix: number;
  size: number;
}

function toInt(address: ipaddr.IPv4): number {
  return address.octets.reduce((n, o) => n * 256 + o, 0);
}

function fromInt(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parses `a.b.c.d/n` (IPv4); the base must be the network address. Undefined if invalid. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string' || !ipaddr.IPv4.isValidCIDR(text)) return undefined;
  const [address, prefix] = ipaddr.IPv4.parseCIDR(text);
  const size = 2 ** (32 - prefix);
  const base = toInt(address);
  if (base % size !== 0) return undefined;
  return { text, base, prefix, size };
}

export function isIPv4(text: string): boolean {
  return typeof text === 'string' && ipaddr.IPv4.isValidFourPartDecimal(text);
}

export function contains(cidr: Cidr, ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const n = toInt(ipaddr.IPv4.parse(ip));
  return n >= cidr.base && n < cidr.base + cidr.size;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

export function addressAt(cidr: Cidr, offset: number): string {
  return fromInt(cidr.base + offset);
}

export function offsetOf(cidr: Cidr, ip: string): number {
  return toInt(ipaddr.IPv4.parse(ip)) - cidr.base;
}

/** True when `range` is an IPv4/IPv6 address or CIDR, the forms AKS accepts for authorized IP ranges. */
export function isIpRange(range: string): boolean {
  return ipaddr.isValid(range) || ipaddr.isValidCIDR(range);
}

/** Whether a client address (IPv4-mapped IPv6 included) falls in any of the ranges. */
export function addressInRanges(address: string, ranges: string[]): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = ipaddr.process(address);
  return ranges.some((range) => {
    const [net, bits] = ipaddr.isValidCIDR(range) ? ipaddr.parseCIDR(range) : [ipaddr.process(range), ip.kind() === 'ipv4' ? 32 : 128];
    const normalized = net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() ? (net as ipaddr.IPv6).toIPv4Address() : net;
    return normalized.kind() === ip.kind() && ip.match(normalized, bits);
  });
}
