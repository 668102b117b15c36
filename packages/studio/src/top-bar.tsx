import { useEffect, useState } from 'react';
import { armPath, type BerthClient, type Subscription, type WorkspaceResource } from '@berth/sdk';
import { canWrite, whyReadOnly, type Role } from './api.js';
import { Dialog, Field, FormActions, Problems, RegionOptions, WriteButton } from './ui.js';
import { navigate, type Route } from './router.js';

interface Group {
  name: string;
  location: string;
}

/**
 * Pickers of subscription, resource group and workspace; the choice lives in the URL. `route.subscription` is
 * one of `subscriptions` (the session's own list) or undefined: a subscription only a URL names is never asked about.
 */
export function TopBar(props: { client: BerthClient; route: Route; subscriptions?: Subscription[]; role?: Role; userName: string; onSignOut: () => void }) {
  const { client, route, subscriptions: subs } = props;
  // Each list with what it is the list of, so that a list of the previous choice never decides for the new one.
  const [groupList, setGroupList] = useState<{ of: string; list: Group[] }>();
  const [workspaceList, setWorkspaceList] = useState<{ of: string; list: WorkspaceResource[] }>();
  const [creating, setCreating] = useState(false);
  const [wsVersion, setWsVersion] = useState(0);
  const [error, setError] = useState<string>();
  const groupsOf = route.subscription ?? '';
  const workspacesOf = `${route.subscription}/${route.group?.toLowerCase()}`;
  const groups = groupList?.of === groupsOf ? groupList.list : undefined;
  const workspaces = workspaceList?.of === workspacesOf ? workspaceList.list : undefined;

  useEffect(() => {
    if (!route.subscription) return;
    const of = route.subscription;
    client.rest.listAll<Group>(armPath`/subscriptions/${of}/resourcegroups`, { query: { 'api-version': '2021-04-01' } }).then(
      (list) => setGroupList({ of, list }),
      (e: Error) => setError(e.message),
    );
  }, [client, route.subscription]);
  const groupMissing = !!groups?.length && !groups.some((g) => g.name.toLowerCase() === route.group?.toLowerCase());
  useEffect(() => {
    if (!groupMissing || !groups) return;
    let live = true;
    // The first group that holds a workspace, else the first group.
    (async () => {
      for await (const w of client.listWorkspaces(route.subscription!)) return /\/resourceGroups\/([^/]+)/i.exec(w.id)?.[1];
      return undefined;
    })()
      .catch(() => undefined)
      .then((group) => {
        if (!live) return;
        const name = groups.find((g) => g.name.toLowerCase() === group?.toLowerCase())?.name ?? groups[0].name;
        navigate({ ...route, group: name, workspace: undefined }, { replace: true });
      });
    return () => {
      live = false;
    };
  }, [client, groups, groupMissing, route]);
  useEffect(() => {
    if (!route.subscription || !route.group) return;
    const [sub, group] = [route.subscription, route.group];
    (async () => {
      const all: WorkspaceResource[] = [];
      for await (const w of client.listWorkspaces(sub, group)) all.push(w);
      return all;
    })().then(
      (list) => setWorkspaceList({ of: `${sub}/${group.toLowerCase()}`, list }),
      (e: Error) => setError(e.message),
    );
  }, [client, route.subscription, route.group, wsVersion]);
  useEffect(() => {
    if (workspaces && workspaces.length && !workspaces.some((w) => w.name.toLowerCase() === route.workspace?.toLowerCase())) {
      navigate({ ...route, workspace: workspaces[0].name }, { replace: true });
    }
  }, [workspaces, route]);

  const allowed = canWrite(props.role);
  return (
    <header className="top-bar">
      <a className="brand" href="/studio/">
        Berth Studio
      </a>
      <nav aria-label="Scope" className="pickers">
        <Field label="Subscription">
          {(a11y) => (
            <select {...a11y} value={route.subscription ?? ''} onChange={(e) => navigate({ page: 'list', subscription: e.target.value })}>
              {!route.subscription && (
                <option value="" disabled>
                  Choose a subscription
                </option>
              )}
              {(subs ?? []).map((s) => (
                <option key={s.subscriptionId} value={s.subscriptionId}>
                  {s.displayName} ({s.subscriptionId.slice(0, 8)}…)
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Resource group">
          {(a11y) => (
            <select {...a11y} value={route.group ?? ''} onChange={(e) => navigate({ page: 'list', subscription: route.subscription, group: e.target.value })}>
              {groups?.length === 0 && <option value="">(none: berth group create)</option>}
              {(groups ?? []).map((g) => (
                <option key={g.name} value={g.name}>
                  {g.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Workspace">
          {(a11y) => (
            <select
              {...a11y}
              value={route.workspace ?? ''}
              onChange={(e) => navigate({ page: 'list', subscription: route.subscription, group: route.group, workspace: e.target.value })}
            >
              {workspaces?.length === 0 && <option value="">(none yet)</option>}
              {(workspaces ?? []).map((w) => (
                <option key={w.name} value={w.name}>
                  {w.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <WriteButton
          allowed={allowed && !!route.group}
          why={route.group ? whyReadOnly(props.role) : 'Choose a resource group first.'}
          onClick={() => setCreating(true)}
        >
          New workspace
        </WriteButton>
      </nav>
      <div className="user">
        <span>
          {props.userName} ({props.role ?? 'no role'})
        </span>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </div>
      <Problems problems={error ? [error] : undefined} />
      {creating && route.subscription && route.group && (
        <NewWorkspace
          client={client}
          subscription={route.subscription}
          group={route.group}
          location={groups?.find((g) => g.name === route.group)?.location ?? 'westus'}
          onClose={(created) => {
            setCreating(false);
            if (created) {
              // In the list at once, so that the view can switch to it before the list is read again.
              setWorkspaceList((l) => ({
                of: workspacesOf,
                list: [...(l?.of === workspacesOf ? l.list : []).filter((w) => w.name !== created.name), created],
              }));
              setWsVersion((v) => v + 1);
              navigate({ page: 'list', subscription: route.subscription, group: route.group, workspace: created.name });
            }
          }}
        />
      )}
    </header>
  );
}

function NewWorkspace(props: { client: BerthClient; subscription: string; group: string; location: string; onClose: (created?: WorkspaceResource) => void }) {
  const [name, setName] = useState('');
  const [location, setLocation] = useState(props.location);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title="New workspace" onClose={() => props.onClose()}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const poller = await props.client.beginCreateWorkspace(props.subscription, props.group, name.trim(), { location });
            props.onClose(await poller.pollUntilDone({ intervalInMs: 500 }));
          } catch (err) {
            setError((err as Error).message);
            setBusy(false);
          }
        }}
      >
        <Field label="Workspace name" problems={error ? [error] : undefined}>
          {(a11y) => <input {...a11y} value={name} onChange={(e) => setName(e.target.value)} required />}
        </Field>
        <Field label="Workspace location">
          {(a11y) => (
            <select {...a11y} value={location} onChange={(e) => setLocation(e.target.value)}>
              <RegionOptions />
            </select>
          )}
        </Field>
        <FormActions onCancel={() => props.onClose()}>
          <button type="submit" disabled={busy}>
            Create workspace
          </button>
        </FormActions>
      </form>
    </Dialog>
  );
}
