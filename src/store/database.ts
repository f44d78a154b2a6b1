/**
 * Opening the database: the only file that branches on SQLite or PostgreSQL
 * for connections. Both logical stores (main, archive) live in one place so a
 * move between them is a single transaction: PostgreSQL schemas, or an
 * attached SQLite file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Source } from '../domain/search.js';
import { postgresRowWriter, type RowWriter, sqliteRowWriter } from './row-writer.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface StoreConnection {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The physical schema holding a logical store. */
  schemaOf(source: Source): string;
  /** A Kysely bound to one logical store. */
  in(source: Source): Kysely<Database>;
  /** Bulk inserts for the ingestion path (see row-writer.ts). */
  rows: RowWriter;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Directory for the SQLite files (used when no databaseUrl is given). */
  dataDir: string;
  /** postgres://… selects PostgreSQL. */
  databaseUrl?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

// int8 (counts, epoch milliseconds) fits a JavaScript number for every value we store.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export function connect(options: ConnectOptions): StoreConnection {
  if (options.databaseUrl) return connectPostgres(options.databaseUrl, options.poolSize ?? 10);
  return connectSqlite(options.dataDir);
}

function bind(db: Kysely<Database>, dialect: DialectName, schemas: Record<Source, string>) {
  const bound: Record<Source, Kysely<Database>> = {
    main: db.withSchema(schemas.main),
    archive: db.withSchema(schemas.archive),
  };
  return {
    db,
    dialect,
    schemaOf: (source: Source) => schemas[source],
    in: (source: Source) => bound[source],
  };
}

function connectSqlite(dataDir: string): StoreConnection {
  mkdirSync(dataDir, { recursive: true });
  const sqlite = new BetterSqlite3(join(dataDir, 'ixvault.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.prepare('ATTACH DATABASE ? AS archive').run(join(dataDir, 'ixvault-archive.db'));
  sqlite.pragma('archive.journal_mode = WAL');
  sqlite.pragma('archive.synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    ...bind(db, 'sqlite', { main: 'main', archive: 'archive' }),
    rows: sqliteRowWriter(sqlite),
    close: () => db.destroy(),
  };
}

function connectPostgres(url: string, poolSize: number): StoreConnection {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    ...bind(db, 'postgres', { main: 'ixv_main', archive: 'ixv_archive' }),
    rows: postgresRowWriter(db),
    close: () => db.destroy(),
  };
}
