import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '@berth/pki';
import { identityOfToken, serviceAccountToken } from '../src/kube/credentials.js';
import { freshPostgresDatabase, httpsRequest, startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { berthProcesses } from '../../../test-support/process.js';
import {
  clusterBody,
  clusterCredential,
  eventually,
  Kubectl,
  kubeApi,
  managedClusterPath,
  newClusterAsAdmin,
  putManagedCluster,
  type ArmCall,
} from '../../../test-support/kube.js';

const denied = (account: string, verb: string, resource: string, where: string) =>
  `is forbidden: User "system:serviceaccount:${account}" cannot ${verb} resource "${resource}" in API group ""${where}`;

/** A script for a pod: calls its cluster's API with its own service-account token (from the folder given as its argument) and prints what it got. */
const PROBE_SCRIPT = `
import { readFileSync } from 'node:fs';
import https from 'node:https';
const dir = process.argv[2];
const token = readFileSync(dir + '/token', 'utf8');
const ca = readFileSync(dir + '/ca.crt');
const server = /server: (\\S+)/.exec(readFileSync(process.env.KUBECONFIG, 'utf8'))[1];
const get = (path) => new Promise((resolve) => {
  https.get(server + path, { ca, headers: { authorization: 'Bearer ' + token } }, (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve({ status: res.statusCode, message: JSON.parse(body).message }));
  }).on('error', (err) => resolve({ error: err.message }));
});
console.log(JSON.stringify({ secrets: await get('/api/v1/namespaces/default/secrets'), configmaps: await get('/api/v1/namespaces/default/configmaps') }));
setInterval(() => {}, 1 << 30);
`;

describe("the local cluster's API judges service accounts by RBAC", () => {
  let berth: TestBerth;
  let kubectl: Kubectl;
  let api: ReturnType<typeof kubeApi>;
  const as = (token: string, args: string[]) => kubectl.run([`--token=${token}`, ...args]);

  beforeAll(async () => {
    berth = await startTestBerth({ provisioningDelayMs: 0, runWorkloads: true });
    ({ kubectl, api } = await newClusterAsAdmin(berth, 'rbac-rg', 'rbac'));
  });
  afterAll(async () => {
    await kubectl?.close();
    await berth?.close();
  });

  it('grants a token from `kubectl create token` nothing until Roles and ClusterRoles bound to it say so, each where it is bound', async () => {
    await kubectl.ok(['create', 'namespace', 'team']);
    await kubectl.ok(['create', 'configmap', 'settings', '--from-literal=a=b']);
    await kubectl.ok(['create', 'secret', 'generic', 's1', '--from-literal=x=y']);
    await kubectl.ok(['create', 'secret', 'generic', 's2', '--from-literal=x=y']);
    const token = (await kubectl.ok(['create', 'token', 'default'])).trim();

    let res = await as(token, ['get', 'secrets', '-A']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`secrets ${denied('default:default', 'list', 'secrets', ' at the cluster scope')}`);
    res = await as(token, ['get', 'configmaps']);
    expect(res.stderr).toContain(`configmaps ${denied('default:default', 'list', 'configmaps', ' in the namespace "default"')}`);

    // A Role, bound in its namespace (kubectl sends both as protobuf).
    await kubectl.ok(['create', 'role', 'reader', '--verb=get,list', '--resource=configmaps']);
    await kubectl.ok(['create', 'rolebinding', 'reader', '--role=reader', '--serviceaccount=default:default']);
    expect(await kubectl.ok([`--token=${token}`, 'get', 'configmaps', '-o', 'name'])).toContain('configmap/settings');
    // kubectl auth can-i asks the same rules (SelfSubjectAccessReview, sent as protobuf).
    expect((await as(token, ['auth', 'can-i', 'list', 'configmaps'])).stdout).toBe('yes\n');
    res = await as(token, ['auth', 'can-i', 'list', 'configmaps', '-n', 'team']);
    expect([res.code, res.stdout]).toEqual([1, 'no\n']);
    expect((await as(token, ['auth', 'can-i', 'list', 'configmaps', '-A'])).stdout).toBe('no\n');
    expect((await kubectl.run(['auth', 'can-i', '*', '*', '-A'])).stdout).toBe('yes\n');
    res = await as(token, ['get', 'configmaps', '-n', 'team']);
    expect(res.stderr).toContain(denied('default:default', 'list', 'configmaps', ' in the namespace "team"'));
    res = await as(token, ['delete', 'configmap', 'settings']);
    expect(res.stderr).toContain(`configmaps "settings" ${denied('default:default', 'delete', 'configmaps', ' in the namespace "default"')}`);
    expect(await kubectl.ok(['get', 'configmap', 'settings', '-o', 'name'])).toContain('configmap/settings');

    // A ClusterRole naming one Secret, bound cluster-wide to every service account.
    await kubectl.ok(['create', 'clusterrole', 'one-secret', '--verb=get', '--resource=secrets', '--resource-name=s1']);
    await kubectl.ok(['create', 'clusterrolebinding', 'one-secret', '--clusterrole=one-secret', '--group=system:serviceaccounts']);
    expect(await kubectl.ok([`--token=${token}`, 'get', 'secret', 's1', '-o', 'name'])).toBe('secret/s1\n');
    res = await as(token, ['get', 'secret', 's2']);
    expect(res.stderr).toContain(`secrets "s2" ${denied('default:default', 'get', 'secrets', ' in the namespace "default"')}`);
    res = await as(token, ['get', 'secrets']);
    expect(res.stderr).toContain(denied('default:default', 'list', 'secrets', ' in the namespace "default"'));
    expect((await as(token, ['auth', 'can-i', 'get', 'secret/s1'])).stdout).toBe('yes\n');
    expect((await as(token, ['auth', 'can-i', 'get', 'secret/s2'])).stdout).toBe('no\n');
    const list = await kubectl.ok([`--token=${token}`, 'auth', 'can-i', '--list']);
    expect(list).toMatch(/^configmaps +\[\] +\[\] +\[get list\]$/m);
    expect(list).toMatch(/^secrets +\[\] +\[s1\] +\[get\]$/m);
    expect(list).toMatch(/^selfsubjectaccessreviews.authorization.k8s.io +\[\] +\[\] +\[create\]$/m);

    // Another account: the group binding reaches it, the RoleBinding of default:default does not.
    await kubectl.ok(['create', 'serviceaccount', 'robot', '-n', 'team']);
    const robot = (await kubectl.ok(['create', 'token', 'robot', '-n', 'team'])).trim();
    expect(await kubectl.ok([`--token=${robot}`, 'get', 'secret', 's1', '-o', 'name'])).toBe('secret/s1\n');
    res = await as(robot, ['get', 'configmaps']);
    expect(res.stderr).toContain(denied('team:robot', 'list', 'configmaps', ' in the namespace "default"'));

    // Taking a binding away takes effect at the next request.
    await kubectl.ok(['delete', 'clusterrolebinding', 'one-secret']);
    expect((await as(robot, ['get', 'secret', 's1'])).stderr).toContain(
      `secrets "s1" ${denied('team:robot', 'get', 'secrets', ' in the namespace "default"')}`,
    );
  });

  it('lets a service account grant through roles and bindings only what it holds, unless it may escalate or bind', async () => {
    await kubectl.ok(['create', 'serviceaccount', 'delegate', '-n', 'team']);
    await kubectl.ok(['create', 'role', 'delegator', '-n', 'team', '--verb=get,list,create,update,patch', '--resource=roles,rolebindings,configmaps']);
    await kubectl.ok(['create', 'rolebinding', 'delegator', '-n', 'team', '--role=delegator', '--serviceaccount=team:delegate']);
    const token = (await kubectl.ok(['create', 'token', 'delegate', '-n', 'team'])).trim();
    const notHeld = (kind: string, name: string) =>
      `${kind}.rbac.authorization.k8s.io "${name}" is forbidden: user "system:serviceaccount:team:delegate" is attempting to grant RBAC permissions not currently held:`;

    expect((await as(token, ['create', 'role', 'cm-reader', '-n', 'team', '--verb=get', '--resource=configmaps'])).code).toBe(0);
    let res = await as(token, ['create', 'role', 'secret-reader', '-n', 'team', '--verb=list', '--resource=secrets']);
    expect(res.stderr).toContain(notHeld('roles', 'secret-reader'));
    expect(res.stderr).toContain('{APIGroups:[""], Resources:["secrets"], Verbs:["list"]}');
    res = await as(token, ['patch', 'role', 'cm-reader', '-n', 'team', '--type=json', '-p', '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]']);
    expect(res.stderr).toContain('{APIGroups:[""], Resources:["configmaps"], Verbs:["delete"]}');
    expect(await kubectl.ok(['get', 'role', 'cm-reader', '-n', 'team', '-o', 'jsonpath={.rules[0].verbs}'])).toBe('["get"]');

    await kubectl.ok(['create', 'clusterrole', 'secret-admin', '--verb=get,list,delete', '--resource=secrets']);
    const take = ['create', 'rolebinding', 'take', '-n', 'team', '--clusterrole=secret-admin', '--serviceaccount=team:delegate'];
    res = await as(token, take);
    expect(res.stderr).toContain(notHeld('rolebindings', 'take'));
    expect(res.stderr).toContain('Resources:["secrets"], Verbs:["delete"]');
    expect((await kubectl.run(['get', 'rolebinding', 'take', '-n', 'team'])).stderr).toContain('not found');

    // Allowed to bind that ClusterRole, and to escalate Roles: both writes go through.
    await kubectl.ok(['create', 'role', 'binder', '-n', 'team', '--verb=bind', '--resource=clusterroles', '--resource-name=secret-admin']);
    await kubectl.ok(['create', 'role', 'escalator', '-n', 'team', '--verb=escalate', '--resource=roles']);
    await kubectl.ok(['create', 'rolebinding', 'binder', '-n', 'team', '--role=binder', '--serviceaccount=team:delegate']);
    await kubectl.ok(['create', 'rolebinding', 'escalator', '-n', 'team', '--role=escalator', '--serviceaccount=team:delegate']);
    expect((await as(token, take)).code).toBe(0);
    expect((await as(token, ['get', 'secrets', '-n', 'team'])).code).toBe(0);
    expect((await as(token, ['create', 'role', 'secret-reader', '-n', 'team', '--verb=list', '--resource=secrets'])).code).toBe(0);
  });

  it('starts every cluster with the ClusterRoles cluster-admin, admin, edit and view, which bind as on any cluster', async () => {
    expect(await kubectl.ok(['get', 'clusterroles', '-l', 'kubernetes.io/bootstrapping=rbac-defaults', '-o', 'name'])).toBe(
      ['admin', 'cluster-admin', 'edit', 'view'].map((n) => `clusterrole.rbac.authorization.k8s.io/${n}\n`).join(''),
    );
    await kubectl.ok(['create', 'serviceaccount', 'helper', '-n', 'team']);
    const helper = (await kubectl.ok(['create', 'token', 'helper', '-n', 'team'])).trim();
    const can = async (...args: string[]) => (await as(helper, ['auth', 'can-i', ...args, '-n', 'team'])).stdout.trim();

    await kubectl.ok(['create', 'rolebinding', 'helper-views', '-n', 'team', '--clusterrole=view', '--serviceaccount=team:helper']);
    expect([await can('list', 'pods'), await can('get', 'pods/log'), await can('list', 'secrets'), await can('create', 'configmaps')]).toEqual([
      'yes',
      'yes',
      'no',
      'no',
    ]);
    expect((await as(helper, ['get', 'pods', '-A'])).stderr).toContain(denied('team:helper', 'list', 'pods', ' at the cluster scope'));

    await kubectl.ok(['create', 'rolebinding', 'helper-edits', '-n', 'team', '--clusterrole=edit', '--serviceaccount=team:helper']);
    expect([await can('create', 'configmaps'), await can('list', 'secrets'), await can('create', 'roles')]).toEqual(['yes', 'yes', 'no']);

    await kubectl.ok(['create', 'rolebinding', 'helper-admins', '-n', 'team', '--clusterrole=admin', '--serviceaccount=team:helper']);
    expect((await as(helper, ['create', 'role', 'pod-reader', '-n', 'team', '--verb=get,list', '--resource=pods'])).code).toBe(0);
    expect((await as(helper, ['create', 'role', 'node-reader', '-n', 'team', '--verb=get', '--resource=nodes'])).stderr).toContain(
      'attempting to grant RBAC permissions not currently held',
    );
  });

  it('refuses token requests for an unknown account, with a bad lifetime or method, tokens that were tampered with, and malformed reviews', async () => {
    let res = await kubectl.run(['create', 'token', 'nobody']);
    expect(res.stderr).toContain('serviceaccounts "nobody" not found');
    res = await kubectl.run(['create', 'token', 'default', '--duration=1s']);
    expect(res.stderr).toMatch(/TokenRequest "default" is invalid: spec.expirationSeconds: Invalid value: 1: must be a whole number of seconds from 600/);

    const tokenPath = '/api/v1/namespaces/default/serviceaccounts/default/token';
    const notANumber = await api('POST', tokenPath, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 'soon' } },
    });
    expect(notANumber.status).toBe(422);
    expect(notANumber.body).toMatchObject({ kind: 'Status', reason: 'Invalid' });
    expect((await api('GET', tokenPath)).status).toBe(405);

    const reviews = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    for (const spec of [{}, { resourceAttributes: { verb: 'get', resource: 'pods' }, nonResourceAttributes: { path: '/version', verb: 'get' } }]) {
      const review = await api('POST', reviews, { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec } });
      expect(review.status).toBe(422);
      expect(review.body.message).toContain('exactly one of nonResourceAttributes or resourceAttributes must be specified');
    }
    expect((await api('GET', reviews)).status).toBe(405);
    const rules = await api('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { body: { kind: 'SelfSubjectRulesReview', spec: {} } });
    expect([rules.status, rules.body.reason]).toEqual([422, 'Invalid']);

    const issued = await api('POST', tokenPath, { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } } });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ kind: 'TokenRequest', spec: { expirationSeconds: 600 }, status: { token: expect.any(String) } });
    const expires = Date.parse(issued.body.status.expirationTimestamp);
    expect(expires - Date.now()).toBeGreaterThan(590_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(600_000);

    // The claims name the account: another account's name under the same MAC is refused.
    const [kind, claims, mac] = issued.body.status.token.split('.');
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), ns: 'kube-system' })).toString('base64url');
    for (const forged of [`${kind}.${other}.${mac}`, `${kind}.${claims}.${mac.slice(1)}`, `${kind}.${mac}`]) {
      const refused = await api('GET', '/api/v1/namespaces/default/configmaps', { token: forged });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
    }
  });

  it("gives a running pod its own service account's token, which RBAC judges like any other", async () => {
    await kubectl.ok(['create', 'serviceaccount', 'reader-bot']);
    await kubectl.ok(['create', 'rolebinding', 'reader-bot', '--role=reader', '--serviceaccount=default:reader-bot']);
    await kubectl.ok(['create', 'configmap', 'probe', '--from-literal=main.mjs=' + PROBE_SCRIPT]);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', namespace: 'default' },
      spec: {
        serviceAccountName: 'reader-bot',
        containers: [
          {
            name: 'main',
            image: 'node:20-alpine',
            command: ['node', '/srv/main.mjs', '/var/run/secrets/kubernetes.io/serviceaccount'],
            volumeMounts: [{ name: 'code', mountPath: '/srv' }],
          },
        ],
        volumes: [{ name: 'code', configMap: { name: 'probe' } }],
      },
    };
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(pod));
    const printed = await eventually(
      'the pod to print what its API calls got',
      async () => {
        const res = await kubectl.run(['logs', 'probe']);
        return res.code === 0 && res.stdout.trim() ? JSON.parse(res.stdout.trim().split('\n')[0]) : undefined;
      },
      20_000,
    );
    expect(printed.configmaps).toMatchObject({ status: 200 });
    expect(printed.secrets.status).toBe(403);
    expect(printed.secrets.message).toBe(`secrets ${denied('default:reader-bot', 'list', 'secrets', ' in the namespace "default"')}`);
  });
});

describe('service-account tokens', () => {
  const box = new SecretBox(randomBytes(32));
  const robot = { namespace: 'team', name: 'robot' };

  it('name their account and what they are bound to, are worthless on another cluster, and stop working when they expire', () => {
    const binding = { account: robot, accountUid: 'uid-1', object: { kind: 'Pod' as const, name: 'p', uid: 'uid-2' } };
    const inAMinute = new Date(Date.now() + 60_000);
    expect(identityOfToken(box, 'c1', serviceAccountToken(box, 'c1', binding, inAMinute))).toEqual({ role: 'serviceaccount', serviceAccount: robot, binding });
    expect(identityOfToken(box, 'c2', serviceAccountToken(box, 'c1', binding, inAMinute))).toBeUndefined();
    expect(identityOfToken(box, 'c1', serviceAccountToken(box, 'c1', binding, new Date(Date.now() - 1000)))).toBeUndefined();
  });
});

describe.runIf(process.env.BERTH_TEST_PG)('RBAC across several berth up processes on one PostgreSQL', () => {
  const procs = berthProcesses('berth-rbac-');

  it('a binding made or removed through one process holds in the other within about a second (its snapshot of RBAC objects lives 1 s)', async () => {
    const db = await freshPostgresDatabase();
    procs.cleanup(db.drop);
    const home = await procs.tempHome();
    const common = ['--home', home, '--port', '0', '--provisioning-delay-ms', '0', '--no-run-workloads', '--store', db.url];
    const a = await procs.up(common);
    const b = await procs.up(common);
    const token = (await readFile(join(home, 'token'), 'utf8')).trim();
    const ca = await readFile(join(home, 'ca.pem'), 'utf8');
    const call: ArmCall = (method, p, o = {}) =>
      httpsRequest(new URL(p, a.url).toString(), ca, method, { ...o, token: o.token === undefined ? token : o.token });
    const sub = (await call('GET', '/subscriptions?api-version=2020-01-01')).body.value[0].subscriptionId;
    expect((await call('PUT', `/subscriptions/${sub}/resourcegroups/two-rg?api-version=2021-04-01`, { body: { location: 'westus' } })).status).toBe(201);
    const clusterPath = managedClusterPath(sub, 'two-rg', 'two');
    expect((await putManagedCluster(call, clusterPath, clusterBody())).operation.status).toBe('Succeeded');
    const kubeconfig = await clusterCredential(call, clusterPath, 'admin');
    const viaA = kubeApi(kubeconfig);
    const viaB = kubeApi(kubeconfig.replace(a.url, b.url));
    const issued = await viaA('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { body: { spec: {} } });
    const asAccount = { token: issued.body.status.token };
    const listThroughB = async () => (await viaB('GET', '/api/v1/namespaces/default/configmaps', asAccount)).status;
    expect(await listThroughB()).toBe(403);

    const rbac = '/apis/rbac.authorization.k8s.io/v1/namespaces/default';
    expect(
      (await viaA('POST', `${rbac}/roles`, { body: { metadata: { name: 'cm' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] } }))
        .status,
    ).toBe(201);
    const bound = await viaA('POST', `${rbac}/rolebindings`, {
      body: {
        metadata: { name: 'cm' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'default' }],
      },
    });
    expect(bound.status).toBe(201);
    let since = Date.now();
    await eventually('B to allow the list', async () => ((await listThroughB()) === 200 ? true : undefined), 5000);
    expect(Date.now() - since).toBeLessThan(2000);

    expect((await viaA('DELETE', `${rbac}/rolebindings/cm`)).status).toBe(200);
    since = Date.now();
    await eventually('B to refuse the list', async () => ((await listThroughB()) === 403 ? true : undefined), 5000);
    expect(Date.now() - since).toBeLessThan(2000);
  });
});
