import type { ComputeResource } from '@berth/sdk';
import { findVmSize } from '@berth/catalog';

/** Times in the user's locale and time zone. */
export function formatTime(iso: string | undefined | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export const purposeLabel = (p: string) => (p === 'DevTest' ? 'Dev-test' : 'Production');

export function vmSizeLabel(name: string): string {
  const s = findVmSize(name);
  return s ? `${s.name} (${s.vCPUs} vCPUs, ${s.memoryGiB} GiB${s.gpus ? `, ${s.gpus} GPU${s.gpus > 1 ? 's' : ''}` : ''})` : name;
}

/** The reason of a failed compute, from its provisioning errors. */
export function failureReason(c: ComputeResource): string | undefined {
  const errors = c.properties.provisioningErrors ?? [];
  return errors.length ? errors.map((e) => `${e.error.code}: ${e.error.message}`).join('\n') : undefined;
}

export function endpointOf(c: ComputeResource): string {
  const aks = c.properties.properties;
  const ip = aks.systemServices?.[0]?.publicIpAddress;
  return aks.clusterFqdn ?? ip ?? '';
}

export function tlsLabel(c: ComputeResource): string {
  const ssl = c.properties.properties.sslConfiguration;
  if (ssl.status === 'Auto') return `Auto (${ssl.leafDomainLabel ?? ''})`;
  if (ssl.status === 'Enabled') return `Custom (${ssl.cname ?? ''})`;
  return 'Off';
}

/** notAfter of a PEM certificate, read from its DER (the second UTCTime/GeneralizedTime of its validity), without a parser library. */
export function certificateExpiry(pem: string | undefined): Date | undefined {
  if (!pem) return undefined;
  const b64 = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1]?.replace(/\s+/g, '');
  if (!b64) return undefined;
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return undefined;
  }
  const times: string[] = [];
  for (let i = 0; i < bin.length - 2 && times.length < 2; i++) {
    const tag = bin.charCodeAt(i);
    const len = bin.charCodeAt(i + 1);
    if ((tag === 0x17 && len === 13) || (tag === 0x18 && len === 15)) {
      const text = bin.slice(i + 2, i + 2 + len);
      if (/^\d+Z$/.test(text)) {
        times.push(tag === 0x17 ? `${Number(text.slice(0, 2)) < 50 ? '20' : '19'}${text}` : text);
        i += 1 + len;
      }
    }
  }
  const t = times[1];
  if (!t) return undefined;
  return new Date(Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12), +t.slice(12, 14)));
}
