import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, testStores, type TestBerth } from '../../../test-support/berth.js';
import { eventually, Kubectl, kubeApi, newClusterAsAdmin } from '../../../test-support/kube.js';

/** How long pod tokens live in these tests (1 hour in `berth up`): renewed at 80%, so after 8 s. */
const POD_TOKEN_LIFETIME_MS = 10_000;

/** A pod's script: prints its token file (in the folder given as its argument) and its KUBECONFIG's token each time they change. */
const TOKEN_PRINTER = `
import { readFileSync } from 'node:fs';
let last = '';
const print = () => {
  const file = readFileSync(process.argv[2] + '/token', 'utf8');
  const kubeconfig = /token: (\\S+)/.exec(readFileSync(process.env.KUBECONFIG, 'utf8'))[1];
  if (file + kubeconfig !== last) console.log(JSON.stringify({ file, kubeconfig }));
  last = file + kubeconfig;
};
print();
setInterval(print, 100);
`;

interface Claims {
  iat: number;
  exp: number;
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string }; pod?: { name: string; uid: string } };
}
const claimsOf = (token: string): Claims => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

describe.each(testStores())('bound service-account tokens on %s', (store) => {
  let berth: TestBerth;
  let kubectl: Kubectl;
  let api: ReturnType<typeof kubeApi>;
  /** The status of a namespaced list with a token: 200 or 403 when the token is accepted (RBAC decides), 401 when it is not. */
  const statusWith = async (token: string, namespace = 'default') => {
    const res = await api('GET', `/api/v1/namespaces/${namespace}/configmaps`, { token });
    if (res.status === 401) expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    return res.status;
  };
  const uidOf = async (args: string[]) => JSON.parse(await kubectl.ok(['get', ...args, '-o', 'json'])).metadata.uid as string;

  beforeAll(async () => {
    berth = await startTestBerth({ store, provisioningDelayMs: 0, runWorkloads: true, podTokenLifetimeMs: POD_TOKEN_LIFETIME_MS });
    ({ kubectl, api } = await newClusterAsAdmin(berth, 'tokens-rg', 'tokens'));
  });
  afterAll(async () => {
    await kubectl?.close();
    await berth?.close();
  });

  it("carries its service account's uid and stops working at once when the account is deleted, even if one of that name comes back", async () => {
    await kubectl.ok(['create', 'serviceaccount', 'robot']);
    await kubectl.ok(['create', 'rolebinding', 'robot-views', '--clusterrole=view', '--serviceaccount=default:robot']);
    const uid = await uidOf(['serviceaccount', 'robot']);
    const token = (await kubectl.ok(['create', 'token', 'robot'])).trim();
    expect(claimsOf(token)['kubernetes.io']).toEqual({ namespace: 'default', serviceaccount: { name: 'robot', uid } });
    // Control: the token works while its account exists.
    expect(await statusWith(token)).toBe(200);
    expect((await kubectl.run([`--token=${token}`, 'get', 'configmaps'])).code).toBe(0);

    await kubectl.ok(['delete', 'serviceaccount', 'robot']);
    const deletedAt = Date.now();
    await eventually('the token to be refused', async () => ((await statusWith(token)) === 401 ? true : undefined), 5000);
    expect(Date.now() - deletedAt).toBeLessThan(1000);
    const refused = await kubectl.run([`--token=${token}`, 'get', 'configmaps']);
    expect(refused.stderr).toContain('You must be logged in to the server (Unauthorized)');

    // A new account of the same name has another uid: the old token stays refused, a new one works.
    await kubectl.ok(['create', 'serviceaccount', 'robot']);
    expect(await uidOf(['serviceaccount', 'robot'])).not.toBe(uid);
    expect(await statusWith(token)).toBe(401);
    expect(await statusWith((await kubectl.ok(['create', 'token', 'robot'])).trim())).toBe(200);
  });

  it('has every namespace hold a real `default` account; deleted, it is made again with a new uid that old tokens do not carry', async () => {
    await kubectl.ok(['create', 'namespace', 'team']);
    const uid = await eventually('the default account of a new namespace', async () => {
      const res = await kubectl.run(['get', 'serviceaccount', 'default', '-n', 'team', '-o', 'json']);
      return res.code === 0 ? (JSON.parse(res.stdout).metadata.uid as string) : undefined;
    });
    const token = (await kubectl.ok(['create', 'token', 'default', '-n', 'team'])).trim();
    // Control: accepted (RBAC then forbids the list: 403, not 401).
    expect(await statusWith(token, 'team')).toBe(403);

    await kubectl.ok(['delete', 'serviceaccount', 'default', '-n', 'team']);
    const again = await eventually('the default account made again', async () => {
      const res = await kubectl.run(['get', 'serviceaccount', 'default', '-n', 'team', '-o', 'json']);
      return res.code === 0 ? (JSON.parse(res.stdout).metadata.uid as string) : undefined;
    });
    expect(again).not.toBe(uid);
    expect(await statusWith(token, 'team')).toBe(401);
    expect(await statusWith((await kubectl.ok(['create', 'token', 'default', '-n', 'team'])).trim(), 'team')).toBe(403);
  });

  it('caps a requested lifetime at 48 hours, and binds a requested token only to a pod that exists', async () => {
    const long = JSON.parse(await kubectl.ok(['create', 'token', 'default', '--duration=100h', '-o', 'json']));
    expect(long.spec.expirationSeconds).toBe(48 * 3600);
    const lifetime = Date.parse(long.status.expirationTimestamp) - Date.now();
    expect(lifetime).toBeGreaterThan(48 * 3600_000 - 60_000);
    expect(lifetime).toBeLessThanOrEqual(48 * 3600_000);
    expect(claimsOf(long.status.token).exp - claimsOf(long.status.token).iat).toBeLessThanOrEqual(48 * 3600 + 1);

    const res = await kubectl.run(['create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=nobody']);
    expect(res.stderr).toContain('pods "nobody" not found');
  });

  it("gives a pod a token bound to it that expires, renews the token file and KUBECONFIG before it does, and refuses the pod's tokens once it is deleted", async () => {
    await kubectl.ok(['create', 'configmap', 'printer', `--from-literal=main.mjs=${TOKEN_PRINTER}`]);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'printer', namespace: 'default' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'main',
            image: 'node:20-alpine',
            command: ['node', '/srv/main.mjs', '/var/run/secrets/kubernetes.io/serviceaccount'],
            volumeMounts: [{ name: 'code', mountPath: '/srv' }],
          },
        ],
        volumes: [{ name: 'code', configMap: { name: 'printer' } }],
      },
    };
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(pod));
    const printed = async () => {
      const res = await kubectl.run(['logs', 'printer']);
      if (res.code !== 0 || !res.stdout.trim()) return undefined;
      return res.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { file: string; kubeconfig: string });
    };
    const [first] = await eventually('the pod to print its token', printed, 20_000);
    const podUid = await uidOf(['pod', 'printer']);
    const saUid = await uidOf(['serviceaccount', 'default']);
    expect(first.kubeconfig).toBe(first.file);
    const claims = claimsOf(first.file);
    expect(claims['kubernetes.io']).toEqual({ namespace: 'default', serviceaccount: { name: 'default', uid: saUid }, pod: { name: 'printer', uid: podUid } });
    expect((claims.exp - claims.iat) * 1000).toBeGreaterThanOrEqual(POD_TOKEN_LIFETIME_MS);
    expect((claims.exp - claims.iat) * 1000).toBeLessThanOrEqual(POD_TOKEN_LIFETIME_MS + 1000);
    expect(await statusWith(first.file)).toBe(403);

    // Renewed at 80% of its lifetime: the file and the KUBECONFIG change before the first token expires.
    // The token file and the KUBECONFIG are two files, each replaced whole: the pod may see one renewed before the other.
    const renewed = await eventually('a renewed token', async () => (await printed())?.find((p) => p.file !== first.file && p.kubeconfig === p.file), 15_000);
    expect(Date.now()).toBeLessThan(claims.exp * 1000);
    expect(claimsOf(renewed.file).exp).toBeGreaterThan(claims.exp);
    expect(await statusWith(renewed.file)).toBe(403);

    // Once expired, the first token is refused; the renewed one still works.
    await new Promise((resolve) => setTimeout(resolve, claims.exp * 1000 - Date.now() + 50));
    expect(await statusWith(first.file)).toBe(401);
    const current = (await printed())!.at(-1)!.file;
    expect(await statusWith(current)).toBe(403);

    // A requested token bound to the pod, too; both go with the pod.
    const bound = (await kubectl.ok(['create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=printer'])).trim();
    expect(claimsOf(bound)['kubernetes.io'].pod).toEqual({ name: 'printer', uid: podUid });
    expect(await statusWith(bound)).toBe(403);
    await kubectl.ok(['delete', 'pod', 'printer', '--wait=true']);
    expect(Date.now()).toBeLessThan(claimsOf(current).exp * 1000);
    expect(await statusWith(current)).toBe(401);
    expect(await statusWith(bound)).toBe(401);
  });
});
