import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateCa } from '@berth/pki';
import {
  AksCompute,
  BerthClient,
  BerthConnectionError,
  BerthRestError,
  ComputeConfigurationError,
  ComputeTarget,
  ComputeTargetError,
  Workspace,
} from '@berth/sdk';
import { ConnectionSettingsError, resolveConnection, workspaceFromConfig } from '@berth/sdk/node';
import { noPublicIpPolicy, startTestBerth, type TestBerth } from '../../../test-support/berth.js';

describe('@berth/sdk', () => {
  let berth: TestBerth;
  let client: BerthClient;
  let ws: Workspace;

  beforeAll(async () => {
    berth = await startTestBerth({ provisioningDelayMs: 0 });
    client = new BerthClient(berth.url, berth.token, { ca: berth.ca });
    ws = await Workspace.create('sdkworkspace', { client, resourceGroup: 'sdk-rg', location: 'westus', createResourceGroup: true });
  });
  afterAll(() => berth?.close());

  it('takes connection settings from options, then the environment, then the home folder', () => {
    const fromHome = resolveConnection({ home: berth.home });
    expect(fromHome).toEqual({ endpoint: berth.url, token: berth.token, ca: berth.ca });
    vi.stubEnv('BERTH_TOKEN', 'berth_from_env');
    try {
      expect(resolveConnection({ home: berth.home }).token).toBe('berth_from_env');
      expect(resolveConnection({ home: berth.home, token: 'explicit' }).token).toBe('explicit');
    } finally {
      vi.unstubAllEnvs();
    }
    expect(() => resolveConnection({ home: join(tmpdir(), 'no-berth-here') })).toThrow(ConnectionSettingsError);
  });

  it('reads a config.json like Workspace.from_config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-config-'));
    try {
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({ subscription_id: ws.subscriptionId, resource_group: 'sdk-rg', workspace_name: 'sdkworkspace' }),
      );
      const fromConfig = await workspaceFromConfig(join(dir, 'config.json'), { client });
      expect(fromConfig.resource.id).toBe(ws.resource.id);
      await expect(workspaceFromConfig(join(dir, 'missing.json'), { client })).rejects.toThrow(/No workspace config\.json found at/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pages lists, resumes pollers from their serialized state, and carries ARM errors as typed errors', async () => {
    const poller = await client.beginCreateCompute(ws.subscriptionId, 'sdk-rg', 'sdkworkspace', 'pagedaks', {
      properties: { computeType: 'AKS', properties: { clusterPurpose: 'DevTest', agentCount: 1, agentVmSize: 'Standard_D2_v2' } },
    });
    const resumed = client.resumePoller<{ properties: { provisioningState: string } }>(poller.toString());
    expect((await resumed.pollUntilDone({ intervalInMs: 50 })).properties.provisioningState).toBe('Succeeded');
    const pages: number[] = [];
    for await (const page of client.listComputes(ws.subscriptionId, 'sdk-rg', 'sdkworkspace').byPage()) pages.push(page.length);
    expect(pages).toEqual([1]);
    const err = await client.getCompute(ws.subscriptionId, 'sdk-rg', 'sdkworkspace', 'nosuchaks').catch((e) => e);
    expect(err).toBeInstanceOf(BerthRestError);
    expect(err).toMatchObject({ statusCode: 404, code: 'ComputeNotFound', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('refuses a bad configuration before calling, and the server refuses what only it can check', async () => {
    await expect(ComputeTarget.create(ws, 'ok-name', AksCompute.provisioningConfiguration({ agentCount: 2 }))).rejects.toBeInstanceOf(
      ComputeConfigurationError,
    );
    const attach = AksCompute.attachConfiguration({ resourceGroup: 'sdk-rg', clusterName: 'nosuchcluster' });
    const err = await ComputeTarget.attach(ws, 'ghost', attach).catch((e) => e);
    expect(err).toBeInstanceOf(ComputeConfigurationError);
    expect((err as ComputeConfigurationError).details.map((d) => d.code)).toEqual(['ClusterNotFound']);
  });

  it('waitForCompletion shows progress and, on failure, every provisioning error, then throws', async () => {
    const policy = await berth.request(
      'PUT',
      `/subscriptions/${ws.subscriptionId}/providers/Microsoft.Authorization/policyAssignments/deny-ip?api-version=2022-06-01`,
      {
        body: noPublicIpPolicy('Deny public IPs'),
      },
    );
    expect(policy.status).toBe(201);
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const target = await ComputeTarget.create(ws, 'deniedaks', AksCompute.provisioningConfiguration());
      const err = await target.waitForCompletion({ showOutput: true }).catch((e) => e);
      expect(err).toBeInstanceOf(ComputeTargetError);
      expect((err as ComputeTargetError).provisioningErrors[0]).toMatchObject({
        code: 'RequestDisallowedByPolicy',
        message: expect.stringContaining('Deny public IPs'),
      });
    } finally {
      spy.mockRestore();
      await berth.request('DELETE', `/subscriptions/${ws.subscriptionId}/providers/Microsoft.Authorization/policyAssignments/deny-ip?api-version=2022-06-01`);
    }
    const output = written.join('');
    expect(output).toMatch(/^Creating\.*\nFailed\nProvisioning error: \(RequestDisallowedByPolicy\) /);

    written.length = 0;
    const spy2 = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const ok = await ComputeTarget.create(
        ws,
        'okaks',
        AksCompute.provisioningConfiguration({ clusterPurpose: 'DevTest', agentCount: 1, vmSize: 'Standard_D2_v2' }),
      );
      await ok.waitForCompletion({ showOutput: true });
    } finally {
      spy2.mockRestore();
    }
    expect(written.join('')).toMatch(/^Creating\.*\nSucceeded\nProvisioning operation finished, operation "Succeeded"\n$/);
  });

  it('says what to do when Berth is unreachable or untrusted', async () => {
    const unreachable = new BerthClient('https://127.0.0.1:9', berth.token, { ca: berth.ca });
    await expect(unreachable.listSubscriptions()).rejects.toThrow(
      new BerthConnectionError('Cannot reach Berth at https://127.0.0.1:9 (ECONNREFUSED); is it running? Start it with `berth up`.', 'ECONNREFUSED'),
    );
    const dir = await mkdtemp(join(tmpdir(), 'berth-other-ca-'));
    try {
      const other = await loadOrCreateCa(dir);
      const untrusted = new BerthClient(berth.url, berth.token, { ca: other.certPem });
      await expect(untrusted.listSubscriptions()).rejects.toThrow(/presented a certificate this client does not trust.*ca\.pem/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const aborted = new AbortController();
    aborted.abort();
    await expect(client.listSubscriptions({ abortSignal: aborted.signal })).rejects.toThrow(/abort/i);
  });
});
