import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freshPostgresDatabase, httpsRequest } from '../../../test-support/berth.js';
import { berthProcesses, runBerth } from '../../../test-support/process.js';

const { tempHome, up, cleanup } = berthProcesses('berth-tokens-');

const SUBSCRIPTIONS = '/subscriptions?api-version=2020-01-01';

/** Creates a token through the CLI; answers it and the expiry the CLI printed. */
async function createToken(home: string, args: string[]): Promise<{ token: string; expiresAt: number }> {
  const made = await runBerth(['token', 'create', '--home', home, ...args]);
  expect(made.code, made.stderr).toBe(0);
  const expiresAt = /expires at (\S+)\./.exec(made.stderr);
  expect(expiresAt, made.stderr).not.toBeNull();
  return { token: made.stdout.trim(), expiresAt: Date.parse(expiresAt![1]) };
}

/** Polls `url` with `token` every 50 ms until it answers 401; answers when that was. */
async function refusedAt(url: string, ca: string, token: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await httpsRequest(`${url}${SUBSCRIPTIONS}`, ca, 'GET', { token });
    if (res.status === 401) {
      expect(res.body.error.code).toBe('InvalidAuthenticationToken');
      return Date.now();
    }
    expect(res.status).toBe(200);
    if (Date.now() > deadline) throw new Error(`the token was still accepted after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('berth token create, list and revoke', () => {
  it('lists tokens without their secrets, honours --expires-in, and revokes by name', async () => {
    const home = await tempHome();
    const p = await up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0']);
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');

    const ci = await createToken(home, ['--role', 'Contributor', '--name', 'ci', '--expires-in', '30d']);
    expect(ci.expiresAt - Date.now()).toBeGreaterThan(29.99 * 86_400_000);
    expect(ci.expiresAt - Date.now()).toBeLessThan(30.01 * 86_400_000);
    const reader = await createToken(home, ['--role', 'Reader', '--name', 'audit']);
    expect(reader.expiresAt - Date.now()).toBeGreaterThan(89.99 * 86_400_000);

    const list = await runBerth(['token', 'list', '--home', home]);
    expect(list.code, list.stderr).toBe(0);
    const tokens = JSON.parse(list.stdout) as Array<{ name: string; roles: Record<string, string>; createdAt: string; expiresAt: string | null }>;
    expect(tokens.map((t) => t.name)).toEqual(['admin', 'ci', 'audit']);
    expect(tokens[0]).toMatchObject({ roles: { '*': 'Owner' }, expiresAt: null });
    expect(tokens[1]).toMatchObject({ roles: { '*': 'Contributor' } });
    expect(Date.parse(tokens[1].expiresAt!)).toBe(ci.expiresAt);
    const adminToken = (await readFile(join(home, 'token'), 'utf8')).trim();
    for (const secret of [ci.token, reader.token, adminToken]) expect(list.stdout).not.toContain(secret);
    const table = await runBerth(['token', 'list', '--home', home, '-o', 'table']);
    expect(table.stdout).toMatch(/Name\s+Role\s+Scope\s+Created\s+Expires/);
    expect(table.stdout).toMatch(/admin\s+Owner\s+every subscription\s+\S+\s+never/);

    const taken = await runBerth(['token', 'create', '--home', home, '--role', 'Reader', '--name', 'ci']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('TokenNameInUse');
    const badDuration = await runBerth(['token', 'create', '--home', home, '--role', 'Reader', '--expires-in', '30 days']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('--expires-in takes a number and a unit');

    expect((await httpsRequest(`${p.url}${SUBSCRIPTIONS}`, ca, 'GET', { token: ci.token })).status).toBe(200);
    const revoked = await runBerth(['token', 'revoke', 'ci', '--home', home]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = Date.now();
    expect((await refusedAt(p.url, ca, ci.token, 2000)) - after).toBeLessThan(1000);
    expect((await httpsRequest(`${p.url}${SUBSCRIPTIONS}`, ca, 'GET', { token: reader.token })).status).toBe(200);

    const unknown = await runBerth(['token', 'revoke', 'ci', '--home', home]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('TokenNotFound');
    const admin = await runBerth(['token', 'revoke', 'admin', '--home', home]);
    expect(admin.code).toBe(1);
    expect(admin.stderr).toContain('CannotRevokeAdminToken');
    const byReader = await httpsRequest(`${p.url}/berth/tokens/audit`, ca, 'DELETE', { token: reader.token });
    expect(byReader.status).toBe(404);
    expect((await httpsRequest(`${p.url}${SUBSCRIPTIONS}`, ca, 'GET', { token: reader.token })).status).toBe(200);
  });

  it('refuses an expired token within a second of its expiry', async () => {
    const home = await tempHome();
    const p = await up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0']);
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');
    const short = await createToken(home, ['--role', 'Reader', '--expires-in', '5s']);
    expect(Date.now()).toBeLessThan(short.expiresAt);
    const refused = await refusedAt(p.url, ca, short.token, 10_000);
    expect(refused).toBeGreaterThanOrEqual(short.expiresAt - 50);
    expect(refused - short.expiresAt).toBeLessThan(1000);
  });
});

describe.runIf(process.env.BERTH_TEST_PG)('tokens across several berth up processes on one PostgreSQL', () => {
  it('a token revoked or expired through one process is refused by the other within a second', async () => {
    const db = await freshPostgresDatabase();
    cleanup(db.drop);
    const home = await tempHome();
    const common = ['--home', home, '--port', '0', '--provisioning-delay-ms', '0', '--store', db.url];
    const a = await up(common);
    const b = await up(common);
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');

    const shared = await createToken(home, ['--role', 'Reader', '--name', 'shared']);
    for (const p of [a, b]) expect((await httpsRequest(`${p.url}${SUBSCRIPTIONS}`, ca, 'GET', { token: shared.token })).status).toBe(200);
    // The CLI talks to the process that started last (B); A must see the revocation through the store.
    const revoked = await runBerth(['token', 'revoke', 'shared', '--home', home]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = Date.now();
    expect((await refusedAt(a.url, ca, shared.token, 2000)) - after).toBeLessThan(1000);

    const short = await createToken(home, ['--role', 'Reader', '--name', 'short', '--expires-in', '5s']);
    expect(Date.now()).toBeLessThan(short.expiresAt);
    const [refusedByA, refusedByB] = await Promise.all([refusedAt(a.url, ca, short.token, 10_000), refusedAt(b.url, ca, short.token, 10_000)]);
    for (const refused of [refusedByA, refusedByB]) {
      expect(refused).toBeGreaterThanOrEqual(short.expiresAt - 50);
      expect(refused - short.expiresAt).toBeLessThan(1000);
    }
  });
});
