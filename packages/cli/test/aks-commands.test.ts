import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runBerth, spawnBerthUp, type BerthProcess } from '../../../test-support/process.js';

describe('berth aks', () => {
  let dir: string;
  let up: BerthProcess;
  const env = () => ({ BERTH_HOME: join(dir, 'home'), HOME: dir, KUBECONFIG: join(dir, 'kube', 'config') });
  const berth = (...args: string[]) => runBerth(args, env());

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-aks-'));
    up = await spawnBerthUp(['--home', join(dir, 'home'), '--port', '0', '--provisioning-delay-ms', '0']);
    expect((await berth('group', 'create', '-n', 'rg', '-l', 'westus', '-o', 'none')).code).toBe(0);
  });
  afterAll(async () => {
    up?.child.kill('SIGTERM');
    await up?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, lists, scales, fetches credentials for and deletes a cluster, in every output format', async () => {
    const created = await berth('aks', 'create', '-g', 'rg', '-n', 'c1', '--node-count', '3', '--node-vm-size', 'Standard_D3_v2');
    expect(created.code).toBe(0);
    const cluster = JSON.parse(created.stdout);
    expect(cluster.properties).toMatchObject({
      provisioningState: 'Succeeded',
      kubernetesVersion: '1.32.6',
      agentPoolProfiles: [{ count: 3, vmSize: 'Standard_D3_v2' }],
    });
    expect(created.stderr).toContain("Creating managed cluster 'c1': Succeeded");

    const tsv = await berth('aks', 'show', '-g', 'rg', '-n', 'c1', '--query', 'id', '-o', 'tsv');
    expect(tsv.stdout).toBe(`${cluster.id}\n`);
    const yaml = parseYaml((await berth('aks', 'show', '-g', 'rg', '-n', 'c1', '-o', 'yaml')).stdout);
    expect(yaml.name).toBe('c1');
    const jsonc = await berth('aks', 'list', '-o', 'jsonc', '--query', '[].name');
    expect(JSON.parse(jsonc.stdout)).toEqual(['c1']);
    const table = (await berth('aks', 'list', '-g', 'rg', '-o', 'table')).stdout.split('\n');
    expect(table[0]).toMatch(/^Name\s+Location\s+ResourceGroup\s+KubernetesVersion/);
    expect(table[2]).toMatch(/^c1\s+westus\s+rg\s+1\.32\.6/);

    const scaled = await berth('aks', 'scale', '-g', 'rg', '-n', 'c1', '--node-count', '4', '--query', 'properties.agentPoolProfiles[0].count', '-o', 'tsv');
    expect(scaled.stdout).toBe('4\n');

    const creds = await berth('aks', 'get-credentials', '-g', 'rg', '-n', 'c1', '--admin');
    expect(creds.code).toBe(0);
    expect(creds.stderr).toContain(`Merged "c1-admin" as current context in ${env().KUBECONFIG}`);
    const kubeconfig = parseYaml(await readFile(env().KUBECONFIG, 'utf8'));
    expect(kubeconfig['current-context']).toBe('c1-admin');
    expect(kubeconfig.clusters[0].cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/clusters\/[0-9a-f]+$/);
    const user = await berth('aks', 'get-credentials', '-g', 'rg', '-n', 'c1');
    expect(user.code).toBe(0);
    const merged = parseYaml(await readFile(env().KUBECONFIG, 'utf8'));
    expect(merged.contexts.map((c: { name: string }) => c.name).sort()).toEqual(['c1', 'c1-admin']);
    expect(merged['current-context']).toBe('c1');

    const noConfirm = await berth('aks', 'delete', '-g', 'rg', '-n', 'c1');
    expect(noConfirm.code).toBe(2);
    expect(noConfirm.stderr).toContain('pass --yes');
    expect((await berth('aks', 'delete', '-g', 'rg', '-n', 'c1', '--yes')).code).toBe(0);
    const gone = await berth('aks', 'show', '-g', 'rg', '-n', 'c1');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^ERROR: \(ResourceNotFound\) /);
  });

  it('refuses bad requests with every broken rule listed', async () => {
    const res = await berth(
      'aks',
      'create',
      '-g',
      'rg',
      '-n',
      'bad',
      '--node-vm-size',
      'Standard_Nope',
      '--kubernetes-version',
      '1.28',
      '--service-cidr',
      '10.224.0.0/16',
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^ERROR: \(InvalidParameter\) 4 problems:/);
    expect(res.stderr).toContain('(InvalidDNSServiceIP)');
    expect(res.stderr).toContain('(InvalidVMSize)');
    expect(res.stderr).toContain('(K8sVersionNotSupported)');
    expect(res.stderr).toContain('(ServiceCidrOverlapExistingSubnetsCidr)');
    expect((await berth('aks', 'list', '-o', 'tsv')).stdout).toBe('\n');
  });

  it('--no-wait returns at once and the cluster finishes by itself', async () => {
    const res = await berth('aks', 'create', '-g', 'rg', '-n', 'quick', '--no-wait');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
    const deadline = Date.now() + 10_000;
    let state = '';
    while (state !== 'Succeeded' && Date.now() < deadline)
      state = (await berth('aks', 'show', '-g', 'rg', '-n', 'quick', '--query', 'properties.provisioningState', '-o', 'tsv')).stdout.trim();
    expect(state).toBe('Succeeded');
  });
});
