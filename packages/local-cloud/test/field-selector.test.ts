import { describe, expect, it } from 'vitest';
import { matchesFields, parseFieldSelector } from '../src/kube/field-selector.js';
import { SelectorParseError } from '../src/kube/label-selector.js';

describe('parseFieldSelector', () => {
  it('treats the empty selector as everything', () => {
    expect(parseFieldSelector('')).toEqual([]);
    expect(matchesFields([], { metadata: { name: 'x' } })).toBe(true);
  });

  it('parses =, == and !=', () => {
    expect(parseFieldSelector('metadata.name=x,metadata.namespace!=y,status.phase==Running')).toEqual([
      { path: 'metadata.name', operator: '=', value: 'x' },
      { path: 'metadata.namespace', operator: '!=', value: 'y' },
      { path: 'status.phase', operator: '=', value: 'Running' },
    ]);
  });

  it('accepts empty values, surrounding whitespace and escapes', () => {
    expect(parseFieldSelector('spec.nodeName=')).toEqual([{ path: 'spec.nodeName', operator: '=', value: '' }]);
    expect(parseFieldSelector(' metadata.name = x , ')).toEqual([{ path: 'metadata.name', operator: '=', value: 'x' }]);
    expect(parseFieldSelector('metadata.name=a\\,b\\=c\\\\d')).toEqual([{ path: 'metadata.name', operator: '=', value: 'a,b=c\\d' }]);
  });

  it.each([
    ['metadata.name', "can't understand 'metadata.name'"],
    ['a=b,c', "can't understand 'c'"],
    ['=x', 'missing field name'],
    ['a=b=c', "unescaped '='"],
    ['a=b\\x', 'invalid escape sequence'],
  ])('rejects %j', (selector, message) => {
    expect(() => parseFieldSelector(selector)).toThrow(SelectorParseError);
    expect(() => parseFieldSelector(selector)).toThrow(message);
  });
});

describe('matchesFields', () => {
  const pod = {
    metadata: { name: 'web-1', namespace: 'default' },
    spec: { nodeName: 'node-0', priority: 5, hostNetwork: false },
    status: { phase: 'Running' },
  };
  const matches = (selector: string) => matchesFields(parseFieldSelector(selector), pod);

  it('looks up dotted paths', () => {
    expect(matches('metadata.name=web-1')).toBe(true);
    expect(matches('metadata.name=web-2')).toBe(false);
    expect(matches('metadata.namespace!=kube-system')).toBe(true);
    expect(matches('metadata.namespace!=default')).toBe(false);
    expect(matches('metadata.name=web-1,status.phase=Running')).toBe(true);
    expect(matches('metadata.name=web-1,status.phase=Pending')).toBe(false);
  });

  it('stringifies scalars', () => {
    expect(matches('spec.priority=5')).toBe(true);
    expect(matches('spec.hostNetwork=false')).toBe(true);
  });

  it('compares missing fields and non-scalars as the empty string', () => {
    expect(matches('spec.schedulerName=')).toBe(true);
    expect(matches('spec.schedulerName!=')).toBe(false);
    expect(matches('spec.schedulerName!=default')).toBe(true);
    expect(matches('metadata.name.deeper=')).toBe(true);
    expect(matches('spec=')).toBe(true);
  });
});
