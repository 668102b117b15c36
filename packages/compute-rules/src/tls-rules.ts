import { inspectCertificate } from '#certificates';
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
    message:
      'TLS termination is not supported with an internal load balancer (R9): the front end would get a private address, possibly on another network, that the certificate cannot be checked against. Use loadBalancerType PublicIp with TLS, or an internal load balancer without TLS.',
  };
}

function isOn(ssl?: SslConfiguration): boolean {
  return ssl?.status === 'Enabled' || ssl?.status === 'Auto';
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
    if (!label)
      p(
        'MissingLeafDomainLabel',
        'leafDomainLabel',
        "sslConfiguration status Auto needs a leafDomainLabel (e.g. 'contoso'); Berth issues a certificate for <label>######.<region>.cloudapp.<zone>.",
      );
    else if (!LEAF_LABEL.test(label))
      p(
        'InvalidLeafDomainLabel',
        'leafDomainLabel',
        `The leaf domain label '${label}' is invalid: use 1 to 57 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit.`,
      );
    return { problems, warnings };
  }
  const { cert: certPem, key: keyPem, cname } = ssl!;
  if (!certPem) p('MissingCertificate', 'cert', 'sslConfiguration status Enabled needs cert (the PEM certificate).');
  if (!keyPem) p('MissingKey', 'key', 'sslConfiguration status Enabled needs key (the PEM private key).');
  if (!cname) p('MissingCname', 'cname', 'sslConfiguration status Enabled needs cname (the domain name the certificate serves).');
  const { cert, certInvalid, keyRefusal } = inspectCertificate(certPem ?? undefined, keyPem ?? undefined);
  if (certInvalid) p('InvalidCertificate', 'cert', 'The certificate is not a PEM X.509 certificate (-----BEGIN CERTIFICATE-----).');
  if (keyRefusal) p('InvalidKey', 'key', `The private key is refused: ${keyRefusal}.`);
  if (cert) {
    if (cert.keyMatches === false) {
      p(
        'KeyDoesNotMatchCertificate',
        'key',
        `The private key does not match the certificate (subject ${cert.subject}); give the key the certificate was issued for.`,
      );
    }
    const { validFrom: from, validTo: to } = cert;
    if (to < now) p('CertificateExpired', 'cert', `The certificate expired on ${to.toISOString()}; renew it.`);
    else if (from > now) p('CertificateNotYetValid', 'cert', `The certificate is not valid before ${from.toISOString()}.`);
    else if (to.getTime() - now.getTime() < WARN_DAYS * 86_400_000) {
      warnings.push(`The TLS certificate expires on ${to.toISOString()}, in less than ${WARN_DAYS} days; renew it soon.`);
    }
    if (cname && !cert.covers(cname)) {
      p('CnameNotInCertificate', 'cname', `The certificate does not cover '${cname}'; its names are: ${cert.names}.`);
    }
  }
  return { problems, warnings };
}
