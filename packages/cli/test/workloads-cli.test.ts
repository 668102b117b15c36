import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { berthProcesses, runBerth } from '../../../test-support/process.js';

/** GET a local endpoint: its status, or 'closed' when nothing answers. */
function probe(url: string): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
      .on('error', () => resolve('closed'));
  });
}

describe('berth up runs the front end (and --no-run-workloads does not)', () => {
  const procs = berthProcesses('berth-workloads-cli-');

  async function computeOn(args: string[]): Promise<{ env: NodeJS.ProcessEnv; home: string }> {
    const home = await procs.tempHome();
    await procs.up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0', ...args]);
    const env = { BERTH_HOME: home };
    for (const cmd of [
      ['group', 'create', '-n', 'rg', '-l', 'westus'],
      ['ml', 'workspace', 'create', '-w', 'myws', '-g', 'rg'],
      ['ml', 'computetarget', 'create', 'aks', '-n', 'myaks', '-g', 'rg', '-w', 'myws', '--cluster-purpose', 'DevTest'],
    ]) {
      const res = await runBerth(cmd, env);
      expect(res.code, res.stderr).toBe(0);
    }
    return { env, home };
  }

  it('prints the local endpoints in `computetarget show`, and they answer', async () => {
    const { env } = await computeOn([]);
    const tsv = await runBerth(
      [
        'ml',
        'computetarget',
        'show',
        '-n',
        'myaks',
        '-g',
        'rg',
        '-w',
        'myws',
        '--query',
        'properties.properties.systemServices[0].localEndpoints',
        '-o',
        'tsv',
      ],
      env,
    );
    expect(tsv.code, tsv.stderr).toBe(0);
    const url = tsv.stdout.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const table = await runBerth(['ml', 'computetarget', 'show', '-n', 'myaks', '-g', 'rg', '-w', 'myws', '-o', 'table'], env);
    expect(table.stdout).toMatch(/LocalEndpoints/);
    expect(table.stdout).toContain(url);
    expect(await probe(`${url}/readyz`)).toBe(200);
  });

  it('with --no-run-workloads the compute still succeeds on simulated readiness, and nothing answers', async () => {
    const { env } = await computeOn(['--no-run-workloads']);
    const show = await runBerth(['ml', 'computetarget', 'show', '-n', 'myaks', '-g', 'rg', '-w', 'myws'], env);
    const compute = JSON.parse(show.stdout);
    expect(compute.properties.provisioningState).toBe('Succeeded');
    const [url] = compute.properties.properties.systemServices[0].localEndpoints;
    expect(await probe(`${url}/readyz`)).toBe('closed');
  });

  it('documents running workloads, their sandbox, and how to turn either off in `berth up --help`', async () => {
    const help = await runBerth(['up', '--help']);
    expect(help.stdout).toMatch(/--no-run-workloads/);
    expect(help.stdout).toMatch(/each in a bubblewrap sandbox/);
    expect(help.stdout).toMatch(/Where no sandbox can be made, pods are simulated and the log says why/);
    expect(help.stdout).toMatch(/--run-workloads=unsandboxed\s+runs them as plain child processes/);
    expect(help.stdout).toMatch(/--max-running-pods <n>/);
  });
});
