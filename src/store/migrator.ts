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

export const MIGRATIONS: Migration[] = [{ name: '001-initial', up: m001.up }];

const SOURCES: Source[] = ['main', 'archive'];

export async function migrate(store: StoreConnection): Promise<string[]> {
  const applied: string[] = [];
  for (const source of SOURCES) {
    const schema = store.schemaOf(source);
    if (store.dialect === 'postgres') await sql`create schema if not exists ${sql.id(schema)}`.execute(store.db);
    await store.db
      .withSchema(schema)
      .schema.createTable('ixv_migrations')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_ms', 'bigint', (c) => c.notNull())
      .execute();
    for (const migration of MIGRATIONS) {
      const done = await store.db.transaction().execute(async (trx) => {
        // Two servers starting at once on PostgreSQL must not both migrate.
        if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('ixvault-migrate'))`.execute(trx);
        const existing = await trx
          .withSchema(schema)
          .selectFrom('ixv_migrations')
          .select('name')
          .where('name', '=', migration.name)
          .executeTakeFirst();
        if (existing) return false;
        await migration.up(context(trx, schema, store.dialect));
        await trx
          .withSchema(schema)
          .insertInto('ixv_migrations')
          .values({ name: migration.name, applied_ms: Date.now() })
          .execute();
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

function context(db: Transaction<Database>, schema: string, dialect: DialectName): MigrationContext {
  return {
    db,
    schema,
    dialect,
    text: dialect === 'postgres' ? sql`text collate "C"` : 'text',
    async createIndex(name, table, columns) {
      const cols = sql.join(columns.map((c) => sql.id(c)));
      // SQLite qualifies the index name, PostgreSQL the table.
      const statement =
        dialect === 'sqlite'
          ? sql`create index ${sql.id(schema, name)} on ${sql.id(table)} (${cols})`
          : sql`create index ${sql.id(name)} on ${sql.id(schema, table)} (${cols})`;
      await statement.execute(db);
    },
  };
}
