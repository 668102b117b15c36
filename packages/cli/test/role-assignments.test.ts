import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpsRequest } from '../../../test-support/berth.js';
import { berthProcesses, runBerth } from '../../../test-support/process.js';
import { berthAt, tokenOf } from '../../../test-support/principals.js';

const { tempHome, up } = berthProcesses('berth-role-');

const SUBSCRIPTIONS = '/subscriptions?api-version=2020-01-01';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';

interface Printed {
  id: string;
  name: string;
  principalId: string;
  roleDefinitionName: string;
  roleDefinitionId: string;
  scope: string;
}

describe('berth role assignment', () => {
  it('creates, lists and deletes role assignments as az role assignment does, and they decide access', async () => {
    const home = await tempHome();
    const p = await up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0']);
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');
    const admin = (await readFile(join(home, 'token'), 'utf8')).trim();
    const sub = (await httpsRequest(`${p.url}${SUBSCRIPTIONS}`, ca, 'GET', { token: admin })).body.value[0].subscriptionId as string;
    for (const g of ['team-rg', 'other-rg']) expect((await runBerth(['group', 'create', '--home', home, '-n', g, '-l', 'westus'])).code).toBe(0);
    const made = await runBerth(['ad', 'sp', 'create-for-rbac', '--home', home, '--name', 'team']);
    expect(made.code, made.stderr).toBe(0);
    const sp = JSON.parse(made.stdout) as { appId: string; password: string };
    const scope = `/subscriptions/${sub}/resourceGroups/team-rg`;

    const created = await runBerth(['role', 'assignment', 'create', '--home', home, '--assignee', sp.appId, '--role', 'Contributor', '--scope', scope]);
    expect(created.code, created.stderr).toBe(0);
    const assignment = JSON.parse(created.stdout) as Printed;
    expect(assignment).toMatchObject({ roleDefinitionName: 'Contributor', scope });
    expect(assignment.roleDefinitionId).toMatch(new RegExp(`/roleDefinitions/${CONTRIBUTOR}$`));
    expect(assignment.id).toBe(`${scope}/providers/Microsoft.Authorization/roleAssignments/${assignment.name}`);
    const objectId = assignment.principalId;

    const token = await tokenOf(berthAt(p.url, ca), sp);
    const ws = (g: string) =>
      `${p.url}/subscriptions/${sub}/resourceGroups/${g}/providers/Microsoft.MachineLearningServices/workspaces/ws1?api-version=2022-10-01`;
    expect((await httpsRequest(ws('team-rg'), ca, 'PUT', { token, body: { location: 'westus' } })).status).toBe(201);
    expect((await httpsRequest(ws('other-rg'), ca, 'PUT', { token, body: { location: 'westus' } })).status).toBe(403);

    const all = await runBerth(['role', 'assignment', 'list', '--home', home, '--all']);
    expect(all.code, all.stderr).toBe(0);
    expect((JSON.parse(all.stdout) as Printed[]).map((a) => a.id)).toEqual([assignment.id]);
    const atSubscription = JSON.parse((await runBerth(['role', 'assignment', 'list', '--home', home])).stdout) as Printed[];
    expect(atSubscription).toEqual([]);
    const mine = JSON.parse((await runBerth(['role', 'assignment', 'list', '--home', home, '--assignee', objectId])).stdout) as Printed[];
    expect(mine.map((a) => a.name)).toEqual([assignment.name]);
    const table = await runBerth(['role', 'assignment', 'list', '--home', home, '--scope', scope, '-o', 'table']);
    expect(table.stdout).toMatch(/Principal\s+Role\s+Scope/);
    expect(table.stdout).toContain('Contributor');

    const badRole = await runBerth(['role', 'assignment', 'create', '--home', home, '--assignee', sp.appId, '--role', 'Admin', '--scope', scope]);
    expect(badRole.code).not.toBe(0);
    const unknown = await runBerth(['role', 'assignment', 'create', '--home', home, '--assignee', 'nobody', '--role', 'Reader', '--scope', scope]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('PrincipalNotFound');

    const deleted = await runBerth(['role', 'assignment', 'delete', '--home', home, '--assignee', sp.appId, '--role', 'Contributor', '--scope', scope]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse((await runBerth(['role', 'assignment', 'list', '--home', home, '--all'])).stdout)).toEqual([]);
    await new Promise((r) => setTimeout(r, 600));
    expect((await httpsRequest(ws('team-rg'), ca, 'GET', { token })).status).toBe(403);

    const reader = JSON.parse(
      (await runBerth(['role', 'assignment', 'create', '--home', home, '--assignee', objectId, '--role', 'Reader', '--scope', scope])).stdout,
    ) as Printed;
    expect((await runBerth(['role', 'assignment', 'delete', '--home', home, '--ids', reader.id])).code).toBe(0);
    expect(JSON.parse((await runBerth(['role', 'assignment', 'list', '--home', home, '--all'])).stdout)).toEqual([]);
  });

  it('teaches with --help', async () => {
    for (const verb of ['create', 'list', 'delete']) {
      const help = await runBerth(['role', 'assignment', verb, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Examples:');
      expect(help.stdout).toContain('--assignee');
    }
  });
});
