import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, testStores, type TestBerth } from '../../../test-support/berth.js';
import { eventually, Kubectl, kubeApi, newClusterAsAdmin } from '../../../test-support/kube.js';

const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** A script for the control pod: prints the files its mounts (given as arguments) hold. */
const READER = `
import { readFileSync } from 'node:fs';
console.log(JSON.stringify(process.argv.slice(2).map((path) => readFileSync(path, 'utf8'))));
setInterval(() => {}, 1 << 30);
`;

interface Volume {
  name: string;
  [source: string]: unknown;
}
interface Mount {
  name: string;
  mountPath: string;
  subPath?: string;
}

function pod(name: string, volumes: Volume[], mounts: Mount[], args: string[] = []): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'node:20-alpine',
          command: ['node', '/code/main.mjs', ...args],
          volumeMounts: [{ name: 'code', mountPath: '/code' }, ...mounts],
        },
      ],
      volumes: [{ name: 'code', configMap: { name: 'reader' } }, ...volumes],
    },
  };
}

/** Each refused spec and the one cause Kubernetes gives for it. */
const REFUSED: Array<{ what: string; volumes: Volume[]; mounts: Mount[]; cause: string }> = [
  {
    what: 'a volume name that climbs out',
    volumes: [{ name: '../../../../probe-escape', emptyDir: {} }],
    mounts: [{ name: '../../../../probe-escape', mountPath: '/data' }],
    cause: `spec.volumes[1].name: Invalid value: "../../../../probe-escape": ${LABEL_MESSAGE}`,
  },
  {
    what: 'a volume name that is no DNS label',
    volumes: [{ name: 'Data_1', emptyDir: {} }],
    mounts: [],
    cause: `spec.volumes[1].name: Invalid value: "Data_1": ${LABEL_MESSAGE}`,
  },
  {
    what: 'a mount of no volume',
    volumes: [],
    mounts: [{ name: 'nowhere', mountPath: '/data' }],
    cause: 'spec.containers[0].volumeMounts[1].name: Not found: "nowhere"',
  },
  {
    what: 'a subPath with ..',
    volumes: [{ name: 'data', emptyDir: {} }],
    mounts: [{ name: 'data', mountPath: '/data', subPath: 'a/../../..' }],
    cause: `spec.containers[0].volumeMounts.subPath: Invalid value: "a/../../..": must not contain '..'`,
  },
  {
    what: 'an absolute subPath',
    volumes: [{ name: 'data', emptyDir: {} }],
    mounts: [{ name: 'data', mountPath: '/data', subPath: '/etc' }],
    cause: `spec.containers[0].volumeMounts.subPath: Invalid value: "/etc": must be a relative path`,
  },
  {
    what: "a ConfigMap item's path with ..",
    volumes: [{ name: 'cfg', configMap: { name: 'reader', items: [{ key: 'main.mjs', path: '../../escape.mjs' }] } }],
    mounts: [],
    cause: `spec.volumes[1].configMap.items[0].path: Invalid value: "../../escape.mjs": must not contain '..'`,
  },
  {
    what: "a Secret item's absolute path",
    volumes: [{ name: 'sec', secret: { secretName: 'keys', items: [{ key: 'k', path: '/etc/passwd' }] } }],
    mounts: [],
    cause: `spec.volumes[1].secret.items[0].path: Invalid value: "/etc/passwd": must be a relative path`,
  },
  {
    what: "a projected item's path the kubelet keeps for itself",
    volumes: [{ name: 'proj', projected: { sources: [{ configMap: { name: 'reader', items: [{ key: 'main.mjs', path: '..data' }] } }] } }],
    mounts: [],
    cause: `spec.volumes[1].projected.sources[0].configMap.items[0].path: Invalid value: "..data": must not start with '..'`,
  },
];

describe.each(testStores())("the kubelet's paths stay in the pod's folder on %s", (store) => {
  let berth: TestBerth;
  let kubectl: Kubectl;
  let api: ReturnType<typeof kubeApi>;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  beforeAll(async () => {
    berth = await startTestBerth({ store, provisioningDelayMs: 0, runWorkloads: true });
    ({ kubectl, api } = await newClusterAsAdmin(berth, 'paths-rg', 'paths'));
    const kc = new KubeConfig();
    kc.loadFromFile(kubectl.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await kubectl.ok(['create', 'configmap', 'reader', `--from-literal=main.mjs=${READER}`, '--from-literal=settings.json={"a":1}']);
    await kubectl.ok(['create', 'secret', 'generic', 'keys', '--from-literal=k=v']);
  });
  afterAll(async () => {
    await kubectl?.close();
    await berth?.close();
  });

  const stored = async () => (await api('GET', '/api/v1/namespaces/default/pods')).body.items.map((p: V1Pod) => p.metadata?.name);

  it.each(REFUSED)('refuses $what with 422 Invalid through kubectl and client-node, storing nothing', async ({ volumes, mounts, cause }) => {
    const before = await stored();
    const res = await kubectl.run(['apply', '-f', '-'], JSON.stringify(pod('bad', volumes, mounts)));
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`The Pod "bad" is invalid: ${cause}`);

    const err = await core.createNamespacedPod({ namespace: 'default', body: pod('bad', volumes, mounts) }).then(
      () => undefined,
      (e: { code?: number; body?: string }) => e,
    );
    expect(err?.code).toBe(422);
    const status = JSON.parse(err!.body!);
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, details: { name: 'bad', kind: 'Pod' } });
    expect(status.message).toBe(`Pod "bad" is invalid: ${cause}`);
    expect(await stored()).toEqual(before);
  });

  it("refuses a Deployment whose pod template climbs out, naming the template's field", async () => {
    const template = pod('x', REFUSED[0].volumes, REFUSED[0].mounts);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad-deploy', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'bad' } }, template: { metadata: { labels: { app: 'bad' } }, spec: template.spec } },
    };
    const res = await kubectl.run(['apply', '-f', '-'], JSON.stringify(deployment));
    expect(res.stderr).toContain(`The Deployment "bad-deploy" is invalid: spec.template.spec.volumes[1].name: Invalid value: "../../../../probe-escape"`);
    const err = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment }).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(err?.code).toBe(422);
    expect((await api('GET', '/apis/apps/v1/namespaces/default/deployments/bad-deploy')).status).toBe(404);
  });

  it('refuses ConfigMap keys that are no file names, as Kubernetes does', async () => {
    const res = await api('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'bad-keys' }, data: { '../x': '1' } } });
    expect(res.status).toBe(422);
    expect(res.body.message).toContain(
      `ConfigMap "bad-keys" is invalid: data[../x]: Invalid value: "../x": a valid config key must consist of alphanumeric characters`,
    );
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/bad-keys')).status).toBe(404);
  });

  it('admits and runs a pod with good names, subPaths and item paths; nothing is written outside its folder', async () => {
    const good = pod(
      'good',
      [
        { name: 'cfg', configMap: { name: 'reader', items: [{ key: 'settings.json', path: 'conf/app.json' }] } },
        { name: 'sec', secret: { secretName: 'keys', items: [{ key: 'k', path: 'nested/key.txt' }] } },
      ],
      [
        { name: 'cfg', mountPath: '/etc/app', subPath: 'conf' },
        { name: 'sec', mountPath: '/keys' },
      ],
      ['/etc/app/app.json', '/keys/nested/key.txt'],
    );
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(good));
    const printed = await eventually(
      'the pod to print its files',
      async () => {
        const res = await kubectl.run(['logs', 'good']);
        return res.code === 0 && res.stdout.trim() ? JSON.parse(res.stdout.trim()) : undefined;
      },
      20_000,
    );
    expect(printed).toEqual(['{"a":1}', 'v']);
    expect(await readdir(join(berth.home, 'workloads'))).not.toContain('probe-escape');
  });
});
