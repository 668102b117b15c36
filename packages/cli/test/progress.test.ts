import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBerth, spawnBerthUp, type BerthProcess } from '../../../test-support/process.js';

describe('the berth CLI shows the step a long-running operation is in', () => {
  let dir: string;
  let up: BerthProcess;
  const env = () => ({ BERTH_HOME: join(dir, 'home'), HOME: dir });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-progress-'));
    // Provisioning that takes 3 s: the CLI's first poll (after 1 s) finds the cluster being provisioned.
    up = await spawnBerthUp(['--home', join(dir, 'home'), '--port', '0', '--provisioning-delay-ms', '3000']);
    for (const args of [
      ['group', 'create', '-n', 'rg', '-l', 'westus', '-o', 'none'],
      ['ml', 'workspace', 'create', '-w', 'progress-ws', '-g', 'rg', '-o', 'none'],
    ]) {
      const res = await runBerth(args, env());
      expect(res.code, res.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    up?.child.kill('SIGTERM');
    await up?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a line per step (stderr is not a terminal), then the outcome', async () => {
    const res = await runBerth(
      [
        'ml',
        'computetarget',
        'create',
        'aks',
        '-n',
        'stepaks',
        '-g',
        'rg',
        '-w',
        'progress-ws',
        '--cluster-purpose',
        'DevTest',
        '-a',
        '1',
        '-s',
        'Standard_D2_v2',
        '-o',
        'none',
      ],
      env(),
    );
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stderr.split('\n').filter((line) => line.startsWith("Creating compute 'stepaks'"));
    expect(lines[0]).toMatch(/^Creating compute 'stepaks': InProgress: .+ \(\d+s\)$/);
    // One line per step, not per poll: the 3 s wait is polled about three times.
    expect(lines.filter((line) => /: InProgress: Wait for the cluster to be provisioned \(\d+s\)$/.test(line))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^Creating compute 'stepaks': Succeeded \(\d+s\)$/);
  });
});
