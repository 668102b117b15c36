import { webcrypto, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
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
  /** Issues a leaf certificate signed by this CA. */
  issue(request: LeafRequest): Promise<KeyPairPem>;
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

async function createCa(): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Berth local CA, O=Berth',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3650 * DAY_MS),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  return makeCa(certPem, await exportKeyPem(keys.privateKey), keys.privateKey);
}

async function writeFileMode(path: string, data: string, mode: number): Promise<void> {
  await writeFile(path, data, { mode });
  // writeFile's mode only applies when it creates the file.
  await chmod(path, mode);
}

/** Loads the CA from `home`, creating it on first start (`ca.pem` readable, its key 0600). */
export async function loadOrCreateCa(home: string): Promise<CertificateAuthority> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const certPath = join(home, caFiles.cert);
  const keyPath = join(home, caFiles.key);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return makeCa(certPem, keyPem, await importKeyPem(keyPem));
  }
  const ca = await createCa();
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
