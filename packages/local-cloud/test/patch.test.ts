import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from '../src/kube/patch.js';

/** Deep-freezes a value so any mutation by the code under test throws. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(frozen);
    Object.freeze(value);
  }
  return value;
}

function deployment() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web', tier: 'front' },
      finalizers: ['a', 'b'],
      ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u1' }],
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'app:1',
              ports: [
                { containerPort: 80, name: 'http' },
                { containerPort: 443, name: 'https' },
              ],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
            { name: 'sidecar', image: 'sidecar:1' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
        },
      },
    },
  };
}

describe('applyMergePatch', () => {
  it('merges nested maps and deletes keys set to null', () => {
    const target = frozen({ a: 1, b: { c: 2, d: { e: 3, f: 4 } }, g: [1, 2] });
    const result = applyMergePatch(target, { a: null, b: { d: { e: null, x: 5 }, y: { z: null, w: 1 } }, g: [3] });
    expect(result).toEqual({ b: { c: 2, d: { f: 4, x: 5 }, y: { w: 1 } }, g: [3] });
  });

  it('replaces non-objects and arrays wholesale', () => {
    expect(applyMergePatch({ a: [{ x: 1 }, { y: 2 }], b: 'text' }, { a: [{ z: null }], b: { c: 1 } })).toEqual({
      a: [{ z: null }],
      b: { c: 1 },
    });
  });

  it('never mutates or aliases its inputs', () => {
    const target = frozen({ a: { b: 1 }, keep: { deep: [1] } });
    const patch = frozen({ a: { c: [1, 2] }, n: { m: 1 } });
    const result = applyMergePatch<Record<string, any>>(target, patch);
    expect(result).toEqual({ a: { b: 1, c: [1, 2] }, keep: { deep: [1] }, n: { m: 1 } });
    expect(result.keep).not.toBe(target.keep);
    expect(result.a.c).not.toBe(patch.a.c);
  });

  it('rejects a patch that is not an object', () => {
    expect(() => applyMergePatch({ a: 1 }, [1])).toThrow(PatchError);
    expect(() => applyMergePatch({ a: 1 }, 'x')).toThrow(PatchError);
    expect(() => applyMergePatch({ a: 1 }, null)).toThrow(PatchError);
  });
});

describe('applyJsonPatch', () => {
  it('applies add, replace, remove, copy, move and a passing test', () => {
    const target = frozen({ spec: { replicas: 1, list: ['a'] }, metadata: { labels: { x: '1' } } });
    const result = applyJsonPatch(target, [
      { op: 'test', path: '/spec/replicas', value: 1 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/spec/list/-', value: 'b' },
      { op: 'add', path: '/metadata/labels/app~1name', value: 'web' },
      { op: 'remove', path: '/metadata/labels/x' },
      { op: 'copy', from: '/spec/replicas', path: '/spec/copied' },
      { op: 'move', from: '/spec/copied', path: '/moved' },
    ]);
    expect(result).toEqual({ spec: { replicas: 3, list: ['a', 'b'] }, metadata: { labels: { 'app/name': 'web' } }, moved: 3 });
  });

  it('fails a test operation without touching the target', () => {
    const target = { spec: { replicas: 1 } };
    expect(() =>
      applyJsonPatch(target, [
        { op: 'replace', path: '/spec/replicas', value: 5 },
        { op: 'test', path: '/spec/replicas', value: 2 },
      ]),
    ).toThrow(/^json patch: Test operation failed \(operation 1: test \/spec\/replicas\)$/);
    expect(target).toEqual({ spec: { replicas: 1 } });
  });

  it.each([
    ['a path that does not exist', [{ op: 'remove', path: '/nope' }], /path that does not exist/],
    ['a replace below a missing parent', [{ op: 'replace', path: '/a/b', value: 1 }], /path that does not exist/],
    ['an add below a missing parent', [{ op: 'add', path: '/a/b/c', value: 1 }], /Cannot perform an `add`/],
    ['an unknown op', [{ op: 'frobnicate', path: '/a' }], /not one of operations defined in RFC-6902/],
    ['a path without a leading slash', [{ op: 'add', path: 'a', value: 1 }], /must start with "\/"/],
    ['an add without a value', [{ op: 'add', path: '/a' }], /`value` property is not present/],
    ['an index out of bounds', [{ op: 'add', path: '/list/5', value: 1 }], /MUST NOT be greater/],
    ['a prototype modification', [{ op: 'add', path: '/__proto__/polluted', value: 1 }], /banned/],
    ['a body that is not a list', { op: 'add', path: '/a', value: 1 }, /must be a JSON array/],
  ])('rejects %s', (_name, operations, message) => {
    const target = frozen({ list: [1] });
    expect(() => applyJsonPatch(target, operations)).toThrow(PatchError);
    expect(() => applyJsonPatch(target, operations)).toThrow(message);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not alias operation values into the result', () => {
    const value = { nested: { x: 1 } };
    const result = applyJsonPatch<Record<string, unknown>>({}, [{ op: 'add', path: '/v', value }]);
    expect(result.v).toEqual(value);
    expect(result.v).not.toBe(value);
  });
});

describe('applyStrategicMergePatch', () => {
  type Deployment = ReturnType<typeof deployment>;
  const containersOf = (d: Deployment) => d.spec.template.spec.containers as Array<Record<string, any>>;

  it("patches one container's image by name and keeps the other", () => {
    const target = frozen(deployment());
    const result = applyStrategicMergePatch(target, { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'sidecar:2' }] } } } }, 'Deployment');
    const containers = containersOf(result);
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['app', 'app:1'],
      ['sidecar', 'sidecar:2'],
    ]);
    expect(containers[0]).toEqual(deployment().spec.template.spec.containers[0]);
  });

  it('adds a new container in front, as Kubernetes does', () => {
    const result = applyStrategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ name: 'new', image: 'new:1' }] } } } }, 'Deployment');
    expect(containersOf(result).map((c) => c.name)).toEqual(['new', 'app', 'sidecar']);
  });

  it('merges env by name and ports by containerPort', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                env: [
                  { name: 'B', value: 'two' },
                  { name: 'C', value: '3' },
                ],
                ports: [{ containerPort: 443, name: 'tls' }],
              },
            ],
          },
        },
      },
    };
    const app = containersOf(applyStrategicMergePatch(frozen(deployment()), patch, 'Deployment'))[0]!;
    expect(app.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'C', value: '3' },
    ]);
    expect(app.ports).toEqual([
      { containerPort: 80, name: 'http' },
      { containerPort: 443, name: 'tls' },
    ]);
    expect(app.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(app.image).toBe('app:1');
  });

  it('deletes list elements with $patch: delete', () => {
    const result = applyStrategicMergePatch(
      frozen(deployment()),
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'sidecar', $patch: 'delete' },
                { name: 'app', env: [{ name: 'A', $patch: 'delete' }] },
              ],
            },
          },
        },
      },
      'Deployment',
    );
    const containers = containersOf(result);
    expect(containers.map((c) => c.name)).toEqual(['app']);
    expect(containers[0]!.env).toEqual([{ name: 'B', value: '2' }]);
  });

  it('replaces a list with $patch: replace and a map with $patch: replace', () => {
    const result = applyStrategicMergePatch(
      deployment(),
      {
        metadata: { labels: { $patch: 'replace', only: 'this', gone: null } },
        spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'solo', image: 'solo:1' }] } } },
      },
      'Deployment',
    );
    expect(result.metadata.labels).toEqual({ only: 'this' });
    expect(containersOf(result)).toEqual([{ name: 'solo', image: 'solo:1' }]);
  });

  it('deletes a map with $patch: delete and a key with null', () => {
    const result = applyStrategicMergePatch(
      deployment(),
      { spec: { strategy: { $patch: 'delete' }, replicas: null }, metadata: { labels: { tier: null } } },
      'Deployment',
    ) as Record<string, any>;
    expect(result.spec.strategy).toBeUndefined();
    expect('replicas' in result.spec).toBe(false);
    expect(result.metadata.labels).toEqual({ app: 'web' });
  });

  it('replaces lists without a merge key (tolerations)', () => {
    const result = applyStrategicMergePatch(deployment(), { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } } }, 'Deployment');
    expect(result.spec.template.spec.tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
  });

  it('merges volumes by name and honours $retainKeys', () => {
    const result = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          strategy: { $retainKeys: ['type'], type: 'Recreate' },
          template: { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'secret'], secret: { secretName: 's' } }] } },
        },
      },
      'Deployment',
    );
    expect(result.spec.strategy).toEqual({ type: 'Recreate' });
    expect(result.spec.template.spec.volumes).toEqual([{ name: 'data', secret: { secretName: 's' } }]);
  });

  it('set-merges finalizers and honours $deleteFromPrimitiveList', () => {
    const result = applyStrategicMergePatch(deployment(), { metadata: { finalizers: ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['a'] } }, 'Deployment');
    expect(result.metadata.finalizers).toEqual(['b', 'c']);
  });

  it('merges ownerReferences by uid for every known kind', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', ownerReferences: [{ uid: 'u1', name: 'one' }] },
      data: { a: 'YQ==' },
    };
    const result = applyStrategicMergePatch(secret, { metadata: { ownerReferences: [{ uid: 'u2', name: 'two' }] } }, 'Secret');
    expect(result.metadata.ownerReferences).toEqual([
      { uid: 'u2', name: 'two' },
      { uid: 'u1', name: 'one' },
    ]);
  });

  it('applies $setElementOrder', () => {
    const result = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'new' }, { name: 'app' }],
              containers: [{ name: 'new', image: 'new:1' }],
            },
          },
        },
        metadata: { '$setElementOrder/finalizers': ['b', 'a'] },
      },
      'Deployment',
    );
    expect(containersOf(result).map((c) => c.name)).toEqual(['sidecar', 'new', 'app']);
    expect(result.metadata.finalizers).toEqual(['b', 'a']);
    expect(JSON.stringify(result)).not.toContain('$');
  });

  it('merges Service ports by port', () => {
    const service = frozen({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc' },
      spec: {
        type: 'LoadBalancer',
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 31000 },
          { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP', nodePort: 31001 },
        ],
      },
    });
    const result = applyStrategicMergePatch(service, { spec: { ports: [{ port: 443, targetPort: 9443 }] } }, 'Service');
    expect(result.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 31000 },
      { name: 'https', port: 443, targetPort: 9443, protocol: 'TCP', nodePort: 31001 },
    ]);
  });

  it('merges Node conditions by type', () => {
    const node = {
      kind: 'Node',
      metadata: { name: 'n' },
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'MemoryPressure', status: 'False' },
        ],
        addresses: [{ type: 'InternalIP', address: '10.0.0.4' }],
      },
    };
    const result = applyStrategicMergePatch(
      node,
      { status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'Hostname', address: 'n' }] } },
      'Node',
    );
    expect(result.status.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'MemoryPressure', status: 'False' },
    ]);
    expect(result.status.addresses).toEqual([
      { type: 'Hostname', address: 'n' },
      { type: 'InternalIP', address: '10.0.0.4' },
    ]);
  });

  it('roots the pod spec at spec for Pods', () => {
    const pod = {
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'a', image: 'a:1' },
          { name: 'b', image: 'b:1' },
        ],
      },
    };
    const result = applyStrategicMergePatch(pod, { spec: { containers: [{ name: 'a', image: 'a:2' }] } }, 'Pod');
    expect(result.spec.containers).toEqual([
      { name: 'a', image: 'a:2' },
      { name: 'b', image: 'b:1' },
    ]);
  });

  it('behaves as a merge patch for kinds without merge keys (Secret)', () => {
    const secret = frozen({ kind: 'Secret', metadata: { name: 's', labels: { a: '1' } }, type: 'Opaque', data: { a: 'YQ==', b: 'Yg==' }, list: [1, 2] });
    const patch = { metadata: { labels: { b: '2' } }, data: { a: null, c: 'Yw==' }, list: [3] };
    const result = applyStrategicMergePatch(secret, patch, 'Secret');
    expect(result).toEqual(applyMergePatch(secret, patch));
    expect(result).toEqual({ kind: 'Secret', metadata: { name: 's', labels: { a: '1', b: '2' } }, type: 'Opaque', data: { b: 'Yg==', c: 'Yw==' }, list: [3] });
  });

  it('behaves as a plain merge patch for unknown kinds', () => {
    const target = { kind: 'Widget', spec: { items: [{ name: 'a', v: 1 }] } };
    expect(applyStrategicMergePatch(target, { spec: { items: [{ name: 'b' }] } }, 'Widget')).toEqual({ kind: 'Widget', spec: { items: [{ name: 'b' }] } });
  });

  it('never mutates or aliases its inputs', () => {
    const target = frozen(deployment());
    const patch = frozen({
      metadata: { labels: { added: 'yes' } },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'app', env: [{ name: 'D', value: '4' }] },
              { name: 'sidecar', $patch: 'delete' },
            ],
          },
        },
      },
    });
    const result = applyStrategicMergePatch(target, patch, 'Deployment');
    expect(target).toEqual(deployment());
    (result.spec.selector.matchLabels as Record<string, string>).changed = 'x';
    containersOf(result)[0]!.env.push({ name: 'E' });
    expect(target).toEqual(deployment());
    expect(patch.spec.template.spec.containers[0]!.env).toEqual([{ name: 'D', value: '4' }]);
  });

  it.each([
    ['a list element without its merge key', { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, 'does not contain declared merge key: name'],
    ['a deletion without its merge key', { spec: { template: { spec: { containers: [{ $patch: 'delete' }] } } } }, 'does not contain declared merge key: name'],
    ['an unknown list directive', { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'frob' }] } } } }, 'unknown patch type'],
    ['an unknown map directive', { spec: { $patch: 'frob' } }, 'unknown patch type'],
    ['scalars in a keyed list', { spec: { template: { spec: { containers: ['app'] } } } }, 'list elements must be objects'],
    ['a whole-object delete', { $patch: 'delete' }, 'cannot delete the whole object'],
    ['a non-object body', [{ a: 1 }], 'patch body must be a JSON object'],
  ])('rejects %s', (_name, patch, message) => {
    expect(() => applyStrategicMergePatch(deployment(), patch, 'Deployment')).toThrow(PatchError);
    expect(() => applyStrategicMergePatch(deployment(), patch, 'Deployment')).toThrow(message);
  });
});
