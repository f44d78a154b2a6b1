/**
 * What differs between SQLite and PostgreSQL, behind one interface. Each
 * dialect lives in `dialects/<name>.ts` and provides the same members; the
 * repositories never branch on the dialect's name.
 *
 * The consistency model both give the repositories:
 * - Every change is made inside `write()`: on SQLite a transaction begun
 *   IMMEDIATE (the write lock is taken first, so a read-modify-write cannot be
 *   overtaken by another connection or process); on PostgreSQL a READ
 *   COMMITTED transaction whose read-modify-write steps lock their rows
 *   (`lockRows`: SELECT … FOR UPDATE), retried when PostgreSQL reports a
 *   deadlock or serialization failure.
 * - The main and archive stores are two sets of the same tables in ONE
 *   database (SQLite: `archive_`-prefixed tables in the same file; PostgreSQL:
 *   schemas `ixv_main` and `ixv_archive`), so a move between them is a single
 *   atomic transaction.
 */
import type { CompiledQuery, Kysely, RawBuilder, Transaction } from 'kysely';
import type { TextQuery } from '../domain/fulltext.js';
import type { Source } from '../domain/search.js';
import type { InteractionInput } from '../domain/validate.js';
import type { UpsertOutcome } from './interaction-repository.js';
import type { PageRows } from './page-rows.js';
import type { Columns } from './rows.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** The rows of each of these statements, in order. */
export type RowsOf<T extends readonly CompiledQuery[]> = { [K in keyof T]: T[K] extends CompiledQuery<infer O> ? O[] : never };

/** A physical table of one logical store, for raw SQL. */
export type TableOf = (source: Source, table: keyof Database) => RawBuilder<unknown>;

/** Many-row writes on the ingestion path, each database's fastest way (see row-writer.ts). */
export interface RowWriter {
  /** Inserts rows that all have the same columns, within `trx` (which must be a transaction). */
  insert<T extends WritableTable>(trx: Transaction<Database>, source: Source, table: T, rows: Database[T][]): Promise<void>;
  /**
   * Inserts rows, or updates the row with the same `conflict` key in place,
   * leaving the columns in `keep` as they are (`insert … on conflict do update`).
   * The rows must not repeat a key.
   */
  upsert<T extends WritableTable>(
    trx: Transaction<Database>,
    source: Source,
    table: T,
    rows: Database[T][],
    options: { conflict: (keyof Database[T] & string)[]; keep: (keyof Database[T] & string)[] },
  ): Promise<void>;
  /** `insert` of rows given column by column (rows.ts Columns). */
  insertColumns<T extends WritableTable>(
    trx: Transaction<Database>,
    source: Source,
    table: T,
    columns: Columns<Database[T]>,
  ): Promise<void>;
  /** `upsert` of rows given column by column. */
  upsertColumns<T extends WritableTable>(
    trx: Transaction<Database>,
    source: Source,
    table: T,
    columns: Columns<Database[T]>,
    options: { conflict: (keyof Database[T] & string)[]; keep: (keyof Database[T] & string)[] },
  ): Promise<void>;
}

/**
 * Writes batches of records elsewhere than on the calling thread, exactly as
 * InteractionRepository.upsertMany would here (SQLite's batch writer thread:
 * sqlite-batch-writer.ts), and the residue scrub's long index merges, which
 * would otherwise hold the event loop for up to ~0.6 s a step.
 */
export interface BatchWriter {
  upsertMany(tenantId: string, inputs: InteractionInput[], nowMs: number, mode: 'upsert' | 'create'): Promise<UpsertOutcome[]>;
  /** FullTextEngine.purgeStep in a write transaction of its own. */
  purgeStep(source: Source): Promise<boolean>;
  /** Starts the thread now rather than on the first batch (a server or an import about to write). */
  warm(): void;
}

export type WritableTable = 'interactions' | 'interaction_agents' | 'custom_attributes' | 'messages' | 'text_parts';

/**
 * The database's own full-text engine (SQLite FTS5, PostgreSQL tsvector + GIN)
 * over one document per interaction: the tokens `documentOf` made of its text
 * parts (src/domain/fulltext.ts). Every write happens inside the caller's
 * write transaction, so the index commits with the record or not at all.
 */
export interface FullTextEngine {
  /**
   * Replaces the documents of these interactions; an empty body removes the
   * document. `startMs` is the interaction's start (SQLite keys its documents
   * by it, so matches come out of the index in time order).
   */
  put(
    trx: Transaction<Database>,
    source: Source,
    tenantId: string,
    docs: { id: string; startMs: number; body: string }[],
  ): Promise<void>;
  remove(trx: Transaction<Database>, source: Source, tenantId: string, ids: string[]): Promise<void>;
  /**
   * One bounded step of removing removed documents' words from the index's storage, inside `trx`; false once
   * there is nothing left to remove. SQLite: FTS5, being contentless, only marks a removed document (a
   * tombstone) and keeps its words in the segment that holds them until that segment is merged, so a step
   * merges SCRUB_MERGE_PAGES pages towards one segment. PostgreSQL: nothing to do here (a removed document is
   * a dead tuple, see docs/GOVERNANCE.md).
   */
  purgeStep(trx: Transaction<Database>, source: Source): Promise<boolean>;
  /**
   * A subquery of the tenant's interactions matching `query`, selecting
   * `interaction_id` and, when `scored`, `score` (higher is more relevant).
   * `deadline` (epoch ms): SQLite checks it for every candidate row.
   */
  hits(source: Source, tenantId: string, query: TextQuery, options: { deadline: number; scored: boolean }): RawBuilder<unknown>;
  /**
   * Whether a search in time order of `query` with an agent is best answered by intersecting the
   * query with the agent's token in the index (agentToken: every document carries its handling
   * agents'), rather than by walking the agent's own index and checking each row's document.
   */
  intersectsAgents(db: Kysely<Database>, source: Source, tenantId: string, query: TextQuery, slice: number): Promise<boolean>;
  /**
   * The condition "interaction `i` matches" for a search in time order
   * within [lowerMs, upperMs], as this engine answers it best. `complete`
   * false: the condition holds only the first `slice` matches in the search's
   * order (and every other match of the last one's millisecond); when the
   * page is not full with them the caller asks again with a larger slice
   * (see fulltext-engines.ts). `byKey`: the matches (a subquery of
   * interaction ids) are few: fetched by key when the search has no other
   * index to walk (`filter` is `i.id in (byKey)`).
   */
  timeOrderedFilter(
    db: Kysely<Database>,
    source: Source,
    tenantId: string,
    query: TextQuery,
    window: {
      deadline: number;
      lowerMs: number;
      upperMs: number;
      order: 'asc' | 'desc';
      /** Infinity: every match of the window (complete). */
      slice: number;
      /** The column holding the walked row's interaction id (default i.id). */
      idColumn?: RawBuilder<unknown>;
      /**
       * With slice Infinity: a subquery of the interaction ids the caller will check (the rows of the
       * window its own index walks). An engine may read only these interactions' matches.
       */
      among?: RawBuilder<unknown>;
      /** With complete false: also estimate `density`. */
      estimate?: boolean;
      /**
       * An agent's or an attribute's index drives the search and checks its own rows against the
       * matches (`slice` is then a few thousand, not a page).
       */
      driven?: boolean;
    },
  ): Promise<{
    filter: RawBuilder<unknown>;
    complete: boolean;
    byKey?: RawBuilder<unknown>;
    /** The share of the documents (all tenants') from the slice's last match to the window's end that match, when estimated. */
    density?: number;
  }>;
  /** Runs a search's statements within `budgetMs`; past it, the search fails with errors.searchBudget. */
  withinBudget<T>(db: Kysely<Database>, budgetMs: number, run: (db: Kysely<Database>) => Promise<T>): Promise<T>;
}

/** A unique index, and a partial one: only the rows `where` holds for (a condition on the table's own columns, no parameters). */
export interface IndexOptions {
  unique?: boolean;
  where?: RawBuilder<unknown>;
}

export interface StoreDialect {
  readonly name: DialectName;
  /** The physical schema holding a logical store (for DDL and the catalog). */
  schemaOf(source: Source): string;
  /** A Kysely (or transaction) bound to one logical store's tables. */
  bind<D extends Kysely<Database>>(db: D, source: Source): D;
  table: TableOf;
  /** `create index` for a logical store's table. */
  createIndex(
    db: Kysely<Database>,
    source: Source,
    name: string,
    table: string,
    columns: string[],
    options?: IndexOptions,
  ): Promise<void>;
  /** A logical store's table as named without a schema (SQLite: the archive's prefix). */
  tableName(source: Source, table: string): string;
  /**
   * `IN` over a list given as ONE bound parameter, to follow a column in raw
   * SQL (`id ${inList(ids)}`): SQLite `in (select value from json_each(?))`,
   * PostgreSQL `= any(?::text[])`. One statement text whatever the length, so
   * a batch's look-up is one prepared statement, not chunks of placeholders.
   */
  inList(values: readonly string[]): RawBuilder<unknown>;
  /**
   * Runs a read that repeats one statement text with new values on every
   * request (a Vonage page), outside any transaction, as a statement kept
   * prepared, and answers its rows as arrays (the select list's order): no
   * object per row. SQLite keeps the statement beside Kysely's and runs it
   * while holding Kysely's connection; PostgreSQL names it, so each pooled
   * connection parses and plans it once and may then run it by a plan it
   * keeps for every value (docs/DECISIONS.md, "Pages, session 4").
   */
  readPrepared<R extends readonly unknown[]>(query: CompiledQuery): Promise<R[]>;
  /**
   * Runs a Vonage page's statement as readPrepared does — select list (item,
   * position start, position key), up to `limit` + 1 rows — and answers the
   * page: the items of the first `limit` rows and the position of row `limit`
   * when there is more. SQLite: readPrepared's rows. PostgreSQL: read from the
   * connection's bytes, an item's string per row and nothing else (no pg
   * message, field strings or row array; docs/DECISIONS.md, "Pages on
   * PostgreSQL, session 7").
   */
  readPage(query: CompiledQuery, limit: number): Promise<PageRows>;
  /** Whether read-modify-write steps must lock the rows they read (`for update`). */
  readonly lockRows: boolean;
  /**
   * Whether INSERT and UPDATE run inside WITH, so that several writes are one
   * statement and one round trip (PostgreSQL); SQLite, in process, has no
   * round trips to save and no such statements.
   */
  readonly writableCtes: boolean;
  /**
   * Whether concurrent durable writes should share one transaction
   * (group-commit.ts). SQLite: yes, it has one writer at a time, so they would
   * wait for each other anyway, and sharing the transaction shares the WAL
   * sync. PostgreSQL: no, concurrent transactions run on the pool and the
   * server flushes the WAL once for the commits waiting together; grouping
   * them would serialize their statements' round trips.
   */
  readonly groupCommits: boolean;
  /**
   * Runs `work` in a write transaction (see the module comment) and returns
   * once the commit would survive power loss: on SQLite the WAL file is
   * synced after the commit (the connection runs synchronous=NORMAL, which
   * syncs only at checkpoints), on a libuv thread rather than inside the
   * commit on the event loop, one sync shared by the commits made while
   * another runs; on PostgreSQL every connection sets synchronous_commit on
   * when it opens, whatever the server's, database's or role's default.
   */
  write<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs statements of `trx` in order and answers each one's rows. PostgreSQL
   * sends them in one round trip (dialects/postgres-driver.ts), with the
   * transaction's BEGIN when they are its first; SQLite runs them one by one.
   */
  sendTogether<T extends readonly CompiledQuery[]>(trx: Transaction<Database>, queries: T): Promise<RowsOf<T>>;
  /**
   * Runs `query` in `trx` before anything else the transaction runs, for a
   * write whose answer the caller does not need: PostgreSQL sends it with the
   * transaction's next statement, the COMMIT when nothing comes first, in one
   * round trip; its failure is then that statement's, and fails the
   * transaction. SQLite runs it at once.
   */
  sendWithCommit(trx: Transaction<Database>, query: CompiledQuery): Promise<void>;
  /**
   * Marks a statement whose text repeats (of a few shapes only) to be kept
   * prepared: PostgreSQL runs it by name, so each connection parses it once
   * and may plan it once (dialects/postgres-driver.ts); SQLite keeps every
   * statement prepared already (dialects/sqlite-statements.ts).
   */
  keepPrepared<Q extends CompiledQuery>(query: Q): Q;
  /**
   * Serializes writers naming the same key of the same scope (e.g. a tenant's
   * identities) until `trx` ends; on SQLite nothing, as the IMMEDIATE
   * transaction already excludes every other writer. Ingest locks the ids and
   * guids it names before it looks them up, so two writes of the same NEW
   * identity, which have no row to lock yet, run one after the other.
   * PostgreSQL: transaction-scoped advisory locks, at most
   * KEYS_LOCKED_ONE_BY_ONE + 1 a call, since the lock table is one for every
   * connection of the database (64 locks a connection by default) and a
   * batch's 2000 ids and guids as locks ran it out ("out of shared memory").
   * A call naming up to that many keys takes the scope's lock shared and each
   * key's exclusive, in one sorted order (two writers never wait on each
   * other crosswise); a call naming more takes the scope's lock exclusive, and
   * so runs alone among the scope's writers.
   */
  lockKeys(trx: Transaction<Database>, scope: string, keys: string[]): Promise<void>;
  /**
   * The tenant's legal-hold gate, until `trx` ends: every deletion takes it
   * shared before it checks holds, creating a hold takes it exclusive. A hold
   * therefore waits for the deletions already checking and every later
   * deletion sees it (PostgreSQL: transaction-scoped advisory locks; SQLite:
   * nothing, the IMMEDIATE transaction already excludes every other writer).
   */
  lockHoldGate(trx: Transaction<Database>, tenantId: string, mode: 'delete' | 'hold'): Promise<void>;
  /** Whether `err` is the database refusing a duplicate unique key. */
  isUniqueViolation(err: unknown): boolean;
  /**
   * The audit log's next sequence number, inside `trx`, for the insert to
   * store; undefined when the column's default draws it (PostgreSQL, so that
   * the sequence works on every Citus node).
   */
  auditSeq(trx: Transaction<Database>): Promise<string | undefined>;
  rows: RowWriter;
  fullText: FullTextEngine;
  /** Where batches of records are written when not on this thread (SQLite with its batch writer thread). */
  batches?: BatchWriter;
  /**
   * One step of the residue scrub (FullTextEngine.purgeStep in a write transaction of its own; on SQLite on the
   * batch writer's thread when there is one); false once there is nothing left to merge in `source`.
   */
  scrubStep(db: Kysely<Database>, source: Source): Promise<boolean>;
  /**
   * SQLite: empties the WAL file, whose older frames hold pages as they were before a deletion, once they are in
   * the database file; false when a reader in another process still needs them (the next scrub tries again).
   * PostgreSQL: true (its WAL is the server's to recycle).
   */
  truncateLog(db: Kysely<Database>): Promise<boolean>;
  /** Adopts data a previous version kept elsewhere (SQLite: the separate archive file); returns a note for the log. */
  adoptLegacy(db: Kysely<Database>): Promise<string | undefined>;
  close(): Promise<void>;
}
