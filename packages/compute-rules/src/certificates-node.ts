import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { ENCRYPTED_KEY, type CertificateInspection } from './certificate-inspection.js';

function parseKey(pem: string): KeyObject | string {
  if (/ENCRYPTED/.test(pem)) return ENCRYPTED_KEY;
  try {
    return createPrivateKey(pem);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MISSING_PASSPHRASE') return 'it is protected by a passphrase; give the key without a passphrase';
    return 'it is not a PEM private key';
  }
}

export function inspectCertificate(certPem: string | undefined, keyPem: string | undefined): CertificateInspection {
  let cert: X509Certificate | undefined;
  let certInvalid = false;
  if (certPem) {
    try {
      cert = new X509Certificate(certPem);
    } catch {
      certInvalid = true;
    }
  }
  const key = keyPem ? parseKey(keyPem) : undefined;
  const keyRefusal = typeof key === 'string' ? key : undefined;
  if (!cert) return { certInvalid, keyRefusal };
  const x509 = cert;
  return {
    certInvalid,
    keyRefusal,
    cert: {
      subject: x509.subject.replace(/\n/g, ', '),
      validFrom: new Date(x509.validFrom),
      validTo: new Date(x509.validTo),
      names: x509.subjectAltName ?? x509.subject,
      ...(key && typeof key !== 'string' ? { keyMatches: x509.checkPrivateKey(key) } : {}),
      covers: (host) => x509.checkHost(host) !== undefined,
    },
  };
}
