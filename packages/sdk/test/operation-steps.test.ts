import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient, type OperationStep } from '@berth/sdk';
import { noPublicIpPolicy, startTestBerth, type TestBerth } from '../../../test-support/berth.js';

const DEVTEST = { computeType: 'AKS' as const, properties: { clusterPurpose: 'DevTest' as const, agentCount: 1, agentVmSize: 'Standard_D2_v2' } };
const CREATE_STEPS = ['create-cluster', 'wait-cluster', 'fetch-credentials', 'install', 'wait-ready'];

describe("an operation's steps, as its status lists them", () => {
  let berth: TestBerth;
  let client: BerthClient;
  let sub: string;

  beforeAll(async () => {
    // Provisioning that takes a second, so the operation is seen in progress.
    berth = await startTestBerth({ provisioningDelayMs: 1_000 });
    client = new BerthClient(berth.url, berth.token, { ca: berth.ca });
    sub = berth.subscriptionId;
    await client.createResourceGroup(sub, 'steps-rg', 'westus');
    await (await client.beginCreateWorkspace(sub, 'steps-rg', 'steps-ws', { location: 'westus' })).pollUntilDone({ intervalInMs: 50 });
  });
  afterAll(() => berth?.close());

  it('follows a create step by step, from its poller and from a GET of the compute while it runs', async () => {
    const poller = await client.beginCreateCompute(sub, 'steps-rg', 'steps-ws', 'stepsaks', { properties: DEVTEST });
    await poller.poll();
    expect(poller.getOperationState().steps?.[0]).toMatchObject({ name: 'create-cluster', startTime: expect.any(String) });

    // Opened elsewhere mid-way: the compute's GET names its operation.
    const found = await client.getComputeOperation(sub, 'steps-rg', 'steps-ws', 'stepsaks');
    expect(found).toBeDefined();
    await found!.poll();
    expect(found!.getOperationState().status).toBe('InProgress');
    const current = found!.getOperationState().steps!.at(-1)!;
    expect(current.status).toBe('InProgress');
    expect(current.endTime).toBeUndefined();

    await poller.pollUntilDone({ intervalInMs: 50 });
    const steps = poller.getOperationState().steps as OperationStep[];
    expect(steps.map((s) => `${s.name}:${s.status}`)).toEqual(CREATE_STEPS.map((name) => `${name}:Succeeded`));
    for (const [i, step] of steps.entries()) {
      expect(Date.parse(step.endTime!)).toBeGreaterThanOrEqual(Date.parse(step.startTime));
      if (i > 0) expect(step.startTime).toBe(steps[i - 1].endTime);
    }
    // The simulated provisioning is the wait for the cluster.
    const wait = steps.find((s) => s.name === 'wait-cluster')!;
    expect(Date.parse(wait.endTime!) - Date.parse(wait.startTime)).toBeGreaterThanOrEqual(500);

    expect(await client.getComputeOperation(sub, 'steps-rg', 'steps-ws', 'stepsaks')).toBeUndefined();
    const plain = await berth.request(
      'GET',
      `/subscriptions/${sub}/resourceGroups/steps-rg/providers/Microsoft.MachineLearningServices/workspaces/steps-ws/computes/stepsaks?api-version=2022-10-01`,
    );
    expect(plain.headers['azure-asyncoperation']).toBeUndefined();

    // A scale goes through its own steps.
    const scale = await client.beginUpdateCompute(sub, 'steps-rg', 'steps-ws', 'stepsaks', { properties: { properties: { agentCount: 2 } } });
    await scale.pollUntilDone({ intervalInMs: 50 });
    expect(scale.getOperationState().steps?.map((s) => s.name)).toEqual(['scale-cluster', 'wait-cluster', 'install', 'wait-ready']);
  });

  it('ends with the step that failed, and the failure', async () => {
    const assignment = `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/no-ip?api-version=2022-06-01`;
    expect((await berth.request('PUT', assignment, { body: noPublicIpPolicy() })).status).toBe(201);
    try {
      const poller = await client.beginCreateCompute(sub, 'steps-rg', 'steps-ws', 'deniedaks', { properties: DEVTEST });
      await expect(poller.pollUntilDone({ intervalInMs: 50 })).rejects.toThrow(/polic/i);
      const { steps, error } = poller.getOperationState();
      expect(steps?.at(-1)).toMatchObject({ status: 'Failed', endTime: expect.any(String) });
      expect(steps?.slice(0, -1).every((s) => s.status === 'Succeeded')).toBe(true);
      expect(error?.code).toBe('RequestDisallowedByPolicy');
    } finally {
      await berth.request('DELETE', assignment);
    }
  });
});
