import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armPath, BerthClient, BerthRestError, Workspace } from '@berth/sdk';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';

/** What a call ended with: the resource's id, or the error's status and code. */
async function outcome(call: Promise<{ id?: string }>): Promise<string> {
  try {
    return `200 ${(await call).id}`;
  } catch (err) {
    if (err instanceof BerthRestError) return `${err.statusCode} ${err.code}`;
    throw err;
  }
}

describe('@berth/sdk encodes every name it puts in a URL', () => {
  let berth: TestBerth;
  let client: BerthClient;
  let sub: string;
  let group: { id: string };
  let workspace: { id: string };

  beforeAll(async () => {
    berth = await startTestBerth();
    client = new BerthClient(berth.url, berth.token, { ca: berth.ca });
    sub = berth.subscriptionId;
    const ws = await Workspace.create('myws', { client, resourceGroup: 'rg', location: 'westus', createResourceGroup: true });
    workspace = ws.resource;
    group = await client.getResourceGroup(sub, 'rg');
  });
  afterAll(() => berth?.close());

  it('reaches the real resources with real names (the control)', async () => {
    expect(await outcome(client.getResourceGroup(sub, 'rg'))).toBe(`200 ${group.id}`);
    expect(await outcome(client.getWorkspace(sub, 'rg', 'myws'))).toBe(`200 ${workspace.id}`);
  });

  // Unencoded, each of these subscription ids would land on the resource group rg or the workspace myws
  // (a fragment or query cuts the path, a dot segment climbs it) or on another route altogether.
  const forged = (s: string) => [
    `${s}/resourcegroups/rg#`,
    `${s}/resourcegroups/rg?`,
    `x/../${s}`,
    `${s}/resourcegroups/rg/providers/Microsoft.MachineLearningServices/workspaces/myws/..`,
    '../../providers/x',
    `${s}%2Fresourcegroups%2Frg`,
    `${s}\\resourcegroups\\rg#`,
  ];

  it('a subscription id with /, ?, #, .. or % in it is looked up as that literal id: 404, never another resource', async () => {
    for (const id of forged(sub)) {
      const read = await outcome(client.getResourceGroup(id, 'rg'));
      expect(read, id).toBe('404 SubscriptionNotFound');
      expect(await outcome(client.getWorkspace(id, 'rg', 'myws')), id).toBe('404 SubscriptionNotFound');
    }
    // A create under such an id creates nothing anywhere.
    await expect(client.createResourceGroup(`${sub}/resourcegroups/made?`, 'x', 'westus')).rejects.toMatchObject({ statusCode: 404 });
    await expect(client.getResourceGroup(sub, 'made')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
  });

  it('so is every other name: group, workspace and compute', async () => {
    const outcomes = [
      await outcome(client.getResourceGroup(sub, 'rg/providers/Microsoft.MachineLearningServices/workspaces/myws#')),
      await outcome(client.getWorkspace(sub, 'rg', 'myws/computes/x?')),
      await outcome(client.getWorkspace(sub, 'x', '../../rg/providers/Microsoft.MachineLearningServices/workspaces/myws')),
      await outcome(client.getCompute(sub, 'rg', 'myws', '..%2F..%2F..%2Fmyws')),
      await outcome(client.getCompute(sub, 'rg', 'myws', 'c?api-version=2022-10-01#')),
    ];
    expect(outcomes).toEqual(['400 InvalidRequestContent', '404 ResourceNotFound', '404 ResourceGroupNotFound', '404 ComputeNotFound', '404 ComputeNotFound']);
  });

  it('refuses `.`, `..` and empty names before sending anything: no encoding keeps a URL from resolving them', async () => {
    for (const name of ['.', '..', '']) {
      await expect(client.getResourceGroup(name, 'rg')).rejects.toThrow(RangeError);
      await expect(client.getWorkspace(sub, 'rg', name)).rejects.toThrow(`'${name}' cannot be a name in a URL`);
    }
    expect(armPath`/subscriptions/${'a/b?c#d'}/resourceGroups/${'..x'}`).toBe('/subscriptions/a%2Fb%3Fc%23d/resourceGroups/..x');
  });
});
