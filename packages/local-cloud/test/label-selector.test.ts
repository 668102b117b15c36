import { describe, expect, it } from 'vitest';
import { formatLabelSelector, matchesLabels, parseLabelSelector, SelectorParseError, selectorFromLabelSelector } from '../src/kube/label-selector.js';

describe('parseLabelSelector', () => {
  it('treats the empty selector as everything', () => {
    expect(parseLabelSelector('')).toEqual([]);
    expect(parseLabelSelector('   ')).toEqual([]);
    expect(matchesLabels(parseLabelSelector(''), undefined)).toBe(true);
  });

  it('parses every operator', () => {
    expect(parseLabelSelector('a=b')).toEqual([{ key: 'a', operator: 'Equals', values: ['b'] }]);
    expect(parseLabelSelector('a==b')).toEqual([{ key: 'a', operator: 'Equals', values: ['b'] }]);
    expect(parseLabelSelector('a!=b')).toEqual([{ key: 'a', operator: 'NotEquals', values: ['b'] }]);
    expect(parseLabelSelector('a in (y,x)')).toEqual([{ key: 'a', operator: 'In', values: ['x', 'y'] }]);
    expect(parseLabelSelector('a notin (x)')).toEqual([{ key: 'a', operator: 'NotIn', values: ['x'] }]);
    expect(parseLabelSelector('a')).toEqual([{ key: 'a', operator: 'Exists', values: [] }]);
    expect(parseLabelSelector('!a')).toEqual([{ key: 'a', operator: 'DoesNotExist', values: [] }]);
  });

  it('parses comma-separated requirements with arbitrary whitespace', () => {
    expect(parseLabelSelector('  app = web ,tier in ( a , b ),  !legacy,  env!=prod, ready ')).toEqual([
      { key: 'app', operator: 'Equals', values: ['web'] },
      { key: 'tier', operator: 'In', values: ['a', 'b'] },
      { key: 'legacy', operator: 'DoesNotExist', values: [] },
      { key: 'env', operator: 'NotEquals', values: ['prod'] },
      { key: 'ready', operator: 'Exists', values: [] },
    ]);
  });

  it('accepts empty values and keywords used as values', () => {
    expect(parseLabelSelector('a=')).toEqual([{ key: 'a', operator: 'Equals', values: [''] }]);
    expect(parseLabelSelector('a=,b')).toEqual([
      { key: 'a', operator: 'Equals', values: [''] },
      { key: 'b', operator: 'Exists', values: [] },
    ]);
    expect(parseLabelSelector('a in ()')).toEqual([{ key: 'a', operator: 'In', values: [''] }]);
    expect(parseLabelSelector('a in (,x)')).toEqual([{ key: 'a', operator: 'In', values: ['', 'x'] }]);
    expect(parseLabelSelector('a=in')).toEqual([{ key: 'a', operator: 'Equals', values: ['in'] }]);
  });

  it('accepts prefixed keys', () => {
    expect(parseLabelSelector('app.kubernetes.io/name=berth,node-role.kubernetes.io/control-plane')).toEqual([
      { key: 'app.kubernetes.io/name', operator: 'Equals', values: ['berth'] },
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', values: [] },
    ]);
  });

  it.each([
    ['a in (x', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['=b', "found '=', expected: !, identifier, or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !="],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a in (x y)', "unable to parse requirement: found 'y', expected: ',' or ')'"],
    ['a=b,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['a>1', "unable to parse requirement: operator '>' is not supported"],
  ])('rejects %j', (selector, message) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorParseError);
    expect(() => parseLabelSelector(selector)).toThrow(message);
  });

  it.each([
    ['-a=b', 'invalid label key "-a"'],
    ['a-=b', 'invalid label key "a-"'],
    [`${'k'.repeat(64)}=b`, 'invalid label key'],
    ['Example.com/a=b', 'prefix part'],
    ['/a=b', 'prefix part'],
    ['a/b/c=d', 'invalid label key'],
    ['example.com/=b', 'name part'],
    ['a=-b', 'invalid label value "-b"'],
    [`a=${'v'.repeat(64)}`, 'invalid label value'],
    ['a in (x,-y)', 'invalid label value "-y"'],
  ])('validates keys and values in %j', (selector, message) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorParseError);
    expect(() => parseLabelSelector(selector)).toThrow(message);
  });

  it('accepts the longest valid name and value', () => {
    const name = 'k'.repeat(63);
    expect(parseLabelSelector(`${name}=${'v'.repeat(63)}`)).toHaveLength(1);
    expect(parseLabelSelector(`a.b-c_d=E.f-G_h`)).toHaveLength(1);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'front', empty: '' };
  const matches = (selector: string) => matchesLabels(parseLabelSelector(selector), labels);

  it('matches equality', () => {
    expect(matches('app=web')).toBe(true);
    expect(matches('app==api')).toBe(false);
    expect(matches('missing=x')).toBe(false);
    expect(matches('empty=')).toBe(true);
    expect(matches('missing=')).toBe(false);
  });

  it('treats absent keys as satisfying negative requirements', () => {
    expect(matches('app!=api')).toBe(true);
    expect(matches('app!=web')).toBe(false);
    expect(matches('missing!=x')).toBe(true);
    expect(matches('app notin (api,db)')).toBe(true);
    expect(matches('app notin (web)')).toBe(false);
    expect(matches('missing notin (x)')).toBe(true);
  });

  it('matches set membership and existence', () => {
    expect(matches('tier in (front,back)')).toBe(true);
    expect(matches('tier in (back)')).toBe(false);
    expect(matches('missing in (x)')).toBe(false);
    expect(matches('app')).toBe(true);
    expect(matches('missing')).toBe(false);
    expect(matches('!missing')).toBe(true);
    expect(matches('!app')).toBe(false);
  });

  it('requires every requirement', () => {
    expect(matches('app=web,tier=front')).toBe(true);
    expect(matches('app=web,tier=back')).toBe(false);
    expect(matchesLabels(parseLabelSelector('app'), undefined)).toBe(false);
    expect(matchesLabels(parseLabelSelector('!app,x!=y'), undefined)).toBe(true);
  });
});

describe('selectorFromLabelSelector', () => {
  it('combines matchLabels and matchExpressions', () => {
    const requirements = selectorFromLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'edge'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'ready', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist', values: [] },
      ],
    });
    expect(requirements).toEqual([
      { key: 'app', operator: 'Equals', values: ['web'] },
      { key: 'tier', operator: 'In', values: ['edge', 'front'] },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'ready', operator: 'Exists', values: [] },
      { key: 'legacy', operator: 'DoesNotExist', values: [] },
    ]);
    expect(matchesLabels(requirements, { app: 'web', tier: 'edge', ready: '' })).toBe(true);
    expect(matchesLabels(requirements, { app: 'web', tier: 'edge' })).toBe(false);
    expect(matchesLabels(requirements, { app: 'web', tier: 'edge', ready: '', env: 'dev' })).toBe(false);
  });

  it('selects everything for an empty or absent selector', () => {
    expect(selectorFromLabelSelector({})).toEqual([]);
    expect(selectorFromLabelSelector(undefined)).toEqual([]);
  });

  it('rejects invalid expressions', () => {
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })).toThrow(
      '"Gt" is not a valid label selector operator',
    );
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow("values set can't be empty");
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toThrow('values set must be empty');
    expect(() => selectorFromLabelSelector({ matchLabels: { 'bad key': 'x' } })).toThrow(SelectorParseError);
    expect(() => selectorFromLabelSelector({ matchLabels: { a: 'bad value' } })).toThrow(SelectorParseError);
  });
});

describe('formatLabelSelector', () => {
  it('renders the canonical form sorted by key', () => {
    const text = 'z=1,a in (y,x),!m,e,n!=2,b notin (q)';
    expect(formatLabelSelector(parseLabelSelector(text))).toBe('a in (x,y),b notin (q),e,!m,n!=2,z=1');
    expect(parseLabelSelector(formatLabelSelector(parseLabelSelector(text)))).toEqual([...parseLabelSelector(text)].sort((x, y) => x.key.localeCompare(y.key)));
  });
});
