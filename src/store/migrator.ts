/**
 * Migrations, for both logical stores, each in its own transaction (both
 * SQLite and PostgreSQL have transactional DDL). A small runner instead of
 * Kysely's Migrator because the same migrations are applied to two schemas,
 * and index DDL differs between the dialects.
 *
 * Start-up first reads what is pending and, when nothing is, runs no DDL at
 * all: a Citus worker node refuses DDL, and so does a role without CREATE.
 *
 * Citus: when the database has the `citus` extension, every table of both
 * schemas becomes a Citus table in the transaction that creates it — a rule of
 * this runner, so a migration only creates plain tables. A table with a
 * `tenant_id` column is distributed by it, colocated with ixv_main.interactions
 * (a tenant's rows in main and archive share one shard, so every tenant-filtered
 * statement, the archive move included, runs on one node); a table without one
 * (ixv_migrations) becomes a reference table, copied to every node, so a worker
 * can read which migrations are applied. Tables created before the extension
 * was installed are distributed by the next `ixvault migrate`.
 */
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Source } from '../domain/search.js';
import type { DialectName, StoreConnection } from './database.js';
import type { IndexOptions } from './dialect.js';
import * as m001 from './migrations/001-initial.js';
import * as m002 from './migrations/002-audit-sequence.js';
import * as m003 from './migrations/003-audit-seq-default.js';
import * as m004 from './migrations/004-contacts.js';
import * as m005 from './migrations/005-fulltext.js';
import * as m006 from './migrations/006-holds-retention.js';
import * as m007 from './migrations/007-audit-chain.js';
import * as m008 from './migrations/008-vonage-renderings.js';
import * as m009 from './migrations/009-fts-prefix.js';
import * as m010 from './migrations/010-vonage-items.js';
import * as m011 from './migrations/011-inline-content.js';
import * as m012 from './migrations/012-fts-time-buckets.js';
import * as m013 from './migrations/013-hold-listing.js';
import * as m015 from './migrations/015-fts-fine-buckets.js';
import * as m017 from './migrations/017-session-revocations.js';
import * as m018 from './migrations/018-fts-agent-tokens.js';
import * as m019 from './migrations/019-fts-start-ms.js';
import * as m021 from './migrations/021-redaction-report.js';
import * as m022 from './migrations/022-export-copies.js';
import * as m024 from './migrations/024-audit-guard-on-citus.js';
import * as m025 from './migrations/025-vonage-content-index.js';
import * as m026 from './migrations/026-erasure-scrub.js';
import type { Database } from './schema.js';

export interface MigrationContext {
  db: Kysely<Database> | Transaction<Database>;
  schema: string;
  /** The logical store being migrated: a table only one store needs is created in that one. */
  source: Source;
  dialect: DialectName;
  /** The type of text columns: bytewise collation on PostgreSQL, like SQLite's default. */
  text: 'text' | RawBuilder<unknown>;
  createIndex(name: string, table: string, columns: string[], options?: IndexOptions): Promise<void>;
  /** A table's name in this store as DDL names it without a schema (SQLite's archive tables are prefixed). */
  tableName(table: string): string;
  /** Progress of a long migration (one that rewrites data), for the operator. */
  progress(message: string): void;
}

interface Migration {
  name: string;
  up(ctx: MigrationContext): Promise<void>;
}

export const MIGRATIONS: Migration[] = [
  { name: '001-initial', up: m001.up },
  { name: '002-audit-sequence', up: m002.up },
  { name: '003-audit-seq-default', up: m003.up },
  { name: '004-contacts', up: m004.up },
  { name: '005-fulltext', up: m005.up },
  { name: '006-holds-retention', up: m006.up },
  { name: '007-audit-chain', up: m007.up },
  { name: '008-vonage-renderings', up: m008.up },
  { name: '009-fts-prefix', up: m009.up },
  { name: '010-vonage-items', up: m010.up },
  { name: '011-inline-content', up: m011.up },
  { name: '012-fts-time-buckets', up: m012.up },
  { name: '013-hold-listing', up: m013.up },
  { name: '015-fts-fine-buckets', up: m015.up },
  { name: '017-session-revocations', up: m017.up },
  { name: '018-fts-agent-tokens', up: m018.up },
  { name: '019-fts-start-ms', up: m019.up },
  { name: '021-redaction-report', up: m021.up },
  { name: '022-export-copies', up: m022.up },
  { name: '024-audit-guard-on-citus', up: m024.up },
  { name: '025-vonage-content-index', up: m025.up },
  { name: '026-erasure-scrub', up: m026.up },
];

const SOURCES: Source[] = ['main', 'archive'];

/** The table every tenant table is colocated with, in the main store's schema. */
const COLOCATION_ANCHOR = 'interactions';

type Db = Kysely<Database> | Transaction<Database>;

export interface MigrationStatus {
  /** What `migrate` would do: `main:001-initial`, `distribute ixv_archive.messages`, `reference ixv_main.ixv_migrations`… */
  pending: string[];
  /** The node's role when the database has the citus extension. */
  citus?: 'coordinator' | 'worker';
}

/** Reads what is pending without changing anything. */
export async function migrationStatus(store: StoreConnection): Promise<MigrationStatus> {
  const status: MigrationStatus = { pending: [] };
  for (const source of SOURCES) {
    const applied = await appliedMigrations(store, source);
    for (const m of MIGRATIONS) if (!applied.has(m.name)) status.pending.push(`${source}:${m.name}`);
  }
  if (store.dialect !== 'postgres') return status;
  const citus = await citusRole(store.db);
  if (!citus) return status;
  status.citus = citus;
  const plan = citusPlan(await catalogTables(store.db, schemasOf(store), true), store.schemaOf('main'));
  status.pending.push(...plan.map((p) => p.step));
  return status;
}

/** How many steps `migrate` would run (readiness probe). */
export async function pendingMigrations(store: StoreConnection): Promise<number> {
  return (await migrationStatus(store)).pending.length;
}

export interface MigrateOptions {
  /** false: never change the schema; fail when anything is pending (`serve --no-migrate`). */
  allowDdl?: boolean;
  /** Stop after this migration: a database as an earlier release left it (upgrade tests). */
  until?: string;
  /** Where a long migration reports its progress (default: nowhere). */
  log?: (message: string) => void;
}

/** Applies what is pending; returns what was done (nothing, and no DDL run, when nothing was pending). */
export async function migrate(store: StoreConnection, options: MigrateOptions = {}): Promise<string[]> {
  const status = await migrationStatus(store);
  if (status.pending.length === 0) return [];
  const list = status.pending.join(', ');
  if (options.allowDdl === false)
    throw new Error(
      `the database needs ${status.pending.length} schema change(s) (${list}) and this node must not migrate ` +
        `(--no-migrate or IXVAULT_NO_MIGRATE): run 'ixvault migrate' against the ${status.citus ? 'Citus coordinator' : 'database'} first`,
    );
  if (status.citus === 'worker')
    throw new Error(
      `this is a Citus worker node, where schema changes are refused: run 'ixvault migrate' against the coordinator (pending: ${list})`,
    );
  const citus = status.citus === 'coordinator';
  const done: string[] = [];
  for (const source of SOURCES) {
    const schema = store.schemaOf(source);
    await locked(store, async (trx) => {
      if (store.dialect === 'postgres') await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
      await store
        .on(trx, source)
        .schema.createTable('ixv_migrations')
        .ifNotExists()
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('applied_ms', 'bigint', (c) => c.notNull())
        .execute();
      if (citus) done.push(...(await distributeNewTables(trx, store)));
    });
    const last = options.until === undefined ? MIGRATIONS.length : MIGRATIONS.findIndex((m) => m.name === options.until) + 1;
    if (last === 0) throw new Error(`no migration named ${options.until}`);
    for (const migration of MIGRATIONS.slice(0, last)) {
      await locked(store, async (trx) => {
        const bound = store.on(trx, source);
        const existing = await bound
          .selectFrom('ixv_migrations')
          .select('name')
          .where('name', '=', migration.name)
          .executeTakeFirst();
        if (existing) return;
        await migration.up(context(store, bound, source, options.log ?? (() => {})));
        if (citus) done.push(...(await distributeNewTables(trx, store)));
        await bound.insertInto('ixv_migrations').values({ name: migration.name, applied_ms: Date.now() }).execute();
        done.push(`${source}:${migration.name}`);
      });
    }
  }
  return done;
}

/** One transaction; on PostgreSQL two servers starting at once must not both migrate. */
async function locked(store: StoreConnection, work: (trx: Transaction<Database>) => Promise<void>): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('ixvault-migrate'))`.execute(trx);
    await work(trx);
  });
}

async function appliedMigrations(store: StoreConnection, source: Source): Promise<Set<string>> {
  if (store.dialect === 'postgres') {
    // Read-only existence check: a missing table must not abort anything, and no DDL may run.
    const table = `${quoteIdent(store.schemaOf(source))}.ixv_migrations`;
    const { rows } = await sql<{ oid: string | null }>`select to_regclass(${table})::text as oid`.execute(store.db);
    if (!rows[0]?.oid) return new Set();
  }
  try {
    const rows = await store.in(source).selectFrom('ixv_migrations').select('name').execute();
    return new Set(rows.map((r) => r.name));
  } catch (err) {
    // SQLite: the logical store's tables are not created yet.
    if (store.dialect === 'sqlite' && /no such table/.test((err as Error).message)) return new Set();
    throw err;
  }
}

function schemasOf(store: StoreConnection): string[] {
  return SOURCES.map((s) => store.schemaOf(s));
}

async function citusRole(db: Db): Promise<MigrationStatus['citus']> {
  const { rows } = await sql<{
    installed: boolean;
  }>`select exists (select 1 from pg_extension where extname = 'citus') as installed`.execute(db);
  if (!rows[0]?.installed) return undefined;
  const role = await sql<{ coordinator: boolean }>`select citus_is_coordinator() as coordinator`.execute(db);
  return role.rows[0]?.coordinator ? 'coordinator' : 'worker';
}

/** A table of the stores' schemas as the catalog shows it. */
export interface CatalogTable {
  schema: string;
  name: string;
  /** Has a tenant_id column: distributed by it. Otherwise a reference table. */
  tenantColumn: boolean;
  /** Already a Citus table (distributed or reference). */
  citus: boolean;
}

/**
 * The stores' tables, without the shards a Citus node may hold. With
 * `citusCatalog` false it reads only PostgreSQL's own catalog, every table
 * reported as not yet a Citus table (what a fresh database would need).
 */
export async function catalogTables(db: Db, schemas: string[], citusCatalog: boolean): Promise<CatalogTable[]> {
  const citusColumn = citusCatalog ? sql`exists (select 1 from pg_dist_partition p where p.logicalrelid = c.oid)` : sql`false`;
  const notShard = citusCatalog ? sql`and not relation_is_a_known_shard(c.oid)` : sql``;
  const { rows } = await sql<{ schema: string; name: string; tenant_column: boolean; citus: boolean }>`
    select n.nspname as schema, c.relname as name,
      exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as tenant_column,
      ${citusColumn} as citus
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname in (${sql.join(schemas)}) ${notShard}
    order by n.nspname, c.relname`.execute(db);
  return rows.map((r) => ({ schema: r.schema, name: r.name, tenantColumn: r.tenant_column, citus: r.citus }));
}

/**
 * The Citus calls that make every listed table that is not yet a Citus table
 * one, in order: the colocation anchor first (a colocation group of its own),
 * then every other tenant table colocated with it, tables without tenant_id as
 * reference tables.
 */
export function citusPlan(tables: CatalogTable[], mainSchema: string): { step: string; statements: string[] }[] {
  const isAnchor = (t: CatalogTable) => t.schema === mainSchema && t.name === COLOCATION_ANCHOR;
  const anchor = tables.find(isAnchor);
  const anchorName = `${quoteIdent(mainSchema)}.${quoteIdent(COLOCATION_ANCHOR)}`;
  const todo = tables
    .filter((t) => !t.citus)
    .sort(
      (a, b) => Number(isAnchor(b)) - Number(isAnchor(a)) || a.schema.localeCompare(b.schema) || a.name.localeCompare(b.name),
    );
  return todo.map((t) => {
    const table = quoteLiteral(`${quoteIdent(t.schema)}.${quoteIdent(t.name)}`);
    let create: string;
    if (!t.tenantColumn) create = `select create_reference_table(${table})`;
    else if (isAnchor(t)) create = `select create_distributed_table(${table}, 'tenant_id', colocate_with => 'none')`;
    else if (!anchor)
      throw new Error(`cannot distribute ${t.schema}.${t.name}: ${anchorName} does not exist to colocate it with`);
    else create = `select create_distributed_table(${table}, 'tenant_id', colocate_with => ${quoteLiteral(anchorName)})`;
    return {
      step: `${t.tenantColumn ? 'distribute' : 'reference'} ${t.schema}.${t.name}`,
      // Rows of a table created before Citus was installed are copied to the shards; drop the coordinator's local copy.
      statements: [create, `select truncate_local_data_after_distributing_table(${table})`],
    };
  });
}

/** The SQL of citusPlan, in order. */
export function citusStatements(tables: CatalogTable[], mainSchema: string): string[] {
  return citusPlan(tables, mainSchema).flatMap((p) => p.statements);
}

async function distributeNewTables(trx: Transaction<Database>, store: StoreConnection): Promise<string[]> {
  const plan = citusPlan(await catalogTables(trx, schemasOf(store), true), store.schemaOf('main'));
  for (const statement of plan.flatMap((p) => p.statements)) await sql.raw(statement).execute(trx);
  return plan.map((p) => p.step);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The migration's view: `db` is bound to the logical store (SQLite's archive tables are prefixed in the same file). */
function context(
  store: StoreConnection,
  db: Transaction<Database>,
  source: Source,
  log: (message: string) => void,
): MigrationContext {
  const dialect = store.dialect;
  return {
    db,
    schema: store.schemaOf(source),
    source,
    dialect,
    text: dialect === 'postgres' ? sql`text collate "C"` : 'text',
    createIndex: (name, table, columns, options) => store.impl.createIndex(db, source, name, table, columns, options),
    tableName: (table) => store.impl.tableName(source, table),
    progress: (message) => log(`${source}: ${message}`),
  };
}
