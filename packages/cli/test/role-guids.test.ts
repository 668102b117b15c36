import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { sql } from 'kysely';
import { azAvailable, azureCli } from '../../../test-support/azure-cli.js';
import { credential, freshPostgresDatabase, startTestBerth, testStores, type TestBerth } from '../../../test-support/berth.js';
import { assign, createGroup, createPrincipal, putRoleAssignment, tokenOf, type ServicePrincipal } from '../../../test-support/principals.js';

/** Azure's ids of the built-in roles: what scripts, Bicep and `az role assignment create --role <id>` send. */
const AZURE_ROLE_IDS = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
} as const;
type RoleName = keyof typeof AZURE_ROLE_IDS;
/** The id Berth gave Reader before it took Azure's. */
const OLD_READER = 'acdd72a7-3d3a-4c5b-8b10-59c35b3b8b6b';

const AZ_ROLE_SHIM = `from azure.mgmt.authorization.v2020_04_01_preview.operations import RoleAssignmentsOperations
from azure.mgmt.authorization.v2018_01_01_preview.operations import RoleDefinitionsOperations
for operations in (RoleAssignmentsOperations, RoleDefinitionsOperations):
    operations.config = property(lambda self: self._config)
`;

const RG_API = 'api-version=2021-04-01';
const AUTHZ_API = 'api-version=2022-04-01';

/** What the principal may do in the group: read it, change it (tags), assign a role there; each as its role allows. */
async function expectRoleWorks(berth: TestBerth, sp: ServicePrincipal, role: RoleName, group: string): Promise<void> {
  const token = await tokenOf(berth, sp);
  expect((await berth.request('GET', `${group}?${RG_API}`, { token })).status).toBe(200);
  const write = await berth.request('PUT', `${group}?${RG_API}`, { token, body: { location: 'westus', tags: { by: role } } });
  expect(write.status, write.text).toBe(role === 'Reader' ? 403 : 200);
  const someone = await createPrincipal(berth, `assignee-of-${role}-${randomUUID().slice(0, 8)}`);
  const granted = await putRoleAssignment(berth, group, someone.objectId, AZURE_ROLE_IDS.Reader, { token });
  expect(granted.status, granted.text).toBe(role === 'Owner' ? 201 : 403);
  if (role !== 'Owner') expect(granted.body.error.code).toBe('AuthorizationFailed');
}

const roleNames = Object.keys(AZURE_ROLE_IDS) as RoleName[];

describe('the built-in roles by Azure’s ids through @azure/arm-authorization', () => {
  let berth: TestBerth;
  let client: AuthorizationManagementClient;
  beforeAll(async () => {
    berth = await startTestBerth();
    client = new AuthorizationManagementClient(credential(berth.token), berth.subscriptionId, { endpoint: berth.url, tlsOptions: { ca: berth.ca } } as never);
  });
  afterAll(() => berth?.close());

  it.each(roleNames)('assigns %s by its id, and the role then works', async (role) => {
    const group = await createGroup(berth, `sdk-${role.toLowerCase()}`);
    const sp = await createPrincipal(berth, `sdk-${role}`);
    const definition = await client.roleDefinitions.get(group, AZURE_ROLE_IDS[role]);
    expect(definition.roleName).toBe(role);
    const made = await client.roleAssignments.create(group, randomUUID(), {
      roleDefinitionId: `/subscriptions/${berth.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${AZURE_ROLE_IDS[role]}`,
      principalId: sp.objectId,
      principalType: 'ServicePrincipal',
    });
    expect(made.roleDefinitionId).toMatch(new RegExp(`/roleDefinitions/${AZURE_ROLE_IDS[role]}$`));
    await expectRoleWorks(berth, sp, role, group);
  });

  it('refuses the made-up Reader id Berth used before, and creates nothing', async () => {
    const group = await createGroup(berth, 'sdk-old-reader');
    const sp = await createPrincipal(berth, 'sdk-old-reader');
    await expect(
      client.roleAssignments.create(group, randomUUID(), {
        roleDefinitionId: `/subscriptions/${berth.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${OLD_READER}`,
        principalId: sp.objectId,
      }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidRoleDefinitionId' });
    const left: unknown[] = [];
    for await (const a of client.roleAssignments.listForScope(group, { filter: `principalId eq '${sp.objectId}'` })) left.push(a);
    expect(left).toEqual([]);
    expect((await berth.request('GET', `${group}?${RG_API}`, { token: await tokenOf(berth, sp) })).status).toBe(403);
  });
});

if (!azAvailable) console.warn('Skipping the az role assignment tests: /usr/bin/az is missing (Debian package azure-cli; .ci/run installs it).');

describe.skipIf(!azAvailable)('the built-in roles by Azure’s ids through the real `az role assignment create --role <id>`', () => {
  let berth: TestBerth;
  let az: ReturnType<typeof azureCli>;

  beforeAll(async () => {
    berth = await startTestBerth();
    az = azureCli(join(berth.home, 'ca.pem'));
    // Debian's azure-cli 2.45 reads `.config` of the authorization client's operation groups, which the
    // azure-mgmt-authorization 3.0.0 it ships with names `_config`: every `az role ...` command fails with
    // an AttributeError before sending anything. This alias, loaded at interpreter start, lets the real
    // command run as upstream's does.
    const shim = join(az.configDir, 'python-shim');
    await mkdir(shim);
    await writeFile(join(shim, 'sitecustomize.py'), AZ_ROLE_SHIM);
    Object.assign(az.env, { PYTHONPATH: shim });
    const owner = await createPrincipal(berth, 'az-owner', { role: 'Owner' });
    for (const args of [
      ['cloud', 'register', '-n', 'Berth', '--endpoint-resource-manager', `${berth.url}/`],
      ['cloud', 'set', '-n', 'Berth'],
      ['login', '--service-principal', '-u', owner.appId, '-p', owner.password, '--tenant', owner.tenant],
    ]) {
      const res = await az.run(args);
      expect(res.code, res.stderr).toBe(0);
    }
  }, 180_000);
  afterAll(async () => {
    az?.cleanup();
    await berth?.close();
  });

  const azAssign = (roleId: string, principalId: string, scope: string) =>
    az.run([
      'role',
      'assignment',
      'create',
      '--role',
      roleId,
      '--assignee-object-id',
      principalId,
      '--assignee-principal-type',
      'ServicePrincipal',
      '--scope',
      scope,
    ]);

  it('assigns Owner, Contributor and Reader by id, and each role then works', async () => {
    for (const role of roleNames) {
      const group = await createGroup(berth, `az-${role.toLowerCase()}`);
      const sp = await createPrincipal(berth, `az-${role}`);
      const made = await azAssign(AZURE_ROLE_IDS[role], sp.objectId, group);
      expect(made.code, made.stderr).toBe(0);
      expect(JSON.parse(made.stdout)).toMatchObject({
        principalId: sp.objectId,
        roleDefinitionId: expect.stringMatching(new RegExp(`/roleDefinitions/${AZURE_ROLE_IDS[role]}$`)),
        scope: group,
      });
      await expectRoleWorks(berth, sp, role, group);
    }
  }, 300_000);

  it('refuses the made-up Reader id with InvalidRoleDefinitionId, and assigns nothing', async () => {
    const group = await createGroup(berth, 'az-old-reader');
    const sp = await createPrincipal(berth, 'az-old-reader');
    const refused = await azAssign(OLD_READER, sp.objectId, group);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('InvalidRoleDefinitionId');
    const listed = await berth.request('GET', `${group}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ_API}`);
    expect(listed.body.value.filter((a: { properties: { principalId: string } }) => a.properties.principalId === sp.objectId)).toEqual([]);
  }, 120_000);
});

describe.each(testStores())('the migration to Azure’s Reader id, on %s', (store) => {
  it('rewrites a stored assignment that names the old Reader id, and the Reader reads again', async () => {
    const home = await mkdtemp(join(tmpdir(), 'berth-reader-guid-'));
    const pg = store === 'postgres' ? await freshPostgresDatabase() : undefined;
    try {
      const first = await startTestBerth({ home, storeUrl: pg?.url });
      const group = await createGroup(first, 'migrated');
      const sp = await createPrincipal(first, 'old-reader');
      const made = await assign(first, sp, AZURE_ROLE_IDS.Reader, group);
      const assignment = `${group}/providers/Microsoft.Authorization/roleAssignments/${made.name}?${AUTHZ_API}`;
      // The store as a Berth from before left it: the assignment names the old id, and this migration has not run.
      const db = first.server.store.db;
      const rows = await db.selectFrom('resources').select(['id_key', 'body']).where('type_key', '=', 'microsoft.authorization/roleassignments').execute();
      expect(rows).toHaveLength(1);
      await db
        .updateTable('resources')
        .set({ body: rows[0].body.replaceAll(AZURE_ROLE_IDS.Reader, OLD_READER) })
        .where('id_key', '=', rows[0].id_key)
        .execute();
      await sql`delete from kysely_migration where name = ${'2026-12-08d_reader-role-guid'}`.execute(db);
      // Control: the old id grants nothing, so the Reader is refused.
      expect((await first.request('GET', `${group}?${RG_API}`, { token: await tokenOf(first, sp) })).status).toBe(403);
      await first.close();

      const second = await startTestBerth({ home, storeUrl: pg?.url });
      try {
        const got = await second.request('GET', assignment);
        expect(got.status).toBe(200);
        expect(got.body.properties.roleDefinitionId).toMatch(new RegExp(`/roleDefinitions/${AZURE_ROLE_IDS.Reader}$`));
        await expectRoleWorks(second, sp, 'Reader', group);
      } finally {
        await second.close();
      }
    } finally {
      await pg?.drop();
      await rm(home, { recursive: true, force: true });
    }
  });
});
