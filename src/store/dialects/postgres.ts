/**
 * PostgreSQL (pg). Main and archive are the schemas `ixv_main` and
 * `ixv_archive` of one database, so a move between them is one transaction.
 * Transactions are READ COMMITTED; a read-modify-write locks the rows it read
 * (`for update`), and a transaction PostgreSQL aborts as a deadlock or a
 * serialization failure is run again.
 */
import { hash } from 'node:crypto';
import { CompiledQuery, Kysely, sql } from 'kysely';
import type pg from 'pg';
import type { Source } from '../../domain/search.js';
import type { StoreDialect } from '../dialect.js';
import { postgresFullText } from '../fulltext-engines.js';
import { postgresRowWriter } from '../row-writer.js';
import type { Database } from '../schema.js';
import { pgModule } from './pg-module.js';
import { acceptCopyData } from './postgres-copy.js';
import { keepPrepared, PipeliningPostgresDialect, sendTogether, sendWithCommit, statementName } from './postgres-driver.js';
import { violatedUniqueConstraint } from './postgres-errors.js';
import { readPageRows, tapConnection } from './postgres-page-reader.js';
import { PROBE_MS, StallWatch } from './postgres-stalls.js';
import { GrowingTableStatistics } from './postgres-statistics.js';

const SCHEMAS: Record<Source, string> = { main: 'ixv_main', archive: 'ixv_archive' };
/** deadlock_detected, serialization_failure */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 5;
/** The most keys lockKeys locks one by one (see StoreDialect.lockKeys); a call naming more locks their scope. */
const KEYS_LOCKED_ONE_BY_ONE = 16;
/** How long a connection may stay idle in the pool before it is closed. */
const IDLE_CONNECTION_MS = 5 * 60_000;

/** See the pool's `connect` listener: the error reaches whoever is using the connection, as a failed statement. */
function ignoreCheckedOutError(): void {}

/**
 * How long a new connection may take to be made (TCP, TLS, authentication). pg waits forever by default, so a
 * server that accepted connections and never answered them held every request that needed a new one. Only the
 * making of a connection: waiting for one of the pool's is a queue, which the stall watch keeps moving.
 */
const CONNECT_MS = PROBE_MS;

/** pg's client, with CONNECT_MS for every connection the pool makes (pg-pool's own option also bounds its queue). */
let boundedClient: typeof pg.Client | undefined;
function boundedClientClass(): typeof pg.Client {
  // Made on first use: pg loads only when a PostgreSQL store opens (pg-module.ts).
  boundedClient ??= class BoundedClient extends pgModule().Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: CONNECT_MS });
    }
  };
  return boundedClient;
}

/** Connects anew and runs `select 1` (the stall watch's question); never leaves the probe's connection open. */
async function probe(url: string): Promise<void> {
  const client = new (boundedClientClass())({ connectionString: url, query_timeout: PROBE_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    // A connection that does not answer does not answer an orderly end either.
    client.connection?.stream?.destroy();
    throw err;
  }
  await client.end().catch(() => {});
}

export interface PostgresOptions {
  poolSize: number;
  /** Analyze tables as they grow (postgres-statistics.ts); off where a test counts every statement sent. */
  analyzeGrowingTables: boolean;
}

export function openPostgres(url: string, options: PostgresOptions): { db: Kysely<Database>; dialect: StoreDialect } {
  const stalls = new StallWatch(() => probe(url));
  const pool = new (pgModule().Pool)({
    Client: boundedClientClass(),
    connectionString: url,
    max: options.poolSize,
    // A new connection starts with empty catalog and plan caches and re-prepares every named statement: pg's
    // default (10 s idle) opened cold connections after every pause of a quiet server (docs/BENCHMARKS.md,
    // "Full-text on PostgreSQL, cold reads, session 6"). TCP keepalives keep a firewall from dropping them meanwhile.
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    keepAlive: true,
  });
  // An idle connection that ends (a restart, a failover, pg_terminate_backend, the network) is reported as the
  // pool's `error` event, and an event with no listener throws: the process ended. The pool has dropped the
  // connection already; the next statement opens a new one.
  pool.on('error', (err) => process.emitWarning(`a PostgreSQL connection ended while idle: ${err.message}`));
  // Every new connection, before its first query.
  pool.on('connect', (client) => {
    // A connection that ends while checked out (a statement running, a transaction between statements) is
    // reported as the client's own `error` event, which the pool listens to only while the client is idle:
    // unheard, it ended the process. The statement in flight fails with that error, a later one is refused
    // (the client is no longer queryable), and the pool drops the client when it comes back.
    client.on('error', ignoreCheckedOutError);
    // A statement of a server that stopped answering fails instead of waiting forever (postgres-stalls.ts).
    stalls.watch(client);
    // New rows are written by COPY (postgres-copy.ts); after the stall watch, which then sees them too.
    acceptCopyData(client);
    // A page's rows are read from its bytes (postgres-page-reader.ts).
    tapConnection(client);
  });
  const statistics = options.analyzeGrowingTables
    ? new GrowingTableStatistics((text, values) => pool.query(text, values), Object.values(SCHEMAS))
    : undefined;
  const db = new Kysely<Database>({
    dialect: new PipeliningPostgresDialect(pool, {
      // Every commit waits for its WAL flush, even where the server's, database's or role's default is
      // off: an acknowledged write must survive a crash. Once per connection, not once per transaction.
      async prepare(connection) {
        await connection.executeQuery(CompiledQuery.raw('set synchronous_commit to on'));
      },
      committed: () => statistics?.wrote(),
    }),
  });
  const dialect: StoreDialect = {
    name: 'postgres',
    schemaOf: (source) => SCHEMAS[source],
    bind: <D extends Kysely<Database>>(target: D, source: Source) => target.withSchema(SCHEMAS[source]) as D,
    table: (source, table) => sql.id(SCHEMAS[source], table),
    async createIndex(target, source, name, table, columns, options) {
      const cols = sql.join(columns.map((c) => sql.id(c)));
      const unique = options?.unique ? sql`unique` : sql``;
      const where = options?.where ? sql`where ${options.where}` : sql``;
      await sql`create ${unique} index ${sql.id(name)} on ${sql.id(SCHEMAS[source], table)} (${cols}) ${where}`.execute(target);
    },
    tableName: (_source, table) => table,
    groupCommits: false,
    inList: (values) => sql`= any(${values}::text[])`,
    // Named by its text: pg parses a name once per connection, and the server keeps its plan (see StoreDialect).
    async readPrepared<R extends readonly unknown[]>(query: CompiledQuery) {
      const array: pg.QueryArrayConfig = {
        name: statementName(query.sql),
        text: query.sql,
        values: [...query.parameters],
        rowMode: 'array',
      };
      return (await pool.query(array)).rows as unknown[] as R[];
    },
    async readPage(query, limit) {
      const client = await pool.connect();
      try {
        const page = await readPageRows(
          client,
          { name: statementName(query.sql), text: query.sql, values: [...query.parameters] },
          limit,
        );
        client.release();
        return page;
      } catch (err) {
        // As pool.query does: a client whose statement failed is not given out again (its connection may be broken).
        client.release(err as Error);
        throw err;
      }
    },
    lockRows: true,
    writableCtes: true,
    sendTogether,
    sendWithCommit,
    keepPrepared,
    async write(target, work) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await target.transaction().execute(work);
        } catch (err) {
          const { code } = err as { code?: string };
          // Two appends to one audit chain that did not exclude each other (servers attached to different
          // Citus nodes take advisory locks on different nodes): the loser runs again on the new head.
          const chainRace = violatedUniqueConstraint(err)?.startsWith('audit_log_chain_uq') === true;
          if (attempt >= ATTEMPTS || !code || !(RETRYABLE.has(code) || chainRace)) throw err;
        }
      }
    },
    async lockKeys(trx, scope, keys) {
      if (keys.length === 0) return;
      const scopeKey = String(advisoryKey(scope));
      const distinct = new Set(keys);
      if (distinct.size > KEYS_LOCKED_ONE_BY_ONE) {
        await sql`select pg_advisory_xact_lock(${scopeKey}::bigint)`.execute(trx);
        return;
      }
      const sorted = [...distinct]
        .map((key) => advisoryKey(`${scope}\u0000${key}`))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map(String);
      // unnest yields the keys in order: the scope's shared lock first, then the keys', sorted.
      await sql`select case when u.shared then pg_advisory_xact_lock_shared(u.k) else pg_advisory_xact_lock(u.k) end
        from unnest(${[scopeKey, ...sorted]}::bigint[], ${[true, ...sorted.map(() => false)]}::boolean[]) as u(k, shared)`.execute(
        trx,
      );
    },
    async lockHoldGate(trx, tenantId, mode) {
      const key = String(advisoryKey(`${tenantId}\u0000legal-hold-gate`));
      if (mode === 'hold') await sql`select pg_advisory_xact_lock(${key}::bigint)`.execute(trx);
      else await sql`select pg_advisory_xact_lock_shared(${key}::bigint)`.execute(trx);
    },
    isUniqueViolation: (err) => violatedUniqueConstraint(err) !== undefined,
    // audit_log.seq defaults to nextval of its schema's audit_seq (migration 003).
    auditSeq: async () => undefined,
    rows: postgresRowWriter((source, table) => `"${SCHEMAS[source]}"."${table}"`, Object.values(SCHEMAS)),
    fullText: postgresFullText((source) => SCHEMAS[source]),
    scrubStep: async () => false,
    truncateLog: async () => true,
    adoptLegacy: async () => undefined,
    close: async () => {
      stalls.stop();
      await statistics?.stop();
      await db.destroy();
    },
  };
  return { db, dialect };
}

/**
 * A signed 64-bit advisory-lock key for a string (a collision only makes two writers wait for each other).
 * Every writer must make the same key of the same string: SHA-256's first 8 bytes, by the one-shot
 * `hash` (two keys a record on ingest; `createHash` cost ~1 µs more each).
 */
function advisoryKey(key: string): bigint {
  return hash('sha256', key, 'buffer').readBigInt64BE(0);
}
