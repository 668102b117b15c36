import { describe, expect, it } from 'vitest';
import { parseKubeObject } from '../src/kube/kube-object.js';

describe('parseKubeObject', () => {
  it('parses an object with metadata', () => {
    expect(parseKubeObject('{"kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}}')).toEqual({
      kind: 'ConfigMap',
      metadata: { name: 'a' },
      data: { k: 'v' },
    });
  });

  it('refuses JSON that is not an object with an object as metadata', () => {
    for (const text of ['[]', 'null', '"configmap"', '{"kind":"ConfigMap"}', '{"metadata":null}', '{"metadata":["a"]}']) {
      expect(() => parseKubeObject(text), text).toThrow('not a Kubernetes object');
    }
  });
});
