// The HTTPS certificate, reloaded when its files change on disk: no restart, no dropped connection.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Server } from 'node:https';
import { log } from './log.js';

export interface CertPair {
  cert: string;
  key: string;
}

export function readCertPair(certFile: string, keyFile: string): CertPair {
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/**
 * Polls the two files every `intervalMs` and, when their contents change and make a valid pair, swaps the
 * server's secure context: new handshakes get the new certificate, open connections keep theirs. The paths
 * are read again each time, so Kubernetes' atomic `..data` symlink swap of a mounted Secret is picked up too.
 */
export function watchCertificate(server: Server, certFile: string, keyFile: string, current: CertPair, intervalMs: number): () => void {
  let last = current;
  // The last pair found invalid, not to log it again every interval.
  let rejected: CertPair | undefined;
  const timer = setInterval(() => {
    let next: CertPair;
    try {
      next = readCertPair(certFile, keyFile);
    } catch (err) {
      log('warn', 'cannot read the TLS certificate files; keeping the current ones', { error: String(err) });
      return;
    }
    if (next.cert === last.cert && next.key === last.key) return;
    if (rejected && next.cert === rejected.cert && next.key === rejected.key) return;
    try {
      // Validates the pair (a half-written file or a key that does not match throws) before the server uses it.
      createSecureContext(next);
      server.setSecureContext(next);
      last = next;
      log('info', 'reloaded the TLS certificate', { certFile });
    } catch (err) {
      rejected = next;
      log('warn', 'the changed TLS certificate files are not a valid pair yet; keeping the current ones', { error: String(err) });
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
