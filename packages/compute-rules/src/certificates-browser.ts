import { ENCRYPTED_KEY, type CertificateInspection } from './certificate-inspection.js';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
const KEY_BLOCK = /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----/;

/** A browser has no synchronous X.509 parser: only the PEM blocks are checked here, the server checks the rest. */
export function inspectCertificate(certPem: string | undefined, keyPem: string | undefined): CertificateInspection {
  let keyRefusal: string | undefined;
  if (keyPem && /ENCRYPTED/.test(keyPem)) keyRefusal = ENCRYPTED_KEY;
  else if (keyPem && !KEY_BLOCK.test(keyPem)) keyRefusal = 'it is not a PEM private key';
  return { certInvalid: !!certPem && !CERT_BLOCK.test(certPem), keyRefusal };
}
