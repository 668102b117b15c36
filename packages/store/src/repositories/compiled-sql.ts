import type { Compilable } from 'kysely';
import type { Db } from '../connect.js';

const compiled = new WeakMap<Db, Map<string, string>>();

/**
 * The SQL of a hot query, built and compiled once per store (each dialect spells
 * it its own way) and then run with `CompiledQuery.raw`: building a query with
 * Kysely costs more than a primary-key lookup in SQLite.
 */
export function compiledSql(db: Db, name: string, build: (db: Db) => Compilable): string {
  let byName = compiled.get(db);
  if (!byName) compiled.set(db, (byName = new Map()));
  let sql = byName.get(name);
  if (sql === undefined) {
    sql = build(db).compile().sql;
    byName.set(name, sql);
  }
  return sql;
}
