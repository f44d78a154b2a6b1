/**
 * Kysely's driver for pg, with fewer round trips in a transaction. Every
 * PostgreSQL statement is a round trip to another process, which on these
 * machines costs more than most statements do (docs/BENCHMARKS.md, "What a
 * PostgreSQL round trip costs on this machine"): a small upload was five of
 * them, BEGIN and COMMIT included. Here:
 * - a transaction's BEGIN is not sent alone: it goes with the transaction's
 *   first statement;
 * - statements a caller hands over together (`sendTogether`) go in one write;
 * - a statement handed over for the commit (`sendWithCommit`) goes with the
 *   COMMIT, or with whatever statement comes first;
 * - a statement marked `keepPrepared` runs by name, planned once per
 *   connection rather than on every run.
 * Statements sent together use pg's pipeline mode: each is still its own
 * Parse/Bind/Execute/Sync, and the server runs them one after the other as if
 * they had come one by one. Inside a transaction, one that fails aborts it and
 * those behind it fail without effect (25P02): the first failure is the one
 * reported, and the transaction is rolled back as for any failed statement.
 * A COPY (postgres-copy.ts) cannot be pipelined: statements sent with one go
 * one by one.
 */
import { hash } from 'node:crypto';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  PostgresDialect,
  type PostgresDialectConfig,
  type QueryResult,
  type Transaction,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import type { RowsOf } from '../dialect.js';
import type { Database } from '../schema.js';
import { isCopyData } from './postgres-copy.js';

/** The statements a carrier stands for (sendTogether): Kysely hands the carrier to the transaction's connection. */
const carried = new WeakMap<CompiledQuery, readonly CompiledQuery[]>();
/** Statements to be sent with the transaction's next one (sendWithCommit). */
const forCommit = new WeakSet<CompiledQuery>();
/** Statements run by name (keepPrepared). */
const kept = new WeakSet<CompiledQuery>();

/** Runs `queries` in order in `trx`, sent in one round trip; returns each one's rows. */
export async function sendTogether<T extends readonly CompiledQuery[]>(
  trx: Transaction<Database>,
  queries: T,
): Promise<RowsOf<T>> {
  const carrier = CompiledQuery.raw('/* statements sent together */');
  carried.set(carrier, queries);
  return (await trx.executeQuery(carrier)).rows as unknown as RowsOf<T>;
}

/** Runs `query` in `trx` with its next statement, the COMMIT when none comes first; its failure fails the transaction. */
export async function sendWithCommit(trx: Transaction<Database>, query: CompiledQuery): Promise<void> {
  forCommit.add(query);
  await trx.executeQuery(query);
}

/**
 * Marks a statement whose text repeats to be run by name: each connection
 * parses it once, and plans it once when the server finds a plan good for
 * every value (after five runs by PostgreSQL's rule), where an unnamed one is
 * parsed and planned on every run (most of a small upload's metadata write
 * was its planning: docs/BENCHMARKS.md, "Session 16"). For texts of a few
 * shapes only: the server keeps every name a connection has prepared.
 */
export function keepPrepared<Q extends CompiledQuery>(query: Q): Q {
  kept.add(query);
  return query;
}

/** Names made so far, by text: the store's statement shapes are few, and hashing a page's text cost a few µs a request. */
const statementNames = new Map<string, string>();
const STATEMENT_NAMES_KEPT = 1000;

/** A prepared statement's name: one per text (pg refuses one name for two texts), within NAMEDATALEN. */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `ixv_${hash('sha256', text, 'hex').slice(0, 32)}`;
    if (statementNames.size >= STATEMENT_NAMES_KEPT) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

const BEGIN = CompiledQuery.raw('begin');

/** One pooled client, as Kysely sees it: statements wait in `pending` to go with the next one. */
class PipeliningConnection implements DatabaseConnection {
  /** The transaction's BEGIN, not sent yet, and the statements handed over for the commit. */
  private pending: CompiledQuery[] = [];
  /** Whether the server has been told of the transaction (its BEGIN was sent). */
  private begun = false;
  /** Between Kysely's begin and its commit or rollback. */
  private inTransaction = false;
  prepared = false;

  constructor(
    readonly client: pg.PoolClient,
    private readonly hooks: ConnectionHooks,
  ) {}

  begin(): void {
    this.pending = [BEGIN];
    this.begun = false;
    this.inTransaction = true;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Outside a transaction a statement kept back would go with the next user's statements: it runs at once.
    if (forCommit.has(query) && this.inTransaction) {
      this.pending.push(query);
      return { rows: [] };
    }
    const own = carried.get(query) ?? [query];
    const results = await this.send([...this.take(), ...own]);
    if (carried.has(query)) return { rows: results.slice(-own.length).map((r) => r.rows) as R[] };
    return results.at(-1) as QueryResult<R>;
  }

  /** COMMIT with what is pending; nothing at all for a transaction that sent no statement. */
  async commit(): Promise<void> {
    this.inTransaction = false;
    if (!this.begun && this.pending.length === 1) this.pending = [];
    else {
      await this.executeQuery(CompiledQuery.raw('commit'));
      this.hooks.committed();
    }
  }

  /** ROLLBACK, with what is pending dropped; nothing to say to the server when it never heard of the transaction. */
  async rollback(): Promise<void> {
    this.inTransaction = false;
    this.pending = [];
    if (this.begun) await this.executeQuery(CompiledQuery.raw('rollback'));
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the store does not stream query results');
  }

  private take(): CompiledQuery[] {
    const out = this.pending;
    this.pending = [];
    if (out[0] === BEGIN) this.begun = true;
    return out;
  }

  /** Sends `queries` in one write (one by one when one is a COPY); settles when all are answered, failing with the first failure. */
  private async send(queries: CompiledQuery[]): Promise<QueryResult<unknown>[]> {
    if (queries.length === 1 || queries.some((q) => isCopyData(q.sql, q.parameters))) {
      const out: QueryResult<unknown>[] = [];
      for (const q of queries) out.push(await this.run(q));
      return out;
    }
    const client = this.client as unknown as { pipeline: boolean };
    client.pipeline = true;
    // pg writes each statement as it is given in pipeline mode; it must stay in that mode until the last is answered.
    const answers = await Promise.allSettled(queries.map((q) => this.run(q)));
    client.pipeline = false;
    const failed = answers.find((a) => a.status === 'rejected');
    if (failed) throw failed.reason;
    return answers.map((a) => (a as PromiseFulfilledResult<QueryResult<unknown>>).value);
  }

  private async run(query: CompiledQuery): Promise<QueryResult<unknown>> {
    const values = [...query.parameters];
    const { command, rowCount, rows } = await (kept.has(query)
      ? this.client.query({ name: statementName(query.sql), text: query.sql, values })
      : this.client.query(query.sql, values));
    const changed = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return changed ? { numAffectedRows: BigInt(rowCount ?? 0), rows: rows ?? [] } : { rows: rows ?? [] };
  }
}

/** What the store does at points of a connection's life. */
export interface ConnectionHooks {
  /** Once on each new connection, before its first statement. */
  prepare(connection: DatabaseConnection): Promise<void>;
  /** After each transaction that sent a statement has committed. */
  committed(): void;
}

/** Kysely's pg driver, but for its connections (see the file's comment). */
class PipeliningDriver implements Driver {
  private readonly connections = new WeakMap<pg.PoolClient, PipeliningConnection>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly hooks: ConnectionHooks,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await this.pool.connect();
    let connection = this.connections.get(client);
    if (!connection) {
      connection = new PipeliningConnection(client, this.hooks);
      this.connections.set(client, connection);
    }
    if (!connection.prepared) {
      try {
        await this.hooks.prepare(connection);
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
      connection.prepared = true;
    }
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // Nothing the store asks for: a transaction with settings would need them on its BEGIN.
    if (settings.isolationLevel || settings.accessMode) throw new Error('transaction settings are not supported');
    (connection as PipeliningConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PipeliningConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PipeliningConnection).rollback();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PipeliningConnection).client.release();
  }

  async destroy(): Promise<void> {
    await this.pool.end();
  }
}

/** Kysely's PostgreSQL dialect on the pipelining driver. */
export class PipeliningPostgresDialect extends PostgresDialect {
  constructor(
    private readonly pool: pg.Pool,
    private readonly hooks: ConnectionHooks,
  ) {
    super({ pool } satisfies PostgresDialectConfig);
  }

  override createDriver(): Driver {
    return new PipeliningDriver(this.pool, this.hooks);
  }
}
