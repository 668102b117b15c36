import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateCa } from '@berth/pki';
import { berthBin, runBerth, spawnBerthUp, type BerthProcess } from '../../../test-support/process.js';

const walkthrough = fileURLToPath(new URL('../../../examples/cli-walkthrough.sh', import.meta.url));

function runScript(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the berth CLI', () => {
  let dir: string;
  let home: string;
  let up: BerthProcess;
  const env = () => ({ BERTH_HOME: home, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-walkthrough-'));
    home = join(dir, 'berth-home');
    up = await spawnBerthUp(['--home', home, '--port', '0', '--provisioning-delay-ms', '0']);
  });
  afterAll(async () => {
    up?.child.kill('SIGTERM');
    await up?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the article end to end from examples/cli-walkthrough.sh on a fresh home folder', { timeout: 180_000 }, async () => {
    const res = await runScript(walkthrough, { ...env(), BERTH_BIN: `${process.execPath} ${berthBin}` });
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^KubernetesVersion {4}Upgrades\n-{19} {2}-+\n1\.34\.1\(preview\) {6}None available\n/m);
    expect(res.stdout).toMatch(/^Result\n-{8}\n1\.32\.6\n/m);
    expect(res.stdout).toMatch(/^\s+cert\.pem: [A-Za-z0-9+/=]{100,}$/m);
    expect(res.stdout).toMatch(/^\s+key\.pem: [A-Za-z0-9+/=]{100,}$/m);
    expect(res.stdout).toMatch(/^\s+name: azuremlfessl$/m);
    expect(res.stdout).toMatch(/^Succeeded$/m);
    // The final `computetarget list`: the detached compute is gone, the others are there.
    const finalList = res.stdout.slice(res.stdout.lastIndexOf('Name  '));
    expect(finalList).toMatch(/^myaks\s+westus\s+Succeeded\s+FastProd\s+4\s+Standard_D3_v2/m);
    expect(finalList).toMatch(/^tlsaks\s+westus\s+Succeeded/m);
    expect(finalList).not.toMatch(/^attachedaks/m);
    expect(res.stderr).toContain("Creating compute 'myaks': Succeeded");
    expect(res.stderr).toMatch(/Merged "myexistingcluster-admin" as current context|Merged "myexistingcluster" as current context/);
  });

  it('answers bad input with one line, the right exit code and no stack trace', async () => {
    const unknownFlag = await runBerth(['ml', 'computetarget', 'create', 'aks', '-n', 'x1a', '--colour', 'red'], env());
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("unknown option '--colour'");

    const missing = await runBerth(['ml', 'computetarget', 'attach', 'aks', '-n', 'x1a'], env());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '-i, --compute-resource-id <id>' not specified");

    const noCert = await runBerth(
      [
        'ml',
        'computetarget',
        'create',
        'aks',
        '-n',
        'certaks',
        '--ssl-cert-file',
        join(dir, 'nope.pem'),
        '--ssl-key-file',
        join(dir, 'nope.key'),
        '--ssl-cname',
        'www.contoso.com',
      ],
      env(),
    );
    expect(noCert.code).toBe(1);
    expect(noCert.stderr.trim().split('\n')).toHaveLength(1);
    expect(noCert.stderr).toMatch(/^ERROR: Cannot read the TLS certificate or key: ENOENT.*nope\.pem/);

    const unreachable = await runBerth(['ml', 'computetarget', 'list'], { ...env(), BERTH_ENDPOINT: 'https://127.0.0.1:9' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^ERROR: Cannot reach Berth at https:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\); is it running\? Start it with `berth up`\.\n$/,
    );

    const otherHome = join(dir, 'other-home');
    await loadOrCreateCa(otherHome);
    await writeFile(join(otherHome, 'token'), await readFile(join(home, 'token'), 'utf8'));
    const untrusted = await runBerth(['ml', 'computetarget', 'list'], { ...env(), BERTH_HOME: otherHome, BERTH_ENDPOINT: up.url });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^ERROR: Berth at .* presented a certificate this client does not trust .*ca\.pem/);

    const badToken = await runBerth(['ml', 'computetarget', 'list'], { ...env(), BERTH_TOKEN: 'berth_expired' });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^ERROR: \(InvalidAuthenticationToken\) /);

    for (const r of [unknownFlag, missing, noCert, unreachable, untrusted, badToken]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('checks a configuration before sending it, listing every broken rule', async () => {
    const res = await runBerth(
      [
        'ml',
        'computetarget',
        'create',
        'aks',
        '-n',
        '9bad_name',
        '--agent-count',
        '2',
        '--vm-size',
        'Standard_D3_v2',
        '--service-cidr',
        '10.0.0.0/16',
        '--dns-service-ip',
        '10.9.0.10',
      ],
      env(),
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^ERROR: \(ComputeValidationFailed\) 3 problems with the configuration; nothing was sent:/);
    expect(res.stderr).toContain('(InvalidComputeName)');
    expect(res.stderr).toContain('2 nodes x 4 vCPUs (Standard_D3_v2) = 8');
    expect(res.stderr).toContain('(InvalidDNSServiceIP)');
  });

  it('prints every provisioning error with its code and exits 1 when a create fails', async () => {
    const sub = JSON.parse((await runBerth(['group', 'show', '-n', 'myresourcegroup', '--query', 'id'], env())).stdout).split('/')[2];
    const token = (await readFile(join(home, 'token'), 'utf8')).trim();
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');
    const { httpsRequest, noPublicIpPolicy } = await import('../../../test-support/berth.js');
    const policy = await httpsRequest(
      `${up.url}/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/no-public-ip?api-version=2022-06-01`,
      ca,
      'PUT',
      {
        token,
        body: noPublicIpPolicy('No public IPs'),
      },
    );
    expect(policy.status).toBe(201);
    try {
      const res = await runBerth(['ml', 'computetarget', 'create', 'aks', '-n', 'blockedaks'], env());
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("Creating compute 'blockedaks': Failed");
      expect(res.stderr).toMatch(/ERROR: Creating compute 'blockedaks' failed:\n {2}\(RequestDisallowedByPolicy\) .*No public IPs/);
    } finally {
      await httpsRequest(
        `${up.url}/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/no-public-ip?api-version=2022-06-01`,
        ca,
        'DELETE',
        { token },
      );
    }
  });

  it('teaches with --help: every command has an example', async () => {
    for (const args of [
      ['ml', 'computetarget', 'create', 'aks'],
      ['ml', 'computetarget', 'attach', 'aks'],
      ['ml', 'computetarget', 'detach'],
      ['aks', 'get-versions'],
      ['group', 'create'],
      ['configure'],
    ]) {
      const res = await runBerth([...args, '--help'], env());
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/Examples?( \(.*\))?:\n\s+berth /);
    }
  });
});
