/**
 * Opening the database. The dialect (src/store/dialect.ts, dialects/) holds
 * everything that differs between SQLite and PostgreSQL; a StoreConnection is
 * the Kysely instance plus that dialect, with the two logical stores (main,
 * archive) in one database so a move between them is a single transaction.
 */
import type { Kysely, RawBuilder, Transaction } from 'kysely';
import type { Source } from '../domain/search.js';
import type { BatchWriter, DialectName, RowWriter, StoreDialect } from './dialect.js';
import { openPostgres } from './dialects/postgres.js';
import { openSqlite, type SqliteOptions } from './dialects/sqlite.js';
import type { Database } from './schema.js';
import type { WriterLock } from './writer-lock.js';

export type { DialectName } from './dialect.js';

export interface StoreConnection {
  db: Kysely<Database>;
  dialect: DialectName;
  impl: StoreDialect;
  /** The physical schema holding a logical store (DDL, catalog). */
  schemaOf(source: Source): string;
  /** A Kysely bound to one logical store. */
  in(source: Source): Kysely<Database>;
  /** A transaction bound to one logical store. */
  on(trx: Transaction<Database>, source: Source): Transaction<Database>;
  /** A logical store's table for raw SQL. */
  table(source: Source, table: keyof Database): RawBuilder<unknown>;
  /** A write transaction (IMMEDIATE on SQLite; retried on deadlock on PostgreSQL). */
  write<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Bulk inserts and upserts for the ingestion path (see row-writer.ts). */
  rows: RowWriter;
  /** Where batches of records are written, when not on this thread (StoreDialect.batches). */
  batches: BatchWriter | undefined;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Directory for the SQLite file (used when no databaseUrl is given). */
  dataDir: string;
  /** postgres://… selects PostgreSQL. */
  databaseUrl?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** PostgreSQL: analyze tables as they grow (dialects/postgres-statistics.ts); on unless false. */
  analyzeGrowingTables?: boolean;
  /** SQLite: write batches of records on a thread of their own (sqlite-batch-writer.ts). */
  batchThread?: boolean;
  /** SQLite: the process's writer lock, held for this connection by another (the batch writer's thread). */
  writerLock?: WriterLock;
}

export function connect(options: ConnectOptions): StoreConnection {
  const { db, dialect } = options.databaseUrl
    ? openPostgres(options.databaseUrl, {
        poolSize: options.poolSize ?? 10,
        analyzeGrowingTables: options.analyzeGrowingTables !== false,
      })
    : openSqlite(options.dataDir, sqliteOptions(options));
  const bound: Record<Source, Kysely<Database>> = { main: dialect.bind(db, 'main'), archive: dialect.bind(db, 'archive') };
  return {
    db,
    dialect: dialect.name,
    impl: dialect,
    schemaOf: (source) => dialect.schemaOf(source),
    in: (source) => bound[source],
    on: (trx, source) => dialect.bind(trx, source),
    table: dialect.table,
    write: (work) => dialect.write(db, work),
    rows: dialect.rows,
    batches: dialect.batches,
    close: () => dialect.close(),
  };
}

function sqliteOptions(options: ConnectOptions): SqliteOptions {
  const out: SqliteOptions = {};
  if (options.batchThread) out.batchThread = true;
  if (options.writerLock) out.writerLock = options.writerLock;
  return out;
}
