import { webcrypto, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, id_ce_nameConstraints, NameConstraints } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. */
export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends KeyPairPem {
  /** The names its certificates may carry (its X.509 name constraints); undefined for a CA without any. */
  permitted?: PermittedNames;
  /** What loading it changed, for the log: set when its certificate was issued again with name constraints. */
  notice?: string;
  /** Issues a leaf certificate signed by this CA. */
  issue(request: LeafRequest): Promise<KeyPairPem>;
}

/** Names a CA may certify: DNS names (each with its subdomains) and IP ranges (CIDR). */
export interface PermittedNames {
  dnsNames: string[];
  ipRanges: string[];
}

const CA_NAME = 'CN=Berth local CA, O=Berth';
const LOOPBACK_RANGES = ['127.0.0.0/8', '::1/128'];
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

/**
 * What Berth issues certificates for, and so all its CA may certify: loopback and `localhost` (its HTTPS port, which
 * also serves the local clusters' Kubernetes APIs), the `--host` and `--public-url` hosts, and the zone of TLS Auto
 * certificates, `<label>######.<region>.cloudapp.<zone>` (R8).
 */
export function berthPermittedNames(o: { host?: string; publicUrl?: string; cloudappZone: string }): PermittedNames {
  const names: PermittedNames = { dnsNames: ['localhost', `cloudapp.${o.cloudappZone}`.toLowerCase()], ipRanges: [...LOOPBACK_RANGES] };
  const hosts = [o.host, o.publicUrl ? new URL(o.publicUrl).hostname.replace(/^\[|\]$/g, '') : undefined];
  for (const host of hosts) {
    if (!host || WILDCARD_HOSTS.has(host) || covers(names, host)) continue;
    if (isIP(host)) names.ipRanges.push(`${host}/${isIP(host) === 4 ? 32 : 128}`);
    else names.dnsNames.push(host.toLowerCase());
  }
  return names;
}

/** Whether a host name or address is within `names` (a DNS name within one of its subtrees, an address within one of its ranges). */
function covers(names: PermittedNames, host: string): boolean {
  const family = isIP(host);
  if (!family) {
    const name = host.toLowerCase();
    return names.dnsNames.some((d) => name === d || name.endsWith(`.${d}`));
  }
  const ranges = new BlockList();
  for (const range of names.ipRanges) {
    const [address, prefix] = range.split('/');
    ranges.addSubnet(address, Number(prefix), isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
  return ranges.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** Whether every name and range of `needed` lies within `permitted`. */
function coversAll(permitted: PermittedNames, needed: PermittedNames): boolean {
  return (
    needed.dnsNames.every((d) => covers(permitted, d)) &&
    needed.ipRanges.every((r) => permitted.ipRanges.includes(r) || (r.endsWith('/32') || r.endsWith('/128') ? covers(permitted, r.split('/')[0]) : false))
  );
}

const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];

function nameConstraintsExtension(names: PermittedNames): x509.Extension {
  const subtrees = [...names.dnsNames.map((dNSName) => new GeneralName({ dNSName })), ...names.ipRanges.map((iPAddress) => new GeneralName({ iPAddress }))].map(
    (base) => new GeneralSubtree({ base }),
  );
  const value = AsnConvert.serialize(new NameConstraints({ permittedSubtrees: new GeneralSubtrees(subtrees) }));
  // Critical, as RFC 5280 requires: a client that cannot enforce the constraints must refuse the CA rather than ignore them.
  return new x509.Extension(id_ce_nameConstraints, true, value);
}

function permittedNamesOf(cert: x509.X509Certificate): PermittedNames | undefined {
  const extension = cert.getExtension(id_ce_nameConstraints);
  const permitted = extension && AsnConvert.parse(extension.value, NameConstraints).permittedSubtrees;
  if (!permitted) return undefined;
  return {
    dnsNames: Array.from(permitted, (t) => t.base.dNSName?.toLowerCase()).filter((d) => d !== undefined),
    ipRanges: Array.from(permitted, (t) => t.base.iPAddress).filter((r) => r !== undefined),
  };
}

export interface LeafRequest {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  validityDays?: number;
  /** `server` (default) or `client` usage. */
  usage?: 'server' | 'client';
}

/** File names inside Berth's home folder. */
export const caFiles = {
  cert: 'ca.pem',
  key: 'ca-key.pem',
  serverCert: 'server.pem',
  serverKey: 'server-key.pem',
} as const;

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey));
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return (await webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), alg, true, ['sign'])) as unknown as CryptoKey;
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

function makeCa(certPem: string, keyPem: string, signingKey: CryptoKey): CertificateAuthority {
  const caCert = new x509.X509Certificate(certPem);
  return {
    certPem,
    keyPem,
    permitted: permittedNamesOf(caCert),
    async issue(request) {
      const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
      const now = Date.now();
      const names: x509.JsonGeneralName[] = [
        ...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
      ];
      const usage = request.usage ?? 'server';
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${request.commonName}`,
        issuer: caCert.subject,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + (request.validityDays ?? 397) * DAY_MS),
        signingAlgorithm: alg,
        publicKey: keys.publicKey,
        signingKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
          ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ],
      });
      return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
    },
  };
}

/** A self-signed CA certificate for `keys`; the same name and key as an earlier one verify everything that one signed. */
async function caCertificate(keys: CryptoKeyPair, permitted: PermittedNames | undefined, name = CA_NAME): Promise<string> {
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3650 * DAY_MS),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...(permitted ? [nameConstraintsExtension(permitted)] : []),
    ],
  });
  return cert.toString('pem') + '\n';
}

async function writeFileMode(path: string, data: string, mode: number): Promise<void> {
  await writeFile(path, data, { mode });
  // writeFile's mode only applies when it creates the file.
  await chmod(path, mode);
}

const describe = (names: PermittedNames) => [...names.dnsNames, ...names.ipRanges].join(', ');

/**
 * Loads the CA from `home`, creating it on first start (`ca.pem` readable, its key 0600), limited to the `permitted`
 * names when given (Berth's own CA: `berthPermittedNames`). An existing CA that is not limited to them (one made
 * before Berth had name constraints, or for other hosts) gets a new certificate over the same key, limited to them
 * and to what it was limited to before: everything it signed still verifies, and clients that take the new `ca.pem`
 * get the constraints.
 */
export async function loadOrCreateCa(home: string, options: { permitted?: PermittedNames } = {}): Promise<CertificateAuthority> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const certPath = join(home, caFiles.cert);
  const keyPath = join(home, caFiles.key);
  const needed = options.permitted;
  if (existsSync(certPath) && existsSync(keyPath)) {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const privateKey = await importKeyPem(keyPem);
    const ca = makeCa(certPem, keyPem, privateKey);
    const had = ca.permitted;
    if (!needed || (had && coversAll(had, needed))) return ca;
    const permitted = had ? { dnsNames: union(had.dnsNames, needed.dnsNames), ipRanges: union(had.ipRanges, needed.ipRanges) } : needed;
    const current = new x509.X509Certificate(certPem);
    const newCertPem = await caCertificate({ privateKey, publicKey: await current.publicKey.export(alg, ['verify']) }, permitted, current.subject);
    await writeFileMode(certPath, newCertPem, 0o644);
    return {
      ...makeCa(newCertPem, keyPem, privateKey),
      notice:
        `Berth's CA certificate ${certPath} was issued again, over the same key, with name constraints: it may certify only ${describe(permitted)}` +
        ` (${had ? `it was limited to ${describe(had)}` : 'it had no limit'}). Everything it signed still verifies; copies of the earlier ca.pem` +
        ` (in trust stores, kubeconfigs fetched before) trust it without these constraints until they are replaced with this one.`,
    };
  }
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const ca = makeCa(await caCertificate(keys, needed), await exportKeyPem(keys.privateKey), keys.privateKey);
  await writeFileMode(keyPath, ca.keyPem, 0o600);
  await writeFileMode(certPath, ca.certPem, 0o644);
  return ca;
}

const serverNames = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] };

function serverCertUsable(certPem: string, caPem: string, extraHost?: string): boolean {
  const cert = new X509Certificate(certPem);
  if (!cert.verify(new X509Certificate(caPem).publicKey)) return false;
  // Renew a month before expiry so a long-running server never serves an expired certificate.
  if (new Date(cert.validTo).getTime() - Date.now() < 30 * DAY_MS) return false;
  return extraHost === undefined || cert.checkHost(extraHost) !== undefined || cert.checkIP(extraHost) !== undefined;
}

/**
 * The front door's certificate (SANs 127.0.0.1, ::1, localhost, plus `host` when it is another name),
 * reused across starts while it is signed by this CA and not about to expire.
 */
export async function loadOrCreateServerCertificate(home: string, ca: CertificateAuthority, host?: string): Promise<KeyPairPem> {
  const certPath = join(home, caFiles.serverCert);
  const keyPath = join(home, caFiles.serverKey);
  const extraHost = host && !['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::'].includes(host) ? host : undefined;
  if (existsSync(certPath) && existsSync(keyPath)) {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    if (serverCertUsable(certPem, ca.certPem, extraHost)) return { certPem, keyPem };
  }
  const isIp = extraHost !== undefined && /^[\d.]+$|:/.test(extraHost);
  const issued = await ca.issue({
    commonName: 'Berth',
    dnsNames: [...serverNames.dnsNames, ...(extraHost && !isIp ? [extraHost] : [])],
    ipAddresses: [...serverNames.ipAddresses, ...(extraHost && isIp ? [extraHost] : [])],
  });
  await writeFileMode(keyPath, issued.keyPem, 0o600);
  await writeFileMode(certPath, issued.certPem, 0o644);
  return issued;
}
