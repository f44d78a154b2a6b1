/**
 * SQLite (better-sqlite3), the embedded default. Main and archive are two
 * sets of tables in ONE file (`ixvault.db`; archive tables prefixed
 * `archive_`): SQLite commits atomically within one file only, and a move to
 * the archive must never be half done (a separate attached file lost whole
 * batches to SIGKILL). Every transaction begins IMMEDIATE: it takes the write
 * lock first, so a read-modify-write is never overtaken by another connection
 * or process, and never fails midway on a lock upgrade.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  SchemableIdentifierNode,
  SqliteDialect,
  SqliteDriver,
  sql,
  type Transaction,
  type UnknownRow,
  WithSchemaPlugin,
} from 'kysely';
import type { Source } from '../../domain/search.js';
import type { RowsOf, StoreDialect } from '../dialect.js';
import { sqliteFullText } from '../fulltext-engines.js';
import { pageOfRows } from '../page-rows.js';
import { sqliteRowWriter } from '../row-writer.js';
import type { Database } from '../schema.js';
import { sqliteBatchWriter } from '../sqlite-batch-writer.js';
import { type WriterLock, writerLock } from '../writer-lock.js';
import { cachedStatements, keptStatements } from './sqlite-statements.js';

const ARCHIVE_PREFIX = 'archive_';
/** The file a previous version kept the archive in; adopted into the main file at start. */
export const LEGACY_ARCHIVE_FILE = 'ixvault-archive.db';
const ADOPTED_TABLES = ['interactions', 'interaction_agents', 'custom_attributes', 'messages', 'content_items'] as const;

/**
 * The page cache of a connection, in KiB (SQLite's default is 2000). A Vonage page of 1000 at 1M interactions reads
 * ~1000 rows and their index entries at random: with 2000 KiB many of those pages came from the OS by a system call
 * each (docs/DECISIONS.md, "Pages on PostgreSQL, session 5"). The ingest baseline uses the same figure.
 */
export const SQLITE_CACHE_KIB = 65_536;

/** How long a statement waits for another process's lock on the file before it fails. */
const BUSY_TIMEOUT_MS = 5000;

const physicalName = (source: Source, table: string) => (source === 'archive' ? `${ARCHIVE_PREFIX}${table}` : table);

export interface SqliteOptions {
  /** Write batches of records on a thread of their own (sqlite-batch-writer.ts). */
  batchThread?: boolean;
  /** The process's writer lock, when this connection is not the one that owns it (the batch writer's thread). */
  writerLock?: WriterLock;
}

export function openSqlite(dataDir: string, options: SqliteOptions = {}): { db: Kysely<Database>; dialect: StoreDialect } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'ixvault.db');
  // Created 0600 before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const sqlite = new BetterSqlite3(file);
  // A file system without shared memory keeps the rollback journal, whose commits NORMAL already syncs.
  const inWal = sqlite.pragma('journal_mode = WAL', { simple: true }) === 'wal';
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  // A deleted or replaced row's bytes are overwritten with zeros, not left in free space where a copy of the file
  // would still hold them: an erased record must not be readable from the file (docs/GOVERNANCE.md, "What a
  // deletion leaves on disk"; its write cost in docs/BENCHMARKS.md, "Session 13").
  sqlite.pragma('secure_delete = ON');
  const driver = new ImmediateSqliteDriver({ database: cachedStatements(sqlite) }, sqlite);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect(driver) });
  // Statements whose rows come back as arrays (StoreDialect.readPrepared), kept apart from Kysely's, which answer objects.
  const rawStatement = keptStatements(sqlite);
  const wal = walFile(`${file}-wal`);
  const archivePlugin = new TablePrefixPlugin(ARCHIVE_PREFIX);
  const lock = options.writerLock ?? writerLock();
  const batches = options.batchThread ? sqliteBatchWriter(dataDir, lock) : undefined;
  const dialect: StoreDialect = {
    name: 'sqlite',
    schemaOf: () => 'main',
    bind: <D extends Kysely<Database>>(target: D, source: Source) =>
      (source === 'archive' ? target.withPlugin(archivePlugin) : target) as D,
    table: (source, table) => sql.id('main', physicalName(source, table)),
    async createIndex(target, source, name, table, columns, options) {
      const cols = sql.join(columns.map((c) => sql.id(c)));
      const unique = options?.unique ? sql`unique` : sql``;
      const where = options?.where ? sql`where ${options.where}` : sql``;
      await sql`create ${unique} index ${sql.id('main', physicalName(source, name))} on ${sql.id(physicalName(source, table))} (${cols}) ${where}`.execute(
        target,
      );
    },
    tableName: physicalName,
    groupCommits: true,
    inList: (values) => sql`in (select value from json_each(${JSON.stringify(values)}))`,
    // Never inside another caller's open transaction: at once while nobody holds Kysely's connection (the statement
    // is synchronous, so nobody can take it meanwhile), else under it, queued like any other use of it.
    readPrepared: async <R extends readonly unknown[]>(query: CompiledQuery) =>
      driver.held === 0
        ? (rawStatement(query.sql).raw(true).all(query.parameters) as R[])
        : db.connection().execute(async () => rawStatement(query.sql).raw(true).all(query.parameters) as R[]),
    // In process, a row costs no decode beyond SQLite's own: the page is readPrepared's rows.
    async readPage(query, limit) {
      return pageOfRows(await dialect.readPrepared<unknown[]>(query), limit);
    },
    lockRows: false,
    writableCtes: false,
    // In process: nothing to gain by sending statements together.
    async sendTogether<T extends readonly CompiledQuery[]>(trx: Transaction<Database>, queries: T) {
      const rows: unknown[][] = [];
      for (const query of queries) rows.push((await trx.executeQuery(query)).rows);
      return rows as RowsOf<T>;
    },
    async sendWithCommit(trx, query) {
      await trx.executeQuery(query);
    },
    keepPrepared: (query) => query,
    // Every write is acknowledged to someone (a client, an audit entry before the bytes it records), so every
    // write returns only once it would survive power loss: the commit is in the WAL, and syncing it is what
    // synchronous=FULL would do inside the commit, but here on a libuv thread, so the event loop runs on
    // meanwhile, and shared by the commits made while a sync runs. If a checkpoint already moved the commit into
    // the database file, that checkpoint synced it (the WAL is only rewritten after a complete checkpoint).
    // The transaction runs under the process's writer lock (writer-lock.ts), which the batch writer's thread
    // shares; the sync runs after it, so the next writer's transaction overlaps this one's sync.
    async write(target, work) {
      const result = await lock.run(() => target.transaction().execute(work));
      if (inWal) await wal.sync();
      return result;
    },
    lockKeys: async () => {},
    lockHoldGate: async () => {},
    isUniqueViolation: (err) => /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test((err as { code?: string } | null)?.code ?? ''),
    async auditSeq(trx) {
      // Inside an IMMEDIATE transaction nobody else can insert between this read and the caller's insert.
      const { rows } = await sql<{ n: number }>`select coalesce(max(rowid), 0) + 1 as n from main.audit_log`.execute(trx);
      // Zero-padded so that text order is numeric order.
      return String(rows[0]?.n ?? 1).padStart(16, '0');
    },
    rows: sqliteRowWriter(sqlite, (source, table) => `"main"."${physicalName(source, table)}"`),
    fullText: sqliteFullText(sqlite, physicalName),
    scrubStep: (target, source) =>
      batches ? batches.purgeStep(source) : dialect.write(target, (trx) => dialect.fullText.purgeStep(trx, source)),
    truncateLog: (target) =>
      // Under the writer lock and on Kysely's connection (no transaction of this process is open then). A reader
      // in another process makes SQLite wait for it: not here, on the event loop, so the busy timeout is off.
      lock.run(() =>
        target.connection().execute(async () => {
          if (!inWal) return true;
          sqlite.pragma('busy_timeout = 0');
          try {
            const [result] = sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
            return result?.busy === 0;
          } catch (err) {
            if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
            throw err;
          } finally {
            sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
          }
        }),
      ),
    adoptLegacy: async () => adoptLegacyArchive(sqlite, dataDir),
    batches,
    close: async () => {
      await batches?.close();
      await db.destroy();
      await wal.close();
    },
  };
  return { db, dialect };
}

/**
 * The WAL file of an open database, for syncing: it exists as long as a
 * connection is open (SQLite removes it when the last one closes cleanly), so
 * one handle serves for the life of the connection. On first use its folder
 * is synced too, so that the file's own entry survives power loss (as SQLite
 * does on a WAL's first sync).
 */
function walFile(path: string): { sync(): Promise<void>; close(): Promise<void> } {
  let handle: Promise<FileHandle> | undefined;
  /** The fsync under way, and the one queued behind it: shared by every commit made while the first runs. */
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const opening = async () => {
    const file = await open(path, 'r+');
    const folder = await open(dirname(path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    return file;
  };
  const syncOnce = async () => {
    handle ??= opening();
    try {
      await (await handle).sync();
    } catch (err) {
      // Opened again next time (the file may have been missing).
      handle = undefined;
      throw err;
    }
  };
  const start = (): Promise<void> => {
    const run = syncOnce().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return {
    sync() {
      // A sync already under way may have begun before the caller's commit: the caller waits for the next one,
      // which starts when it ends and covers every commit made meanwhile (group commit of the WAL flushes).
      if (!running) return start();
      queued ??= running
        .catch(() => {})
        .then(() => {
          queued = undefined;
          return start();
        });
      return queued;
    },
    async close() {
      await (await handle)?.close();
      handle = undefined;
    },
  };
}

/**
 * A data directory from before the one-file layout has the archive in
 * `ixvault-archive.db`. Its rows are copied into the archive tables in one
 * transaction of the main file (rows already there are kept: the copy is
 * idempotent, so a crash before the rename below only repeats it), then the
 * old file is renamed aside, never deleted.
 */
function adoptLegacyArchive(sqlite: BetterSqlite3.Database, dataDir: string): string | undefined {
  const legacy = join(dataDir, LEGACY_ARCHIVE_FILE);
  if (!existsSync(legacy)) return undefined;
  sqlite.prepare('attach database ? as legacy_archive').run(legacy);
  let adopted = 0;
  try {
    const copy = sqlite.transaction(() => {
      for (const table of ADOPTED_TABLES) {
        const present = sqlite
          .prepare('select 1 from legacy_archive.sqlite_master where type = ? and name = ?')
          .get('table', table);
        if (!present) continue;
        const columns = (sqlite.prepare(`pragma legacy_archive.table_info("${table}")`).all() as { name: string }[])
          .map((c) => `"${c.name}"`)
          .join(', ');
        const result = sqlite
          .prepare(
            `insert or ignore into main."${ARCHIVE_PREFIX}${table}" (${columns}) select ${columns} from legacy_archive."${table}"`,
          )
          .run();
        if (table === 'interactions') adopted = result.changes;
      }
    });
    copy.immediate();
  } finally {
    sqlite.prepare('detach database legacy_archive').run();
  }
  const aside = `${legacy}.adopted-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['-wal', '-shm']) if (existsSync(legacy + suffix)) renameSync(legacy + suffix, aside + suffix);
  renameSync(legacy, aside);
  return `adopted ${adopted} archived interactions from ${LEGACY_ARCHIVE_FILE} into ixvault.db; the old file is kept as ${aside}`;
}

/**
 * Kysely's SQLite driver with `begin immediate` for every transaction, counting
 * who holds its one connection: from before a transaction begins until after
 * it ends, so a read that finds the count at 0 runs outside every transaction.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  held = 0;

  constructor(
    config: ConstructorParameters<typeof SqliteDriver>[0],
    private readonly sqlite: BetterSqlite3.Database,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    this.held++;
    return connection;
  }

  override async releaseConnection(): Promise<void> {
    this.held--;
    await super.releaseConnection();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY) SQLite has rolled the transaction
   * back itself: a ROLLBACK then fails with "no transaction is active", and that error, not the one that says the
   * disk is full, reached the caller (a 500 instead of a 503, and a log that named the wrong cause).
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.sqlite.inTransaction) await super.rollbackTransaction(connection);
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly driver: ImmediateSqliteDriver) {
    super({ database: () => Promise.reject(new Error('the driver is given')) });
  }

  override createDriver(): Driver {
    return this.driver;
  }
}

const MARK = '\u0000ixv_prefix';

/**
 * Renames every table a query names (not its aliases) to `<prefix><table>`,
 * unqualified or qualified with `main`.
 * Kysely's WithSchemaPlugin already knows which identifiers are tables; it
 * marks them with a placeholder schema, and the marked ones are renamed.
 */
class TablePrefixPlugin implements KyselyPlugin {
  private readonly mark = new WithSchemaPlugin(MARK);
  private readonly rename: RenameMarked;

  constructor(prefix: string) {
    this.rename = new RenameMarked(prefix);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.rename.transformNode(this.mark.transformQuery(args), args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

class RenameMarked extends OperationNodeTransformer {
  constructor(private readonly prefix: string) {
    super();
  }

  protected override transformSchemableIdentifier(
    node: SchemableIdentifierNode,
    queryId?: PluginTransformQueryArgs['queryId'],
  ): SchemableIdentifierNode {
    const transformed = super.transformSchemableIdentifier(node, queryId);
    // `main` too: a query may have been given the file's own schema explicitly (Kysely applies withSchema first).
    const schema = transformed.schema?.name;
    if (schema !== MARK && schema !== 'main') return transformed;
    return SchemableIdentifierNode.create(this.prefix + transformed.identifier.name);
  }
}
