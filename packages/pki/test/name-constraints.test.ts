import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadOrCreateCa, loadOrCreateServerCertificate, type KeyPairPem, type LeafRequest } from '@berth/pki';
import { httpsRequest } from '../../../test-support/berth.js';
import { berthProcesses } from '../../../test-support/process.js';

const { tempHome, up } = berthProcesses('berth-pki-');
const run = promisify(execFile);

/** Node's TLS verdict on a server presenting `leaf` to a client trusting `caPem`: 'trusted', or OpenSSL's reason (Node's code for this one is UNSPECIFIED). */
async function nodeTls(leaf: KeyPairPem, caPem: string): Promise<string> {
  const server = createServer({ key: leaf.keyPem, cert: leaf.certPem }, (s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise<string>((resolve) => {
      // The chain alone: the host-name check (checkServerIdentity) would refuse a name that is not the address dialled.
      const socket = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port, ca: caPem, checkServerIdentity: () => undefined });
      socket.on('secureConnect', () => {
        resolve('trusted');
        socket.destroy();
      });
      socket.on('error', (err) => resolve(err.message));
    });
  } finally {
    server.close();
  }
}

/** `openssl verify`'s verdict: 'OK', or its error text. */
async function opensslVerify(leafPem: string, caPath: string, dir: string): Promise<string> {
  const leafPath = join(dir, 'leaf-under-test.pem');
  await writeFile(leafPath, leafPem);
  try {
    await run('openssl', ['verify', '-CAfile', caPath, leafPath]);
    return 'OK';
  } catch (err) {
    return (
      /error \d+ at \d+ depth lookup: ([^\n]+)/.exec((err as { stdout: string; stderr: string }).stderr + (err as { stdout: string }).stdout)?.[1] ??
      String(err)
    );
  }
}

const VIOLATION = 'permitted subtree violation';
const leaf = (name: string): LeafRequest => (/^[\d.:]+$/.test(name) ? { commonName: 'leaf', ipAddresses: [name] } : { commonName: name, dnsNames: [name] });

/** Names Berth issues certificates for (a new home, --public-url https://berth.example.test:8443), and names it never does. */
const INSIDE = ['localhost', '127.0.0.1', '127.200.0.7', '::1', 'contosoab12cd.westus.cloudapp.azure.com', 'berth.example.test'];
const OUTSIDE = ['evil.example.com', 'login.microsoftonline.com', 'cloudapp.azure.com.evil.example', 'localhost.evil.example', '10.0.0.1', '::2'];

describe("Berth's CA carries name constraints", () => {
  it('a new home: certificates for names outside loopback, localhost, the public URL and the cloudapp zone fail Node’s TLS and openssl verify', async () => {
    const home = await tempHome();
    const berth = await up(['--home', home, '--port', '0', '--public-url', 'https://berth.example.test:8443', '--no-run-workloads']);
    const caPath = join(home, 'ca.pem');
    const ca = await readFile(caPath, 'utf8');
    const text = (await run('openssl', ['x509', '-in', caPath, '-noout', '-text'])).stdout;
    expect(text).toContain('X509v3 Name Constraints: critical');
    expect(text.replace(/\s+/g, ' ')).toContain(
      'Permitted: DNS:localhost DNS:cloudapp.azure.com DNS:berth.example.test IP:127.0.0.0/255.0.0.0 IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF',
    );

    // Berth's own endpoint verifies with it (the control): through Node's TLS, and with openssl.
    expect((await httpsRequest(`${berth.url}/healthz`, ca, 'GET')).status).toBe(200);
    expect(await opensslVerify(await readFile(join(home, 'server.pem'), 'utf8'), caPath, home)).toBe('OK');

    // Whoever holds ca-key.pem signs what they like; clients trusting ca.pem take only Berth's names.
    const stolen = await loadOrCreateCa(home);
    for (const name of [...INSIDE, ...OUTSIDE]) {
      const issued = await stolen.issue(leaf(name));
      const expected = INSIDE.includes(name);
      expect(await nodeTls(issued, ca), name).toBe(expected ? 'trusted' : VIOLATION);
      expect(await opensslVerify(issued.certPem, caPath, home), name).toBe(expected ? 'OK' : VIOLATION);
    }
    expect(berth.stderr()).not.toContain('issued again');
  });

  it('an existing home’s CA without constraints gets a constrained certificate over the same key: nothing handed out breaks', async () => {
    const home = await tempHome();
    // A home folder as Berth made it before name constraints: its CA limits nothing.
    const before = await loadOrCreateCa(home);
    await loadOrCreateServerCertificate(home, before);
    const [oldCa, key, server] = await Promise.all(['ca.pem', 'ca-key.pem', 'server.pem'].map((f) => readFile(join(home, f), 'utf8')));
    const evil = await before.issue(leaf('evil.example.com'));
    expect(await nodeTls(evil, oldCa)).toBe('trusted');

    const first = await up(['--home', home, '--port', '0', '--no-run-workloads']);
    expect(first.stderr()).toContain(
      `Berth's CA certificate ${join(home, 'ca.pem')} was issued again, over the same key, with name constraints: it may certify only localhost, cloudapp.azure.com, 127.0.0.0/8, ::1/128 (it had no limit).`,
    );
    const newCa = await readFile(join(home, 'ca.pem'), 'utf8');
    expect(newCa).not.toBe(oldCa);
    expect(await readFile(join(home, 'ca-key.pem'), 'utf8')).toBe(key);
    expect(await readFile(join(home, 'server.pem'), 'utf8')).toBe(server);
    // Clients with either ca.pem reach Berth; only the new one refuses the forged certificate.
    expect((await httpsRequest(`${first.url}/healthz`, newCa, 'GET')).status).toBe(200);
    expect((await httpsRequest(`${first.url}/healthz`, oldCa, 'GET')).status).toBe(200);
    expect(await nodeTls(evil, newCa)).toBe(VIOLATION);
    first.child.kill('SIGTERM');
    await first.exited;

    // Started again the same way: nothing to change, nothing said.
    const second = await up(['--home', home, '--port', '0', '--no-run-workloads']);
    expect(second.stderr()).not.toContain('issued again');
    expect(await readFile(join(home, 'ca.pem'), 'utf8')).toBe(newCa);
    second.child.kill('SIGTERM');
    await second.exited;

    // A new --public-url host outside the constraints: they grow to hold it, and keep what they held.
    const third = await up(['--home', home, '--port', '0', '--no-run-workloads', '--public-url', 'https://berth.example.test']);
    expect(third.stderr()).toContain('it may certify only localhost, cloudapp.azure.com, berth.example.test, 127.0.0.0/8, ::1/128 (it was limited to');
    const grown = await readFile(join(home, 'ca.pem'), 'utf8');
    expect(await nodeTls(await before.issue(leaf('berth.example.test')), grown)).toBe('trusted');
    expect(await nodeTls(evil, grown)).toBe(VIOLATION);
    expect((await httpsRequest(`${third.url}/healthz`, grown, 'GET')).status).toBe(200);
  });
});
