import { readFileSync } from 'node:fs';
import type { EnableSslOptions } from './aks-compute.js';

export interface SslPemFiles {
  sslCertPemFile: string;
  sslKeyPemFile: string;
  sslCname: string;
}

/**
 * `enableSsl` options from your certificate's and key's PEM files, as the
 * original's `enable_ssl(ssl_cert_pem_file=..., ssl_key_pem_file=..., ssl_cname=...)`.
 */
export function readSslPemFiles(files: SslPemFiles): EnableSslOptions {
  try {
    return { sslCertPem: readFileSync(files.sslCertPemFile, 'utf8'), sslKeyPem: readFileSync(files.sslKeyPemFile, 'utf8'), sslCname: files.sslCname };
  } catch (err) {
    throw new Error(`Cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
}
