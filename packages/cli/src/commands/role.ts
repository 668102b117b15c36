import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import { builtInRoleOfGuid, builtInRoles, resourceScopeOf } from '@berth/arm';
import { CliContext, withGlobalOptions, type GlobalOptions } from '../cli-context.js';
import { CliError } from '../errors.js';

const API = '2022-04-01';
const AUTHORIZATION = 'providers/Microsoft.Authorization';

/** The built-in roles, by their Azure GUIDs (the same in every subscription), from the one catalog in `@berth/arm`. */
const ROLE_GUIDS: Record<string, string> = Object.fromEntries(builtInRoles.map((r) => [r.roleName, r.guid]));

interface Assignment {
  id: string;
  name: string;
  type: string;
  properties: {
    scope: string;
    roleDefinitionId: string;
    principalId: string;
    principalType: string;
    description?: string;
    createdOn: string;
    updatedOn: string;
    createdBy: string;
    updatedBy: string;
  };
}

/** An assignment flattened as `az role assignment` prints it. */
function flatten(a: Assignment) {
  const guid = (resourceScopeOf(a.properties.roleDefinitionId)?.name ?? '').toLowerCase();
  return {
    id: a.id,
    name: a.name,
    principalId: a.properties.principalId,
    principalType: a.properties.principalType,
    roleDefinitionId: a.properties.roleDefinitionId,
    roleDefinitionName: builtInRoleOfGuid(guid)?.roleName ?? guid,
    scope: a.properties.scope,
    type: a.type,
    createdOn: a.properties.createdOn,
    createdBy: a.properties.createdBy,
  };
}

const table = (rows: unknown) =>
  (rows as Array<ReturnType<typeof flatten>>).map((r) => ({ Principal: r.principalId, Role: r.roleDefinitionName, Scope: r.scope }));

function roleOption(): Option {
  return new Option('--role <role>', 'the built-in role').choices(Object.keys(ROLE_GUIDS));
}

const trimScope = (scope: string) => scope.trim().replace(/\/+$/, '');
const sameScope = (a: string, b: string) => trimScope(a).toLowerCase() === trimScope(b).toLowerCase();

/** A service principal's object id from its app id or object id; anything else is sent as given (Berth answers PrincipalNotFound). */
async function principalIdOf(ctx: CliContext, assignee: string): Promise<string> {
  const res = await ctx.client.request('GET', '/berth/servicePrincipals');
  const key = assignee.toLowerCase();
  const found = (res.body.value as Array<{ appId: string; objectId: string }>).find((p) => p.appId === key || p.objectId === key);
  return found?.objectId ?? assignee;
}

async function listAt(ctx: CliContext, scope: string, principalId?: string): Promise<Assignment[]> {
  const query: Record<string, string> = { 'api-version': API };
  if (principalId) query.$filter = `principalId eq '${principalId}'`;
  return (await ctx.client.listAll(`${trimScope(scope)}/${AUTHORIZATION}/roleAssignments`, { query })) as Assignment[];
}

function assignmentCommand(): Command {
  const assignment = new Command('assignment').description(
    'Manage role assignments: a principal (a service principal) holds a role (Reader, Contributor, Owner) at a scope (a subscription, a resource group or a resource) and everything under it.',
  );

  withGlobalOptions(
    assignment
      .command('create')
      .description('Give a principal a role at a scope. Needs Owner at the scope (or above it).')
      .requiredOption('--assignee <id>', "the service principal's appId or objectId")
      .addOption(roleOption().makeOptionMandatory())
      .option(
        '--scope <scope>',
        'where the role applies: /subscriptions/<id>[/resourceGroups/<g>[/providers/<namespace>/<type>/<name>]] (default: the subscription)',
      )
      .addHelpText(
        'after',
        `
Examples:
  berth role assignment create --assignee <appId> --role Contributor --scope /subscriptions/<id>/resourceGroups/ml-rg
  berth role assignment create --assignee <objectId> --role Reader \\
    --scope /subscriptions/<id>/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws1`,
      ),
  ).action(async (o: GlobalOptions & { assignee: string; role: string; scope?: string }) => {
    const ctx = new CliContext(o);
    const sub = await ctx.subscription();
    const scope = trimScope(o.scope ?? `/subscriptions/${sub}`);
    const principalId = await principalIdOf(ctx, o.assignee);
    const res = await ctx.client.request('PUT', `${scope}/${AUTHORIZATION}/roleAssignments/${randomUUID()}`, {
      query: { 'api-version': API },
      body: {
        properties: {
          roleDefinitionId: `/subscriptions/${sub}/${AUTHORIZATION}/roleDefinitions/${ROLE_GUIDS[o.role]}`,
          principalId,
          principalType: 'ServicePrincipal',
        },
      },
    });
    ctx.print(flatten(res.body as Assignment));
  });

  withGlobalOptions(
    assignment
      .command('list')
      .description(
        'List role assignments. Without --scope: those at the subscription itself; with --scope: those at that scope; with --all: every one in the subscription (at and below it).',
      )
      .option('--assignee <id>', "only this service principal's (appId or objectId)")
      .option('--scope <scope>', 'only those at this scope')
      .option('--all', 'every assignment in the subscription, at any scope')
      .addHelpText(
        'after',
        `
Examples:
  berth role assignment list --all -o table
  berth role assignment list --assignee <appId> --all
  berth role assignment list --scope /subscriptions/<id>/resourceGroups/ml-rg`,
      ),
  ).action(async (o: GlobalOptions & { assignee?: string; scope?: string; all?: boolean }) => {
    const ctx = new CliContext(o);
    const sub = await ctx.subscription();
    const principalId = o.assignee ? await principalIdOf(ctx, o.assignee) : undefined;
    const scope = trimScope(o.scope ?? `/subscriptions/${sub}`);
    const found = await listAt(ctx, o.all ? `/subscriptions/${sub}` : scope, principalId);
    const wanted = o.all || (principalId && !o.scope) ? found : found.filter((a) => sameScope(a.properties.scope, scope));
    ctx.print(wanted.map(flatten), table);
  });

  withGlobalOptions(
    assignment
      .command('delete')
      .description('Delete role assignments, by id, or those of --assignee with --role at --scope. Needs Owner at their scope.')
      .option('--ids <ids...>', 'role assignment ids, space-separated')
      .option('--assignee <id>', "the service principal's appId or objectId")
      .addOption(roleOption())
      .option('--scope <scope>', 'the scope of the assignments to delete (default: the subscription)')
      .addHelpText(
        'after',
        `
Examples:
  berth role assignment delete --ids /subscriptions/<id>/resourceGroups/ml-rg/providers/Microsoft.Authorization/roleAssignments/<name>
  berth role assignment delete --assignee <appId> --role Contributor --scope /subscriptions/<id>/resourceGroups/ml-rg`,
      ),
  ).action(async (o: GlobalOptions & { ids?: string[]; assignee?: string; role?: string; scope?: string }) => {
    if (!o.ids === !o.assignee) throw new CliError('usage error: give either --ids, or --assignee (with --role and --scope to narrow it down).', 2);
    const ctx = new CliContext(o);
    let ids = o.ids ?? [];
    if (o.assignee) {
      const sub = await ctx.subscription();
      const scope = trimScope(o.scope ?? `/subscriptions/${sub}`);
      const principalId = await principalIdOf(ctx, o.assignee);
      ids = (await listAt(ctx, scope, principalId))
        .filter((a) => sameScope(a.properties.scope, scope) && (!o.role || flatten(a).roleDefinitionName === o.role))
        .map((a) => a.id);
      if (ids.length === 0) throw new CliError(`No role assignment of '${o.assignee}'${o.role ? ` as ${o.role}` : ''} at '${scope}'.`);
    }
    for (const id of ids) await ctx.client.request('DELETE', trimScope(id), { query: { 'api-version': API } });
  });

  return assignment;
}

export function roleCommand(): Command {
  return new Command('role').description('Manage role assignments (who holds which role where), as `az role` does.').addCommand(assignmentCommand());
}
