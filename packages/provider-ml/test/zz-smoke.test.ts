import { it, expect } from 'vitest';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { startTestBerth } from '/work/main/test-support/berth.js';

it('smoke', async () => {
  const berth = await startTestBerth({});
  const sub = berth.subscriptionId;
  const client = new AzureMachineLearningWorkspaces({ getToken: async () => ({ token: berth.token, expiresOnTimestamp: Date.now() + 3600000 }) }, sub, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);
  await berth.request('PUT', `/subscriptions/${sub}/resourcegroups/rg?api-version=2021-04-01`, { body: { location: 'westus' } });
  let t = Date.now();
  await client.workspaces.beginCreateOrUpdateAndWait('rg', 'myws', { location: 'westus' }, { updateIntervalInMs: 50 });
  console.log('myws', Date.now() - t); t = Date.now();
  const c = await client.computeOperations.beginCreateOrUpdateAndWait('rg', 'myws', 'myaks', { properties: { computeType: 'AKS' } } as never, { updateIntervalInMs: 50 });
  console.log('create', Date.now() - t, JSON.stringify(c, null, 1));
  const keys = await client.computeOperations.listKeys('rg', 'myws', 'myaks');
  console.log(Object.keys(keys));
  const nodes = [];
  for await (const n of client.computeOperations.listNodes('rg', 'myws', 'myaks')) nodes.push(n);
  console.log(nodes);
  t = Date.now();
  await client.computeOperations.beginDeleteAndWait('rg', 'myws', 'myaks', 'Delete', { updateIntervalInMs: 50 });
  console.log('delete', Date.now() - t);
  await berth.close();
});
