/**
 * Migrations run at start, for both logical stores, each in its own
 * transaction (both SQLite and PostgreSQL have transactional DDL). A small
 * runner instead of Kysely's Migrator because the same migrations are applied
 * to two schemas, and index DDL differs between the dialects.
 */
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Source } from '../domain/search.js';
import type { DialectName, StoreConnection } from './database.js';
import * as m001 from './migrations/001-initial.js';
import * as m002 from './migrations/002-audit-sequence.js';
import type { Database } from './schema.js';

export interface MigrationContext {
  db: Kysely<Database> | Transaction<Database>;
  schema: string;
  dialect: DialectName;
  /** The type of text columns: bytewise collation on PostgreSQL, like SQLite's default. */
  text: 'text' | RawBuilder<unknown>;
  createIndex(name: string, table: string, columns: string[]): Promise<void>;
}

interface Migration {
  name: string;
  up(ctx: MigrationContext): Promise<void>;
}

export const MIGRATIONS: Migration[] = [
  { name: '001-initial', up: m001.up },
  { name: '002-audit-sequence', up: m002.up },
];

const SOURCES: Source[] = ['main', 'archive'];

export async function migrate(store: StoreConnection): Promise<string[]> {
  const applied: string[] = [];
  for (const source of SOURCES) {
    const schema = store.schemaOf(source);
    if (store.dialect === 'postgres') await sql`create schema if not exists ${sql.id(schema)}`.execute(store.db);
    await store
      .in(source)
      .schema.createTable('ixv_migrations')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_ms', 'bigint', (c) => c.notNull())
      .execute();
    for (const migration of MIGRATIONS) {
      const done = await store.db.transaction().execute(async (trx) => {
        // Two servers starting at once on PostgreSQL must not both migrate.
        if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('ixvault-migrate'))`.execute(trx);
        const bound = store.on(trx, source);
        const existing = await bound
          .selectFrom('ixv_migrations')
          .select('name')
          .where('name', '=', migration.name)
          .executeTakeFirst();
        if (existing) return false;
        await migration.up(context(store, bound, source));
        await bound.insertInto('ixv_migrations').values({ name: migration.name, applied_ms: Date.now() }).execute();
        return true;
      });
      if (done) applied.push(`${source}:${migration.name}`);
    }
  }
  return applied;
}

export async function pendingMigrations(store: StoreConnection): Promise<number> {
  let pending = 0;
  for (const source of SOURCES) {
    try {
      const rows = await store.in(source).selectFrom('ixv_migrations').select('name').execute();
      const names = new Set(rows.map((r) => r.name));
      pending += MIGRATIONS.filter((m) => !names.has(m.name)).length;
    } catch {
      pending += MIGRATIONS.length;
    }
  }
  return pending;
}

/** The migration's view: `db` is bound to the logical store (SQLite's archive tables are prefixed in the same file). */
function context(store: StoreConnection, db: Transaction<Database>, source: Source): MigrationContext {
  const dialect = store.dialect;
  return {
    db,
    schema: store.schemaOf(source),
    dialect,
    text: dialect === 'postgres' ? sql`text collate "C"` : 'text',
    createIndex: (name, table, columns) => store.impl.createIndex(db, source, name, table, columns),
  };
}
