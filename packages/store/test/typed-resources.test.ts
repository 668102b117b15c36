import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { getResource, insertResource, openStore, resourceRepository, StoredBodyError, type Store } from '@berth/store';

const Thing = Type.Object({
  id: Type.String(),
  properties: Type.Object({ size: Type.Integer(), tls: Type.Object({ status: Type.String(), cert: Type.Optional(Type.String()) }) }),
});

describe('typed resource repositories', () => {
  let dir: string;
  let store: Store;
  const things = resourceRepository('Test.Things/things', Thing);
  const id = (name: string) => `/subscriptions/s1/resourceGroups/g1/providers/Test.Things/things/${name}`;
  const now = '2026-12-07T00:00:00.000Z';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-typed-'));
    store = await openStore(join(dir, 'berth.db'));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores only what the schema declares, so a stray secret never reaches a GET that sends the stored JSON', async () => {
    const body = { id: id('a'), properties: { size: 3, tls: { status: 'Enabled', cert: 'PEM', key: 'SECRET KEY' } }, extra: 'x' };
    await things.insert(store.db, { id: body.id, parentId: '/subscriptions/s1/resourceGroups/g1', body, now });
    const json = await things.getStoredJson(store.db, body.id.toLowerCase());
    expect(JSON.parse(json!)).toEqual({ id: body.id, properties: { size: 3, tls: { status: 'Enabled', cert: 'PEM' } } });
    expect(json).not.toContain('SECRET');
    expect((await things.get(store.db, body.id.toLowerCase()))!.body.properties.size).toBe(3);
  });

  it('refuses to write a body that does not match, and stores nothing', async () => {
    const bad = { id: id('b'), properties: { size: 'three' } } as unknown as Parameters<typeof things.insert>[1]['body'];
    await expect(things.insert(store.db, { id: id('b'), parentId: '/subscriptions/s1/resourceGroups/g1', body: bad, now })).rejects.toThrow(StoredBodyError);
    expect(await getResource(store.db, id('b').toLowerCase())).toBeUndefined();
  });

  it('reads a body changed outside Berth as an error naming the field, and another type as nothing', async () => {
    await insertResource(store.db, {
      id: id('c'),
      type: 'Test.Things/things',
      parentId: '/subscriptions/s1/resourceGroups/g1',
      body: { id: id('c'), properties: { size: 'x', tls: { status: 'Enabled' } } },
      now,
    });
    await expect(things.get(store.db, id('c').toLowerCase())).rejects.toThrow(/does not match its schema at '\/properties\/size'/);
    await insertResource(store.db, { id: id('d'), type: 'Test.Other/others', parentId: '/subscriptions/s1/resourceGroups/g1', body: {}, now });
    expect(await things.get(store.db, id('d').toLowerCase())).toBeUndefined();
    expect(await things.getStoredJson(store.db, id('d').toLowerCase())).toBeUndefined();
  });
});
