/**
 * Hand-written SQL straight on the driver (better-sqlite3 or pg), no ixvault
 * code: the baselines of the search workloads. Statements are prepared once
 * and reused (SQLite) or named so the server keeps their plan (PostgreSQL).
 * Queries are written with `?` placeholders and `IN_LIST` for "one of an
 * array" (json_each on SQLite, = any on PostgreSQL).
 */
import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { StoreLocation } from './backend.js';

export type Param = string | number | string[];

export interface BareDb {
  dialect: 'sqlite' | 'postgres';
  all<T = Record<string, unknown>>(text: string, params: Param[]): Promise<T[]>;
  close(): Promise<void>;
}

export function openBare(store: StoreLocation): BareDb {
  return store.databaseUrl ? postgres(store.databaseUrl) : sqlite(store.sqliteFile);
}

function sqlite(file: string): BareDb {
  // Not readonly: a read-only connection cannot create the WAL index of a cleanly closed database.
  const db = new BetterSqlite3(file, { fileMustExist: true });
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    dialect: 'sqlite',
    async all<T>(text: string, params: Param[]) {
      let stmt = statements.get(text);
      if (!stmt) {
        stmt = db.prepare(text.replaceAll('IN_LIST', 'in (select value from json_each(?))'));
        statements.set(text, stmt);
      }
      return stmt.all(...params.map((p) => (Array.isArray(p) ? JSON.stringify(p) : p))) as T[];
    },
    async close() {
      db.close();
    },
  };
}

function postgres(url: string): BareDb {
  const client = new pg.Client({ connectionString: url });
  const connected = client.connect();
  return {
    dialect: 'postgres',
    async all<T>(text: string, params: Param[]) {
      await connected;
      let n = 0;
      const pgText = text
        .replaceAll('main.', 'ixv_main.')
        .replaceAll('IN_LIST', '= any(?)')
        .replace(/\?/g, () => `$${++n}`);
      const name = `bare_${createHash('sha1').update(pgText).digest('hex').slice(0, 16)}`;
      const result = await client.query({ name, text: pgText, values: params });
      return result.rows as T[];
    },
    async close() {
      await client.end();
    },
  };
}
