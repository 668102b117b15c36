import { createHash, randomInt } from 'node:crypto';

/** The first `bytes` bytes of a SHA-256, in hex: stable names and numbers derived from text. */
export const hash = (text: string, bytes = 4) =>
  createHash('sha256')
    .update(text)
    .digest('hex')
    .slice(0, bytes * 2);
export const hashInt = (text: string) => parseInt(hash(text), 16);

/** The characters of Kubernetes' rand.SafeEncodeString: no vowels (so no words) and no look-alikes. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * JSON with object keys sorted and null members left out, so that templates equal
 * as Kubernetes decodes them hash alike (clients send `creationTimestamp: null`
 * in a template, as `kubectl rollout undo` does, where others send nothing).
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The `pod-template-hash` of a pod template, spelled as Kubernetes spells it: the
 * decimal digits of a 32-bit hash, each safe-encoded (so `7d8b49557c`-like).
 */
export function podTemplateHash(template: unknown): string {
  const digits = String(hashInt(canonicalJson(template)));
  return [...digits].map((d) => SAFE_ALPHABET[d.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** What the API server appends to a generateName: five random safe characters. */
export const randomSuffix = () => Array.from({ length: 5 }, () => SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)]).join('');
