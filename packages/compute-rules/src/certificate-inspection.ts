/**
 * What the TLS rules need to know of a PEM certificate and key. The package's
 * `#certificates` import picks the module that finds it out: `certificates-node.ts`
 * (`node:crypto`: parsed, key matched, names and dates read) by default, and
 * `certificates-browser.ts` under the `browser` condition, which only checks
 * the PEM blocks and leaves the rest to the server, which runs every check.
 */
export interface CertificateFacts {
  subject: string;
  validFrom: Date;
  validTo: Date;
  /** The names it serves, as a user reads them. */
  names: string;
  /** Undefined when no usable key was given. */
  keyMatches?: boolean;
  covers(host: string): boolean;
}

export interface CertificateInspection {
  /** Undefined when the certificate is unreadable, or where it cannot be read (a browser). */
  cert?: CertificateFacts;
  certInvalid: boolean;
  /** Why the key is refused, as the end of a sentence. */
  keyRefusal?: string;
}

export const ENCRYPTED_KEY = 'it is protected by a passphrase; give the key without a passphrase (e.g. `openssl pkey -in key.pem -out plain.pem`)';
