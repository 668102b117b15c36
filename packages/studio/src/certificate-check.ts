import type { ErrorDetail } from '@berth/sdk';

const T = 'properties.properties.sslConfiguration';
const WARN_DAYS = 30;

function pemBody(pem: string, label: RegExp): Uint8Array | undefined {
  const match = new RegExp(`-----BEGIN ${label.source}-----([\\s\\S]+?)-----END ${label.source}-----`).exec(pem);
  if (!match) return undefined;
  const bin = atob(match[1].replace(/\s+/g, ''));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A DER length prefix. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** PKCS#1 `RSA PRIVATE KEY` wrapped as PKCS#8, which WebCrypto imports. */
function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  const algorithm = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
  const octet = [0x04, ...derLength(pkcs1.length), ...pkcs1];
  const body = [0x02, 0x01, 0x00, ...algorithm, ...octet];
  return Uint8Array.from([0x30, ...derLength(body.length), ...body]);
}

/** Whether `host` is one of the names, a `*.` name covering one label. */
function covers(names: string[], host: string): boolean {
  const h = host.toLowerCase();
  return names.some((n) => {
    const name = n.toLowerCase();
    if (name.startsWith('*.')) {
      const rest = h.slice(h.indexOf('.') + 1);
      return h.includes('.') && rest === name.slice(2);
    }
    return name === h;
  });
}

/**
 * What the server's TLS rules (R8) check of an uploaded certificate that the synchronous browser rules
 * of @berth/compute-rules leave to it: dates, the CNAME among its names, and the key matching it. Run as
 * soon as files are chosen, with WebCrypto and @peculiar/x509 (loaded only then, off the initial bundle).
 * Answers nothing where it cannot tell (an unreadable PEM is reported by the rules themselves).
 */
export async function certificateProblems(
  certPem: string,
  keyPem: string,
  cname: string,
  now = new Date(),
): Promise<{ problems: ErrorDetail[]; warnings: string[] }> {
  const problems: ErrorDetail[] = [];
  const warnings: string[] = [];
  if (!certPem) return { problems, warnings };
  const x509 = await import('@peculiar/x509');
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch {
    return { problems, warnings };
  }
  const to = cert.notAfter;
  const from = cert.notBefore;
  if (to < now) problems.push({ code: 'CertificateExpired', target: `${T}.cert`, message: `The certificate expired on ${to.toISOString()}; renew it.` });
  else if (from > now)
    problems.push({ code: 'CertificateNotYetValid', target: `${T}.cert`, message: `The certificate is not valid before ${from.toISOString()}.` });
  else if (to.getTime() - now.getTime() < WARN_DAYS * 86_400_000) {
    warnings.push(`The TLS certificate expires on ${to.toISOString()}, in less than ${WARN_DAYS} days; renew it soon.`);
  }
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const dnsNames = (san?.names.items ?? []).filter((n) => n.type === 'dns').map((n) => n.value);
  const commonName = /(?:^|,\s*)CN=([^,]+)/.exec(cert.subject)?.[1];
  const names = dnsNames.length ? dnsNames : commonName ? [commonName] : [];
  if (cname.trim() && !covers(names, cname.trim())) {
    problems.push({
      code: 'CnameNotInCertificate',
      target: `${T}.cname`,
      message: `The certificate does not cover '${cname.trim()}'; its names are: ${names.join(', ')}.`,
    });
  }
  const keyDer = pemBody(keyPem, /PRIVATE KEY/) ?? (pemBody(keyPem, /RSA PRIVATE KEY/) && pkcs1ToPkcs8(pemBody(keyPem, /RSA PRIVATE KEY/)!));
  if (keyDer) {
    try {
      const algorithm = cert.publicKey.algorithm as RsaHashedImportParams | EcKeyImportParams;
      const usage: KeyUsage[] = ['sign'];
      const importAs =
        algorithm.name === 'ECDSA'
          ? { name: 'ECDSA', namedCurve: (algorithm as EcKeyImportParams).namedCurve }
          : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      const [privateJwk, publicJwk] = await Promise.all([
        crypto.subtle.importKey('pkcs8', keyDer as BufferSource, importAs, true, usage).then((k) => crypto.subtle.exportKey('jwk', k)),
        cert.publicKey.export(importAs, ['verify']).then((k) => crypto.subtle.exportKey('jwk', k)),
      ]);
      const same =
        importAs.name === 'ECDSA' ? privateJwk.x === publicJwk.x && privateJwk.y === publicJwk.y : privateJwk.n === publicJwk.n && privateJwk.e === publicJwk.e;
      if (!same) {
        problems.push({
          code: 'KeyDoesNotMatchCertificate',
          target: `${T}.key`,
          message: `The private key does not match the certificate (subject ${cert.subject}); give the key the certificate was issued for.`,
        });
      }
    } catch {
      // A key WebCrypto cannot read as the certificate's kind: the server decides, when the form is sent.
    }
  }
  return { problems, warnings };
}
