import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpsRequest } from '../../../test-support/berth.js';
import { berthProcesses, runBerth } from '../../../test-support/process.js';
import { berthAt, signIn } from '../../../test-support/principals.js';

const { tempHome, up } = berthProcesses('berth-sp-');

const SUBSCRIPTIONS = '/subscriptions?api-version=2020-01-01';

describe('berth ad sp', () => {
  it('create-for-rbac prints what az prints, list hides secrets, credential reset replaces the secret, delete removes the principal', async () => {
    const home = await tempHome();
    const p = await up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0']);
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');
    const subs = await httpsRequest(`${p.url}${SUBSCRIPTIONS}`, ca, 'GET', { token: (await readFile(join(home, 'token'), 'utf8')).trim() });
    const sub = subs.body.value[0].subscriptionId as string;
    const tenant = subs.body.value[0].tenantId as string;
    const tokenFor = (appId: string, secret: string) => signIn(berthAt(p.url, ca), appId, secret);

    const made = await runBerth(['ad', 'sp', 'create-for-rbac', '--home', home, '--name', 'ci', '--role', 'Contributor', '--scopes', `/subscriptions/${sub}`]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toContain('credentials that you must protect');
    const ci = JSON.parse(made.stdout) as { appId: string; displayName: string; password: string; tenant: string };
    expect(Object.keys(ci)).toEqual(['appId', 'displayName', 'password', 'tenant']);
    expect(ci).toMatchObject({ displayName: 'ci', tenant });
    expect(ci.appId).toMatch(/^[0-9a-f-]{36}$/);
    const token = await tokenFor(ci.appId, ci.password);
    expect(token.status, token.text).toBe(200);
    const write = await httpsRequest(`${p.url}/subscriptions/${sub}/resourcegroups/ci-rg?api-version=2021-04-01`, ca, 'PUT', {
      token: token.body.access_token,
      body: { location: 'westus' },
    });
    expect(write.status, write.text).toBe(201);

    // No --role: no role at all, as az does.
    const bare = await runBerth(['ad', 'sp', 'create-for-rbac', '--home', home, '--name', 'bare']);
    expect(bare.code, bare.stderr).toBe(0);
    const bareSp = JSON.parse(bare.stdout) as { appId: string; password: string };
    const bareToken = await tokenFor(bareSp.appId, bareSp.password);
    expect((await httpsRequest(`${p.url}${SUBSCRIPTIONS}`, ca, 'GET', { token: bareToken.body.access_token })).body.value).toEqual([]);

    const roleOnly = await runBerth(['ad', 'sp', 'create-for-rbac', '--home', home, '--name', 'x', '--role', 'Reader']);
    expect(roleOnly.code).toBe(2);
    expect(roleOnly.stderr).toContain('--scopes');
    const taken = await runBerth(['ad', 'sp', 'create-for-rbac', '--home', home, '--name', 'ci']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('ServicePrincipalNameInUse');

    const list = await runBerth(['ad', 'sp', 'list', '--home', home]);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as Array<{ appId: string; displayName: string; roles: Record<string, string> }>;
    expect(listed.map((s) => s.displayName)).toEqual(['ci', 'bare']);
    expect(listed[0]).toMatchObject({ appId: ci.appId, roles: { [sub]: 'Contributor' } });
    for (const secret of [ci.password, bareSp.password]) expect(list.stdout).not.toContain(secret);
    const table = await runBerth(['ad', 'sp', 'list', '--home', home, '-o', 'table']);
    expect(table.stdout).toMatch(/DisplayName\s+AppId\s+Roles/);
    expect(table.stdout).toContain(`Contributor on /subscriptions/${sub}`);

    const reset = await runBerth(['ad', 'sp', 'credential', 'reset', '--home', home, '--id', ci.appId]);
    expect(reset.code, reset.stderr).toBe(0);
    const resetOut = JSON.parse(reset.stdout) as { appId: string; password: string; tenant: string };
    expect(Object.keys(resetOut)).toEqual(['appId', 'password', 'tenant']);
    expect(resetOut).toMatchObject({ appId: ci.appId, tenant });
    const old = await tokenFor(ci.appId, ci.password);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    expect((await tokenFor(ci.appId, resetOut.password)).status).toBe(200);

    const deleted = await runBerth(['ad', 'sp', 'delete', '--home', home, '--id', ci.appId]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await tokenFor(ci.appId, resetOut.password)).status).toBe(401);
    const after = JSON.parse((await runBerth(['ad', 'sp', 'list', '--home', home])).stdout) as Array<{ displayName: string }>;
    expect(after.map((s) => s.displayName)).toEqual(['bare']);
    const again = await runBerth(['ad', 'sp', 'delete', '--home', home, '--id', ci.appId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('ServicePrincipalNotFound');
  });

  it('teaches with --help', async () => {
    const help = await runBerth(['ad', 'sp', 'create-for-rbac', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--scopes');
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('az login --service-principal');
  });
});
