import { describe, expect, it } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { freshPostgresDatabase, httpsRequest, testStores } from '../../../test-support/berth.js';
import { berthProcesses, runBerth, type BerthProcess } from '../../../test-support/process.js';

const { tempHome, up, cleanup } = berthProcesses('berth-cli-');

async function homeFiles(home: string) {
  return { token: (await readFile(join(home, 'token'), 'utf8')).trim(), ca: await readFile(join(home, 'ca.pem'), 'utf8') };
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('berth up', () => {
  it('creates the CA, server certificate and admin token on first start, serves HTTPS, and reuses them later', async () => {
    const home = await tempHome();
    const first = await up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0']);
    expect(first.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(first.stdout()).toBe(`Berth is ready at ${first.url}\n`);
    expect(await mode(join(home, 'token'))).toBe(0o600);
    expect(await mode(join(home, 'ca-key.pem'))).toBe(0o600);
    expect(await mode(join(home, 'ca.pem'))).toBe(0o644);
    const { token, ca } = await homeFiles(home);

    const server = new X509Certificate(await readFile(join(home, 'server.pem')));
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.subjectAltName).toContain('DNS:localhost');
    expect(server.subjectAltName).toMatch(/IP Address:(0:0:0:0:0:0:0:1|::1)/);
    expect(server.verify(new X509Certificate(ca).publicKey)).toBe(true);

    const health = await httpsRequest(`${first.url}/healthz`, ca, 'GET');
    expect(health.body).toEqual({ status: 'ok' });
    const subs = await httpsRequest(`${first.url}/subscriptions?api-version=2020-01-01`, ca, 'GET', { token });
    expect(subs.body.value).toHaveLength(1);
    // A client that does not trust ca.pem is refused by TLS.
    await expect(fetch(`${first.url}/healthz`)).rejects.toThrow();

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });

    const second = await up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0']);
    const again = await homeFiles(home);
    expect(again).toEqual({ token, ca });
    const subsAgain = await httpsRequest(`${second.url}/subscriptions?api-version=2020-01-01`, ca, 'GET', { token });
    expect(subsAgain.body.value[0].subscriptionId).toBe(subs.body.value[0].subscriptionId);
  });

  it('finds its home through BERTH_HOME', async () => {
    const home = await tempHome();
    await up(['--port', '0'], { BERTH_HOME: home });
    expect((await homeFiles(home)).token).toMatch(/^berth_/);
  });

  it('explains a bad option and exits 2', async () => {
    const res = await runBerth(['up', '--port', 'eighty']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--port must be a whole number');
    const unknown = await runBerth(['up', '--colour', 'blue']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--colour'");
  });

  it('creates a Reader token with `berth token create` that reads but cannot write', async () => {
    const home = await tempHome();
    const p = await up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0']);
    const { ca } = await homeFiles(home);
    const created = await runBerth(['token', 'create', '--role', 'Reader', '--home', home]);
    expect(created.code).toBe(0);
    const expiry = /^Token 'reader-[\w-]+' expires at (\S+)\. Revoke it with: berth token revoke reader-[\w-]+\n$/.exec(created.stderr);
    expect(expiry, created.stderr).not.toBeNull();
    expect(Date.parse(expiry![1]) - Date.now()).toBeGreaterThan(89.9 * 86_400_000);
    const reader = created.stdout.trim();
    expect(reader).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
    const subs = await httpsRequest(`${p.url}/subscriptions?api-version=2020-01-01`, ca, 'GET', { token: reader });
    const sub = subs.body.value[0].subscriptionId;
    const write = await httpsRequest(`${p.url}/subscriptions/${sub}/resourcegroups/g?api-version=2021-04-01`, ca, 'PUT', {
      token: reader,
      body: { location: 'westus' },
    });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('AuthorizationFailed');

    // Tokens are stored hashed: the token itself is nowhere in the database file.
    const db = await readFile(join(home, 'berth.db'));
    expect(db.includes(Buffer.from(reader))).toBe(false);

    const scoped = await runBerth(['token', 'create', '--role', 'Contributor', '--subscription', sub], { BERTH_HOME: home });
    expect(scoped.code).toBe(0);
    const badRole = await runBerth(['token', 'create', '--role', 'God', '--home', home]);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('Allowed choices are Reader, Contributor, Owner');
  });

  it('says how to start Berth when none is running', async () => {
    const home = await tempHome();
    const res = await runBerth(['token', 'create', '--role', 'Reader', '--home', home]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^ERROR: No Berth found in .*berth up/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

describe.each(testStores())('crash safety on %s', (store) => {
  it('finishes an operation in flight after kill -9 and a restart', async () => {
    const home = await tempHome();
    const storeArgs: string[] = [];
    if (store === 'postgres') {
      const db = await freshPostgresDatabase();
      cleanup(db.drop);
      storeArgs.push('--store', db.url);
    }
    const args = ['--home', home, '--port', '0', '--provisioning-delay-ms', '1500', '--lease-ms', '1000', ...storeArgs];
    const first = await up(args);
    const { token, ca } = await homeFiles(home);
    const call = (p: BerthProcess, method: string, path: string, body?: unknown) => httpsRequest(`${p.url}${path}`, ca, method, { token, body });
    const sub = (await call(first, 'GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId;
    expect((await call(first, 'PUT', `/subscriptions/${sub}/resourcegroups/crash?api-version=2021-04-01`, { location: 'westus' })).status).toBe(201);
    const wsPath = `/subscriptions/${sub}/resourceGroups/crash/providers/Microsoft.MachineLearningServices/workspaces/survivor?api-version=2022-10-01`;
    const put = await call(first, 'PUT', wsPath, { location: 'westus' });
    expect(put.status).toBe(201);
    const statusPath = new URL(put.headers['azure-asyncoperation'] as string).pathname + '?api-version=2022-10-01';

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await up(args);
    const deadline = Date.now() + 20_000;
    let status = 'InProgress';
    while (status === 'InProgress' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(second, 'GET', statusPath)).body.status;
    }
    expect(status).toBe('Succeeded');
    expect((await call(second, 'GET', wsPath)).body.properties.provisioningState).toBe('Succeeded');
    // Its record of steps survives the crash: the one step, ended by the process that finished it.
    const { operations, endTime } = (await call(second, 'GET', statusPath)).body;
    expect(operations).toEqual([{ name: 'provision', status: 'Succeeded', startTime: expect.any(String), endTime }]);
  });
});

describe.runIf(process.env.BERTH_TEST_PG)('several berth up processes on one PostgreSQL', () => {
  it('share the work: an operation of a killed process is finished by the other one', async () => {
    const db = await freshPostgresDatabase();
    cleanup(db.drop);
    const homeA = await tempHome();
    const common = ['--port', '0', '--provisioning-delay-ms', '1500', '--lease-ms', '1000', '--store', db.url];
    const a = await up(['--home', homeA, ...common]);
    // B shares A's home folder (CA, token, master key) as replicas behind one address would.
    const b = await up(['--home', homeA, ...common]);
    const { token, ca } = await homeFiles(homeA);
    const call = (p: BerthProcess, method: string, path: string, body?: unknown) => httpsRequest(`${p.url}${path}`, ca, method, { token, body });
    const subsA = (await call(a, 'GET', '/subscriptions?api-version=2020-01-01')).body.value;
    const subsB = (await call(b, 'GET', '/subscriptions?api-version=2020-01-01')).body.value;
    expect(subsB).toEqual(subsA);
    const sub = subsA[0].subscriptionId;
    expect((await call(a, 'PUT', `/subscriptions/${sub}/resourcegroups/shared?api-version=2021-04-01`, { location: 'westus' })).status).toBe(201);
    const names = ['shared-1', 'shared-2', 'shared-3'];
    for (const name of names) {
      expect(
        (
          await call(
            a,
            'PUT',
            `/subscriptions/${sub}/resourceGroups/shared/providers/Microsoft.MachineLearningServices/workspaces/${name}?api-version=2022-10-01`,
            { location: 'westus' },
          )
        ).status,
      ).toBe(201);
    }
    a.child.kill('SIGKILL');
    await a.exited;
    const deadline = Date.now() + 20_000;
    for (const name of names) {
      let state = 'Creating';
      while (state !== 'Succeeded' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        state = (
          await call(
            b,
            'GET',
            `/subscriptions/${sub}/resourceGroups/shared/providers/Microsoft.MachineLearningServices/workspaces/${name}?api-version=2022-10-01`,
          )
        ).body.properties.provisioningState;
      }
      expect(state).toBe('Succeeded');
    }
  });
});
