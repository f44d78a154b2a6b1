/**
 * Prepared statements kept for reuse on the one SQLite connection. Kysely's
 * SQLite driver prepares every statement it runs; preparing is parsing and
 * planning the SQL, and on a short read such as a Vonage page it cost as much
 * as running it (docs/BENCHMARKS.md, "Vonage pages as one statement (issue 15,
 * session 2)").
 * The statements are keyed by their SQL text (the values are bound
 * parameters, so one text serves every request of a shape); the least
 * recently used are dropped past `capacity`. SQLite re-prepares a kept
 * statement by itself when the schema changes under it.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct SQL texts kept: the store's statement shapes, with room to spare. */
export const STATEMENT_CACHE_SIZE = 500;

export function cachedStatements(sqlite: BetterSqlite3.Database, capacity = STATEMENT_CACHE_SIZE): SqliteDatabase {
  return { close: () => sqlite.close(), prepare: keptStatements(sqlite, capacity) };
}

/** `sqlite.prepare` that keeps what it prepared, by SQL text (the module comment). */
export function keptStatements(
  sqlite: BetterSqlite3.Database,
  capacity = STATEMENT_CACHE_SIZE,
): (sql: string) => BetterSqlite3.Statement {
  const kept = new Map<string, BetterSqlite3.Statement>();
  return (sql) => {
    const found = kept.get(sql);
    // A statement still being iterated cannot run again meanwhile: that caller gets one of its own.
    if (found && !found.busy) {
      // Most recently used last: Map keeps insertion order.
      kept.delete(sql);
      kept.set(sql, found);
      return found;
    }
    const statement = sqlite.prepare(sql);
    if (found) return statement;
    kept.set(sql, statement);
    if (kept.size > capacity) {
      const oldest = kept.keys().next().value;
      if (oldest !== undefined) kept.delete(oldest);
    }
    return statement;
  };
}
