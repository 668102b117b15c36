import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';

const COMPUTE =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/computes/{computeName}';

describe('OpenAPI document', () => {
  let berth: TestBerth;

  beforeAll(async () => {
    berth = await startTestBerth();
  });
  afterAll(() => berth?.close());

  it('is served at /openapi.json to signed-in callers only', async () => {
    expect((await berth.request('GET', '/openapi.json', { token: null })).status).toBe(401);
    expect((await berth.request('GET', '/openapi.json', { token: 'not-a-token' })).body.error.code).toBe('InvalidAuthenticationToken');
    const reader = await berth.request('POST', '/berth/tokens', { body: { role: 'Reader', subscription: berth.subscriptionId } });
    const res = await berth.request('GET', '/openapi.json', { token: reader.body.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
  });

  it("lists every ARM route with its parameters, api-version and body schema, and leaves out the clusters' Kubernetes API", async () => {
    const doc = (await berth.request('GET', '/openapi.json')).body;
    const put = doc.paths[COMPUTE].put;
    expect(put.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`).sort()).toEqual(
      ['path:computeName', 'path:resourceGroupName', 'path:subscriptionId', 'path:workspaceName', 'query:api-version'].sort(),
    );
    const body = put.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['properties']);
    expect(body.properties.properties.required).toEqual(['computeType']);
    expect(body.properties.properties.properties.properties.properties.agentCount).toEqual({ type: 'integer', minimum: 0 });
    expect(Object.keys(doc.paths[COMPUTE]).sort()).toEqual(['delete', 'get', 'head', 'patch', 'put']);
    for (const path of [
      '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}',
      '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName}',
      '/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/policyAssignments/{assignmentName}',
      '/berth/tokens',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/clusters'))).toEqual([]);
  });
});
