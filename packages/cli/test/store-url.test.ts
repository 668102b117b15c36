import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freshPostgresDatabase, httpsRequest } from '../../../test-support/berth.js';
import { berthProcesses, runBerth, type BerthProcess } from '../../../test-support/process.js';

const { tempHome, up, cleanup } = berthProcesses('berth-store-');
const RG = 'api-version=2021-04-01';

/** What every user of the machine sees of a process in `ps`: its command line. */
const commandLine = async (p: BerthProcess) => (await readFile(`/proc/${p.child.pid}/cmdline`, 'utf8')).split('\0').join(' ');

async function adminOf(home: string) {
  return { token: (await readFile(join(home, 'token'), 'utf8')).trim(), ca: await readFile(join(home, 'ca.pem'), 'utf8') };
}

/** Stops `berth up` (its clean exit on SIGTERM is berth-up.test.ts's to check). */
async function stop(p: BerthProcess): Promise<void> {
  p.child.kill('SIGTERM');
  await p.exited;
}

describe('berth up: the store URL from BERTH_STORE or --store-file, not only the command line', () => {
  it('--help says where the store URL may come from, and why not --store for a password', async () => {
    const help = await runBerth(['up', '--help']);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('env BERTH_STORE. A password here shows in the process list: give such a URL in BERTH_STORE or --store-file');
    expect(text).toContain('--store-file <path> a file holding the store URL (keep it private: chmod 600)');
  });

  it('BERTH_STORE names a SQLite file (the control: without it, <home>/berth.db)', async () => {
    const home = await tempHome();
    const dir = await tempHome();
    const custom = join(dir, 'custom.db');
    const p = await up(['--home', home, '--port', '0', '--no-run-workloads'], { BERTH_STORE: custom });
    expect(existsSync(custom)).toBe(true);
    expect(existsSync(join(home, 'berth.db'))).toBe(false);
    await stop(p);
    await up(['--home', home, '--port', '0', '--no-run-workloads']);
    expect(existsSync(join(home, 'berth.db'))).toBe(true);
  });

  it('explains a --store-file it cannot use, and exits 2', async () => {
    const dir = await tempHome();
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n');
    const good = join(dir, 'store-url');
    await writeFile(good, join(dir, 'x.db'));
    await mkdir(join(dir, 'folder'));
    const cases: [string[], string][] = [
      [['--store-file', join(dir, 'missing')], `Cannot read the store URL from ${join(dir, 'missing')}: there is no such file.`],
      [['--store-file', join(dir, 'folder')], `Cannot read the store URL from ${join(dir, 'folder')}: it is a folder.`],
      [['--store-file', empty], `${empty} must hold the store URL (a SQLite file path or a postgres://... URL) on one line.`],
      [['--store', join(dir, 'y.db'), '--store-file', good], "option '--store <url>' cannot be used with option '--store-file <path>'"],
    ];
    for (const [args, message] of cases) {
      const res = await runBerth(['up', '--home', join(dir, 'home'), '--port', '0', ...args]);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain(message);
      expect(res.stdout).toBe('');
    }
    // Nothing was started or made.
    expect(existsSync(join(dir, 'home'))).toBe(false);
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  });

  it('a password in --store: still accepted, with a warning naming BERTH_STORE and --store-file', async () => {
    // Port 1 refuses at once: what matters is what berth up says before it reaches the store.
    for (const store of ['postgres://berth:hunter2@127.0.0.1:1/berth', 'postgres://berth@127.0.0.1:1/berth?password=hunter2']) {
      const res = await runBerth(['up', '--home', await tempHome(), '--port', '0', '--store', store]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(
        'WARNING: --store holds a password, which every user of this machine can read in the process list (ps). Put the URL in BERTH_STORE, or in a file only you can read with --store-file <path>.',
      );
      expect(res.stderr).not.toContain('hunter2');
    }
    const none = await runBerth(['up', '--home', await tempHome(), '--port', '0', '--store', 'postgres://berth@127.0.0.1:1/berth']);
    expect(none.stderr).not.toContain('WARNING');
  });

  describe.skipIf(!process.env.BERTH_TEST_PG)('on PostgreSQL', () => {
    it('BERTH_STORE and --store-file reach the same database, and keep its password out of the process list', async () => {
      const db = await freshPostgresDatabase();
      cleanup(() => db.drop());
      const url = new URL(db.url);
      url.username ||= 'postgres';
      // This server trusts loopback connections, so any password works; a real one would be checked.
      url.password = 'pg-secret-4711';
      const home = await tempHome();

      const fromEnv = await up(['--home', home, '--port', '0', '--no-run-workloads'], { BERTH_STORE: url.toString() });
      const { token, ca } = await adminOf(home);
      const sub = (await httpsRequest(`${fromEnv.url}/subscriptions?api-version=2020-01-01`, ca, 'GET', { token })).body.value[0].subscriptionId;
      const created = await httpsRequest(`${fromEnv.url}/subscriptions/${sub}/resourcegroups/from-env?${RG}`, ca, 'PUT', {
        token,
        body: { location: 'westus' },
      });
      expect(created.status, created.text).toBe(201);
      expect(await commandLine(fromEnv)).not.toContain('pg-secret-4711');
      expect(fromEnv.stderr()).not.toContain('WARNING');
      expect(existsSync(join(home, 'berth.db'))).toBe(false);
      await stop(fromEnv);

      const file = join(await tempHome(), 'store-url');
      await writeFile(file, `${url.toString()}\n`, { mode: 0o600 });
      const fromFile = await up(['--home', home, '--port', '0', '--no-run-workloads', '--store-file', file]);
      expect((await httpsRequest(`${fromFile.url}/subscriptions/${sub}/resourcegroups/from-env?${RG}`, ca, 'GET', { token })).status).toBe(200);
      expect(await commandLine(fromFile)).not.toContain('pg-secret-4711');
      expect(fromFile.stderr()).not.toContain('WARNING');
      await stop(fromFile);

      // The control: without either, the home folder's SQLite store, which has no such group.
      const sqlite = await up(['--home', home, '--port', '0', '--no-run-workloads']);
      expect((await httpsRequest(`${sqlite.url}/subscriptions/${sub}/resourcegroups/from-env?${RG}`, ca, 'GET', { token })).status).toBe(404);
      await stop(sqlite);

      // On the command line it still works, with the warning, and ps shows the password.
      const fromArgv = await up(['--home', home, '--port', '0', '--no-run-workloads', '--store', url.toString()]);
      expect((await httpsRequest(`${fromArgv.url}/subscriptions/${sub}/resourcegroups/from-env?${RG}`, ca, 'GET', { token })).status).toBe(200);
      expect(await commandLine(fromArgv)).toContain('pg-secret-4711');
      expect(fromArgv.stderr()).toContain('WARNING: --store holds a password');
    });
  });
});
