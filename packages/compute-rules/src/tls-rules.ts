import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { ArmErrorDetail } from '@berth/arm';
import type { SslConfiguration } from './compute-request.js';

const LEAF_LABEL = /^[a-z][a-z0-9-]{0,55}[a-z0-9]$|^[a-z]$/;
const WARN_DAYS = 30;

export interface TlsCheck {
  problems: ArmErrorDetail[];
  warnings: string[];
}

/** R9, and why. */
export function tlsWithInternalLoadBalancer(target: string): ArmErrorDetail {
  return {
    code: 'TlsWithInternalLoadBalancer',
    target,
    message: 'TLS termination is not supported with an internal load balancer (R9): the front end would get a private address, possibly on another network, that the certificate cannot be checked against. Use loadBalancerType PublicIp with TLS, or an internal load balancer without TLS.',
  };
}

function isOn(ssl?: SslConfiguration): boolean {
  return ssl?.status === 'Enabled' || ssl?.status === 'Auto';
}

function parseKey(pem: string): KeyObject | string {
  if (/ENCRYPTED/.test(pem)) return 'it is protected by a passphrase; give the key without a passphrase (e.g. `openssl pkey -in key.pem -out plain.pem`)';
  try {
    return createPrivateKey(pem);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MISSING_PASSPHRASE') return 'it is protected by a passphrase; give the key without a passphrase';
    return 'it is not a PEM private key';
  }
}

/**
 * R8/R9: TLS settings. `Auto` needs a leaf domain label; `Enabled` needs a
 * certificate, its key and a cname, checked together: both PEM, the key
 * matching, valid now (a warning within 30 days of expiry), the cname among the
 * certificate's names. TLS is refused with an internal load balancer.
 */
export function checkTls(ssl: SslConfiguration | undefined, loadBalancerType: string, target: string, now = new Date()): TlsCheck {
  const problems: ArmErrorDetail[] = [];
  const warnings: string[] = [];
  if (!isOn(ssl)) return { problems, warnings };
  const p = (code: string, field: string, message: string) => problems.push({ code, target: `${target}.${field}`, message });
  if (loadBalancerType === 'InternalLoadBalancer') problems.push(tlsWithInternalLoadBalancer(target));
  if (ssl!.status === 'Auto') {
    const label = ssl!.leafDomainLabel ?? '';
    if (!label) p('MissingLeafDomainLabel', 'leafDomainLabel', "sslConfiguration status Auto needs a leafDomainLabel (e.g. 'contoso'); Berth issues a certificate for <label>######.<region>.cloudapp.<zone>.");
    else if (!LEAF_LABEL.test(label)) p('InvalidLeafDomainLabel', 'leafDomainLabel', `The leaf domain label '${label}' is invalid: use 1 to 57 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit.`);
    return { problems, warnings };
  }
  const { cert: certPem, key: keyPem, cname } = ssl!;
  if (!certPem) p('MissingCertificate', 'cert', 'sslConfiguration status Enabled needs cert (the PEM certificate).');
  if (!keyPem) p('MissingKey', 'key', 'sslConfiguration status Enabled needs key (the PEM private key).');
  if (!cname) p('MissingCname', 'cname', 'sslConfiguration status Enabled needs cname (the domain name the certificate serves).');
  let cert: X509Certificate | undefined;
  if (certPem) {
    try {
      cert = new X509Certificate(certPem);
    } catch {
      p('InvalidCertificate', 'cert', 'The certificate is not a PEM X.509 certificate (-----BEGIN CERTIFICATE-----).');
    }
  }
  const key = keyPem ? parseKey(keyPem) : undefined;
  if (typeof key === 'string') p('InvalidKey', 'key', `The private key is refused: ${key}.`);
  if (cert) {
    if (key && typeof key !== 'string' && !cert.checkPrivateKey(key)) {
      p('KeyDoesNotMatchCertificate', 'key', `The private key does not match the certificate (subject ${cert.subject.replace(/\n/g, ', ')}); give the key the certificate was issued for.`);
    }
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (to < now) p('CertificateExpired', 'cert', `The certificate expired on ${to.toISOString()}; renew it.`);
    else if (from > now) p('CertificateNotYetValid', 'cert', `The certificate is not valid before ${from.toISOString()}.`);
    else if (to.getTime() - now.getTime() < WARN_DAYS * 86_400_000) {
      warnings.push(`The TLS certificate expires on ${to.toISOString()}, in less than ${WARN_DAYS} days; renew it soon.`);
    }
    if (cname && cert.checkHost(cname) === undefined) {
      p('CnameNotInCertificate', 'cname', `The certificate does not cover '${cname}'; its names are: ${cert.subjectAltName ?? cert.subject}.`);
    }
  }
  return { problems, warnings };
}
