import { useEffect, useMemo, useState } from 'react';
import type { ComputeResource, Subscription } from '@berth/sdk';
import { canWrite, clientFor, currentSession, roleIn, signOut, whyReadOnly, type Session } from './api.js';
import { ComputeTable } from './compute-table.js';
import { ComputeDetails, type FollowedOperation } from './details.js';
import { hrefOf, navigate, useRoute, type Route } from './router.js';
import { SignIn } from './sign-in.js';
import { TopBar } from './top-bar.js';
import { Problems, useInterval, WriteButton } from './ui.js';
import { provisioningInProgress } from '@berth/compute-rules';
import { Wizard } from './wizard.js';

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    currentSession().then(
      (s) => setSession(s ?? null),
      (e: Error) => setError(e.message),
    );
  }, []);
  if (error) return <Problems problems={[error]} />;
  if (session === undefined) return <p role="status">Loading…</p>;
  if (session === null || route.page === 'signin') {
    return (
      <SignIn
        onSignedIn={(s) => {
          setSession(s);
          navigate({ ...route, page: 'list' }, { replace: true });
        }}
      />
    );
  }
  return (
    <Shell
      session={session}
      route={route}
      onSignedOut={() => {
        setSession(null);
        navigate({ page: 'signin' });
      }}
    />
  );
}

/** The subscription of the list `/subscriptions` returned that the URL names (its id as the list spells it), or undefined. */
function knownSubscription(subs: Subscription[] | undefined, id: string | undefined): string | undefined {
  return subs?.find((s) => s.subscriptionId.toLowerCase() === id?.toLowerCase())?.subscriptionId;
}

function Shell(props: { session: Session; route: Route; onSignedOut: () => void }) {
  const { session } = props;
  const client = useMemo(() => clientFor(session), [session]);
  const [subs, setSubs] = useState<Subscription[]>();
  const [subsError, setSubsError] = useState<string>();
  useEffect(() => {
    client.listSubscriptions().then(setSubs, (e: Error) => setSubsError(e.message));
  }, [client]);
  // A link is anyone's to write: its subscription is used only once the session's own list holds it.
  const subscription = knownSubscription(subs, props.route.subscription);
  const unknown = subs && props.route.subscription && !subscription ? props.route.subscription : undefined;
  const route = useMemo(() => ({ ...props.route, subscription }), [props.route, subscription]);
  useEffect(() => {
    if (subs?.length && !props.route.subscription)
      navigate({ ...props.route, subscription: subs[0].subscriptionId, group: undefined, workspace: undefined }, { replace: true });
  }, [subs, props.route]);
  const role = route.subscription ? roleIn(session, route.subscription) : undefined;
  const allowed = canWrite(role);
  const why = whyReadOnly(role);
  const [started, setStarted] = useState<{ compute: string; operation: FollowedOperation }>();
  const scope =
    route.subscription && route.group && route.workspace ? { subscription: route.subscription, group: route.group, workspace: route.workspace } : undefined;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <TopBar
        client={client}
        route={route}
        subscriptions={subs}
        role={role}
        userName={session.name}
        onSignOut={async () => {
          await signOut(session).catch(() => undefined);
          props.onSignedOut();
        }}
      />
      {unknown || subsError ? (
        <main id="main">
          <h1>Inference clusters</h1>
          <Problems
            problems={[
              subsError ??
                `This link names the subscription '${unknown}', which is not one of the subscriptions you can see. Choose one of yours above; nothing was read or changed in '${unknown}'.`,
            ]}
          />
        </main>
      ) : !subs ? (
        <main id="main">
          <h1>Inference clusters</h1>
          <p role="status">Loading…</p>
        </main>
      ) : !scope ? (
        <main id="main">
          <h1>Inference clusters</h1>
          <p className="empty">Choose a subscription, a resource group and a workspace above (or create a workspace with New workspace).</p>
        </main>
      ) : route.page === 'new' ? (
        <Wizard
          client={client}
          scope={scope}
          location="westus"
          allowed={allowed}
          why={why}
          onDone={(name, operation) => {
            setStarted({ compute: name, operation });
            navigate({ ...route, page: 'compute', compute: name });
          }}
          onCancel={() => navigate({ ...route, page: 'list' })}
        />
      ) : route.page === 'compute' && route.compute ? (
        <ComputeDetails
          key={route.compute}
          client={client}
          scope={scope}
          name={route.compute}
          allowed={allowed}
          why={why}
          onGone={() => navigate({ ...route, page: 'list', compute: undefined })}
          started={started?.compute === route.compute ? started.operation : undefined}
        />
      ) : (
        <ListPage client={client} route={route} scope={scope} allowed={allowed} why={why} />
      )}
    </>
  );
}

function ListPage(props: {
  client: ReturnType<typeof clientFor>;
  route: Route;
  scope: { subscription: string; group: string; workspace: string };
  allowed: boolean;
  why: string;
}) {
  const { client, scope, route } = props;
  const [computes, setComputes] = useState<ComputeResource[]>();
  const [error, setError] = useState<string>();
  const load = async () => {
    try {
      const all: ComputeResource[] = [];
      for await (const c of client.listComputes(scope.subscription, scope.group, scope.workspace)) all.push(c);
      setComputes(all);
      setError(undefined);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => {
    setComputes(undefined);
    void load();
  }, [client, scope.subscription, scope.group, scope.workspace]);
  const running = !!computes?.some((c) => provisioningInProgress(c.properties.provisioningState));
  useInterval(() => void load(), 1000, running);
  useInterval(() => void load(), 15_000, !running);
  return (
    <main id="main">
      <div className="page-head">
        <h1>Inference clusters</h1>
        <WriteButton allowed={props.allowed} why={props.why} onClick={() => navigate({ ...route, page: 'new' })} className="primary">
          New
        </WriteButton>
      </div>
      <Problems problems={error ? [error] : undefined} />
      {computes === undefined ? (
        <p role="status">Loading…</p>
      ) : (
        <ComputeTable
          computes={computes}
          hrefOf={(name) => hrefOf({ ...route, page: 'compute', compute: name })}
          onOpen={(name) => navigate({ ...route, page: 'compute', compute: name })}
        />
      )}
      {running && (
        <p role="status" className="hint">
          An operation is running: this list refreshes every second.
        </p>
      )}
    </main>
  );
}
