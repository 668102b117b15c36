import type { Static, TSchema } from '@sinclair/typebox';
import { CompiledQuery } from 'kysely';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { Db } from '../connect.js';
import type { ResourceRow } from '../tables/resources.table.js';
import { compiledSql } from './compiled-sql.js';
import { resourceRow } from './resource-row.js';
import { getResource, listResources, updateResourceBody, type ResourceQuery } from './resources.js';

/**
 * A body that does not match its schema: read, the store was changed outside
 * Berth or by a migration that missed it; written, a bug, refused before it
 * reaches the store.
 */
export class StoredBodyError extends Error {}

/** Reads and writes JSON bodies of one shape: parsing checks the shape, writing keeps only what the schema declares. */
export interface BodyCodec<T> {
  parse(text: string): T;
  stringify(body: T): string;
}

export function bodyCodec<S extends TSchema>(schema: S, what: string): BodyCodec<Static<S>> {
  const check = TypeCompiler.Compile(schema);
  const mismatch = (value: unknown) => {
    const first = check.Errors(value).First();
    return first ? ` at '${first.path}': ${first.message}` : '';
  };
  return {
    parse(text) {
      const value: unknown = JSON.parse(text);
      if (check.Check(value)) return value;
      throw new StoredBodyError(`A stored ${what} does not match its schema${mismatch(value)}.`);
    },
    stringify(body) {
      const cleaned = Value.Clean(schema, Value.Clone(body));
      if (!check.Check(cleaned)) throw new StoredBodyError(`A ${what} to store does not match its schema${mismatch(cleaned)}.`);
      return JSON.stringify(cleaned);
    },
  };
}

export interface StoredResource<T> {
  row: ResourceRow;
  body: T;
}

/**
 * The repository of one ARM resource type whose body has a schema: reads come
 * back typed and checked, writes store only the declared fields, so a GET that
 * sends the stored bytes as they are can show nothing undeclared.
 */
export interface ResourceRepository<T> {
  readonly type: string;
  readonly codec: BodyCodec<T>;
  get(db: Db, idKey: string): Promise<StoredResource<T> | undefined>;
  /** The stored JSON of a resource of this type, unparsed: written through the schema, it is what a GET answers. */
  getStoredJson(db: Db, idKey: string): Promise<string | undefined>;
  list(db: Db, query: Omit<ResourceQuery, 'typeKey'>, page: { after?: string; limit: number }): Promise<Array<StoredResource<T>>>;
  /** Throws a unique violation (see `isUniqueViolation`) when the id exists. */
  insert(db: Db, resource: { id: string; parentId: string; body: T; now: string }): Promise<void>;
  /** Replaces the body; false when the resource does not exist. */
  update(db: Db, idKey: string, body: T, now: string): Promise<boolean>;
}

export function resourceRepository<S extends TSchema>(type: string, schema: S): ResourceRepository<Static<S>> {
  const typeKey = type.toLowerCase();
  const codec = bodyCodec(schema, type);
  const typed = (row: ResourceRow) => ({ row, body: codec.parse(row.body) });
  return {
    type,
    codec,
    async get(db, idKey) {
      const row = await getResource(db, idKey);
      return row && row.type_key === typeKey ? typed(row) : undefined;
    },
    async getStoredJson(db, idKey) {
      const sql = compiledSql(db, 'getStoredJson', (d) => d.selectFrom('resources').select('body').where('id_key', '=', '').where('type_key', '=', ''));
      const { rows } = await db.executeQuery<{ body: string }>(CompiledQuery.raw(sql, [idKey, typeKey]));
      return rows[0]?.body;
    },
    async list(db, query, page) {
      return (await listResources(db, { ...query, typeKey }, page)).map(typed);
    },
    async insert(db, r) {
      await db
        .insertInto('resources')
        .values(resourceRow({ id: r.id, type, parentId: r.parentId, now: r.now }, codec.stringify(r.body)))
        .execute();
    },
    async update(db, idKey, body, now) {
      return updateResourceBody(db, idKey, codec.stringify(body), now);
    },
  };
}
