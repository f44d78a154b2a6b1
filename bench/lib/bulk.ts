/**
 * Bare inserts of prepared rows, without ixvault's code in the way. Used two
 * ways: as the ingest workload's baseline (indexes in place, one transaction
 * per 1000 interactions, as ixvault's batch does), and as the fast path that
 * sets up the search dataset (secondary indexes dropped during the load and
 * rebuilt after, big transactions). Table and column lists are read from the
 * database that ixvault's migrations created, so the rows land in the real schema.
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { timeBucket } from '../../src/store/fulltext-engines.js';
import type { RowSet } from './dataset.js';

export const TABLES = ['interactions', 'interaction_agents', 'custom_attributes', 'messages', 'content_items'] as const;
type Table = (typeof TABLES)[number];

export interface BulkWriter {
  /** Inserts the rows of these interactions in one transaction (PostgreSQL: up to two under way; settled by close). */
  write(batch: RowSet[]): Promise<void>;
  /** The same, settled once that transaction has committed. */
  commit(batch: RowSet[]): Promise<void>;
  /** Drops the secondary indexes (not primary keys or unique constraints) until rebuildIndexes. */
  dropIndexes(): Promise<void>;
  rebuildIndexes(): Promise<void>;
  close(): Promise<void>;
}

function rowsOf(batch: RowSet[], table: Table): object[] {
  switch (table) {
    case 'interactions':
      return batch.map((r) => r.interaction);
    case 'interaction_agents':
      return batch.flatMap((r) => r.agents);
    case 'custom_attributes':
      return batch.flatMap((r) => r.attributes);
    case 'messages':
      return batch.flatMap((r) => r.messages);
    case 'content_items':
      return batch.flatMap((r) => r.content);
  }
}

export interface SqliteWriterOptions {
  /**
   * Page cache in KiB. Default 1 GiB: it makes the index rebuild after a bulk
   * load sort in memory. The ingest baseline passes ixvault's own setting, so
   * both sides of its ratio run SQLite alike.
   */
  cacheKiB?: number;
}

/** Columns no row mapper writes: the database's triggers keep them (interactions.vonage_item, migration 010). */
export const KEPT_BY_THE_DATABASE = new Set(['vonage_item']);

/** better-sqlite3, one prepared single-row INSERT per table, run in a transaction. */
export function sqliteWriter(file: string, options: SqliteWriterOptions = {}): BulkWriter {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`cache_size = -${options.cacheKiB ?? 1_048_576}`);
  const insert = new Map<Table, BetterSqlite3.Statement>();
  for (const table of TABLES) {
    const columns = (db.pragma(`table_info(${table})`) as { name: string }[])
      .map((c) => c.name)
      .filter((c) => !KEPT_BY_THE_DATABASE.has(c));
    insert.set(
      table,
      db.prepare(`insert into main.${table} (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`),
    );
  }
  // The full-text rows as ixvault's FTS5 engine keeps them: a doc id per interaction, its tokens under that rowid.
  const mapDoc = db.prepare('insert into main.text_docs (tenant_id, interaction_id) values (?, ?)');
  const indexDoc = db.prepare('insert into main.text_fts (rowid, body) values (?, ?)');
  const writeAll = db.transaction((batch: RowSet[]) => {
    for (const table of TABLES) {
      const stmt = insert.get(table) as BetterSqlite3.Statement;
      for (const row of rowsOf(batch, table)) stmt.run(row);
    }
    for (const { interaction, textDoc } of batch) {
      if (!textDoc) continue;
      const { lastInsertRowid } = mapDoc.run(interaction.tenant_id, interaction.id);
      indexDoc.run(lastInsertRowid, textDoc);
    }
  });
  let dropped: { name: string; sql: string }[] = [];
  return {
    // One transaction, run to its commit before either answers.
    async write(batch) {
      writeAll(batch);
    },
    commit: async (batch) => writeAll(batch),
    async dropIndexes() {
      dropped = db
        .prepare(
          `select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${TABLES.map(() => '?').join(', ')})`,
        )
        .all(...TABLES) as { name: string; sql: string }[];
      for (const { name } of dropped) db.exec(`drop index main."${name}"`);
    },
    async rebuildIndexes() {
      for (const { sql } of dropped) db.exec(sql);
      dropped = [];
    },
    async close() {
      db.close();
    },
  };
}

const PG_SCHEMA = 'ixv_main';

/**
 * PostgreSQL: one prepared `INSERT … SELECT * FROM unnest($1::text[], …)` per
 * table, whatever the number of rows (one round trip per table and batch).
 * Up to two batches are in flight on two connections, so the client builds
 * the next batch while the server stores the previous one.
 */
export async function postgresWriter(url: string): Promise<BulkWriter> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const columns = new Map<Table, { name: string; type: string }[]>();
  const { rows } = await pool.query<{ table_name: Table; column_name: string; data_type: string }>(
    `select table_name, column_name, data_type from information_schema.columns
      where table_schema = $1 order by table_name, ordinal_position`,
    [PG_SCHEMA],
  );
  for (const r of rows) {
    const list = columns.get(r.table_name) ?? [];
    list.push({ name: r.column_name, type: r.data_type });
    columns.set(r.table_name, list);
  }
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const settle = async () => {
    await Promise.all([...inFlight]);
    if (failure) throw failure;
  };
  let dropped: { name: string; def: string }[] = [];

  const writeBatch = async (batch: RowSet[]) => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      for (const table of TABLES) {
        const list = rowsOf(batch, table) as Record<string, unknown>[];
        if (list.length === 0) continue;
        const cols = columns.get(table) ?? [];
        const values = cols.map((c) => list.map((row) => row[c.name] ?? null));
        await client.query({
          name: `bulk_${table}`,
          text: `insert into ${PG_SCHEMA}.${table} (${cols.map((c) => c.name).join(', ')})
                 select * from unnest(${cols.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`,
          values,
        });
      }
      // The full-text rows as ixvault's engine keeps them: one tsvector per interaction (`simple` over our tokens).
      const docs = batch.filter((r) => r.textDoc);
      if (docs.length > 0)
        await client.query({
          name: 'bulk_text_docs',
          text: `insert into ${PG_SCHEMA}.text_docs (tenant_id, interaction_id, time_bucket, start_ms, doc)
                 select u.tenant_id, u.id, u.bucket, u.start, to_tsvector('pg_catalog.simple', u.body)
                 from unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::text[]) as u(tenant_id, id, bucket, start, body)`,
          values: [
            docs.map((r) => r.interaction.tenant_id),
            docs.map((r) => r.interaction.id),
            docs.map((r) => timeBucket(Number(r.interaction.start_ms))),
            docs.map((r) => r.interaction.start_ms),
            docs.map((r) => r.textDoc),
          ],
        });
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  };

  return {
    commit: writeBatch,
    async write(batch) {
      if (inFlight.size >= 2) await Promise.race(inFlight);
      if (failure) throw failure;
      // A failure is kept and thrown by the next write or by settle(), not left unhandled.
      const p: Promise<void> = writeBatch(batch)
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async dropIndexes() {
      const res = await pool.query<{ name: string; def: string }>(
        `select i.indexname as name, i.indexdef as def from pg_indexes i
          where i.schemaname = $1 and i.tablename = any($2)
            and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
        [PG_SCHEMA, [...TABLES]],
      );
      dropped = res.rows;
      for (const { name } of dropped) await pool.query(`drop index ${PG_SCHEMA}."${name}"`);
    },
    async rebuildIndexes() {
      await settle();
      const client = await pool.connect();
      try {
        await client.query(`set maintenance_work_mem = '1GB'`);
        for (const { def } of dropped) await client.query(def);
        await client.query(`analyze`);
      } finally {
        client.release();
      }
      dropped = [];
    },
    async close() {
      try {
        await settle();
      } finally {
        await pool.end();
      }
    },
  };
}
