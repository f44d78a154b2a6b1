/**
 * The fast setup of the full-text dataset — setup, not measurement (the
 * ingest figures are measured through the production write path before it).
 * Interactions [from, to) of bench/lib/text-dataset.ts are written in large
 * transactions straight into the schema ixvault's migrations made, with the
 * secondary indexes dropped during the load and rebuilt after, and the
 * full-text index is built as `ixvault reindex` would build it: every
 * document made by the write path's own functions (interactionTexts,
 * documentOf, in document order), FTS5 filled in large transactions,
 * PostgreSQL's GIN index created once after its rows.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { documentOf } from '../../src/domain/fulltext.js';
import { newGuid } from '../../src/domain/ids.js';
import type { Interaction } from '../../src/domain/interaction.js';
import { interactionTexts } from '../../src/domain/texts.js';
import { docRowidInsert, slotMs, timeBucket } from '../../src/store/fulltext-engines.js';
import { interactionToRow, messageToRow } from '../../src/store/rows.js';
import { agentTokensOf, partToRow, sortParts } from '../../src/store/text-index.js';
import { KEPT_BY_THE_DATABASE } from './bulk.js';
import { TEXT_TENANT, textRecord, type Vocabulary } from './text-dataset.js';

const BATCH = 2000;
const TABLES = ['interactions', 'interaction_agents', 'messages', 'text_parts'] as const;
type Table = (typeof TABLES)[number];

interface Batch {
  rows: Record<Table, Record<string, unknown>[]>;
  docs: { id: string; startMs: number; body: string }[];
  texts: number;
}

function batchOf(vocabulary: Vocabulary, seed: number, from: number, to: number, nowMs: number): Batch {
  const batch: Batch = { rows: { interactions: [], interaction_agents: [], messages: [], text_parts: [] }, docs: [], texts: 0 };
  for (let i = from; i < to; i++) {
    const { input, transcript } = textRecord(vocabulary, seed, i);
    const record: Interaction = { ...input, id: input.id as string, guid: newGuid() };
    batch.rows.interactions.push(
      interactionToRow(TEXT_TENANT, record, { createdMs: nowMs, updatedMs: nowMs, contentCount: 0 }) as unknown as Record<
        string,
        unknown
      >,
    );
    for (const agentId of new Set(record.handlingAgentIds))
      batch.rows.interaction_agents.push({
        tenant_id: TEXT_TENANT,
        interaction_id: record.id,
        agent_id: agentId,
        start_ms: record.startMs,
      });
    for (const m of input.messages ?? []) batch.rows.messages.push({ ...messageToRow(TEXT_TENANT, record.id, m) });
    for (const part of transcript ?? []) batch.rows.text_parts.push({ ...partToRow(TEXT_TENANT, record.id, part) });
    batch.docs.push({
      id: record.id,
      startMs: record.startMs,
      body: documentOf(
        sortParts([...interactionTexts(input), ...(transcript ?? [])]),
        agentTokensOf(TEXT_TENANT, record.handlingAgentIds),
      ),
    });
    batch.texts += (input.messages?.length ?? 0) + (transcript?.length ?? 0);
  }
  return batch;
}

/**
 * Loads interactions [from, to); returns the number of texts (messages and transcript segments) this call loaded.
 * With `statePath`, a load cut short (killed, the machine stopped) resumes where its last committed batch ended:
 * the dropped indexes' definitions are kept there before they are dropped, and batches commit whole and in order,
 * so the first batch whose first interaction is missing is where the load goes on.
 */
export async function bulkLoadTexts(
  target: { sqliteFile: string } | { databaseUrl: string },
  vocabulary: Vocabulary,
  seed: number,
  from: number,
  to: number,
  log: (message: string) => void,
  statePath?: string,
): Promise<number> {
  const nowMs = Date.now();
  const loader = 'sqliteFile' in target ? sqliteLoader(target.sqliteFile) : await postgresLoader(target.databaseUrl);
  const idOf = (i: number) => textRecord(vocabulary, seed, i).input.id as string;
  let texts = 0;
  try {
    let start = from;
    let dropped: DroppedIndex[];
    if (statePath && existsSync(statePath)) {
      dropped = (JSON.parse(readFileSync(statePath, 'utf8')) as LoadState).dropped;
      // Batches [0, done) are in; find `done` by bisection (a batch's first interaction is there or not).
      let [low, high] = [0, Math.ceil((to - from) / BATCH)];
      while (low < high) {
        const mid = Math.floor((low + high) / 2);
        if (await loader.holds(idOf(from + mid * BATCH))) low = mid + 1;
        else high = mid;
      }
      start = Math.min(to, from + low * BATCH);
      log(`fulltext setup: resuming at interaction ${start} of ${to}`);
    } else {
      dropped = await loader.secondaryIndexes();
      if (statePath) writeFileSync(statePath, JSON.stringify({ dropped } satisfies LoadState));
    }
    // Again on a resumed load (the run cut short may have stopped among the drops), unless nothing is left to load:
    // then only the rebuild below may be owed.
    if (start < to) await loader.dropIndexes(dropped);
    const started = Date.now();
    for (let at = start; at < to; at += BATCH) {
      const batch = batchOf(vocabulary, seed, at, Math.min(to, at + BATCH), nowMs);
      await loader.write(batch);
      texts += batch.texts;
      if (((at - start) / BATCH) % 25 === 0)
        log(`fulltext setup: ${Math.min(to, at + BATCH)}/${to} interactions (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    log('fulltext setup: rebuilding the indexes dropped for the load');
    await loader.rebuildIndexes(dropped);
  } finally {
    await loader.close();
  }
  return texts;
}

/** A secondary index dropped for the load: its name and the statement that creates it again. */
interface DroppedIndex {
  name: string;
  create: string;
}

/** What a resumable load keeps beside the store while it runs. */
interface LoadState {
  dropped: DroppedIndex[];
}

interface Loader {
  /** The secondary indexes the load drops (unique constraints stay: they are what the load's keys rely on). */
  secondaryIndexes(): Promise<DroppedIndex[]>;
  dropIndexes(indexes: DroppedIndex[]): Promise<void>;
  /** Whether the interaction with this id is loaded. */
  holds(id: string): Promise<boolean>;
  write(batch: Batch): Promise<void>;
  rebuildIndexes(indexes: DroppedIndex[]): Promise<void>;
  close(): Promise<void>;
}

function sqliteLoader(file: string): Loader {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -1048576');
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
  // The engine's own rowid rule (time-ordered rowids); rowids are BigInt.
  const map = db.prepare(docRowidInsert('main.text_docs')).safeIntegers(true);
  const index = db.prepare('insert into main.text_fts (rowid, body) values (?, ?)').safeIntegers(true);
  const writeAll = db.transaction((batch: Batch) => {
    for (const table of TABLES) {
      const statement = insert.get(table) as BetterSqlite3.Statement;
      for (const row of batch.rows[table]) statement.run(row);
    }
    for (const { id, startMs, body } of batch.docs) {
      if (body === '') continue;
      index.run(map.run({ ms: slotMs(startMs), tenant: TEXT_TENANT, id }).lastInsertRowid, body);
    }
  });
  const holds = db.prepare('select 1 from main.interactions where tenant_id = ? and id = ?');
  return {
    async secondaryIndexes() {
      return (
        db
          .prepare(
            `select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in ('interactions', 'interaction_agents', 'messages')`,
          )
          .all() as { name: string; sql: string }[]
      ).map(({ name, sql }) => ({ name, create: sql }));
    },
    async dropIndexes(indexes) {
      for (const { name } of indexes) db.exec(`drop index if exists main."${name}"`);
    },
    async holds(id) {
      return holds.get(TEXT_TENANT, id) !== undefined;
    },
    async write(batch) {
      writeAll(batch);
    },
    async rebuildIndexes(indexes) {
      // `if not exists`: a resumed load may have been cut short among these.
      for (const { create } of indexes)
        db.exec(create.replace(/^create (unique )?index (?!if not exists)/i, (m) => `${m}if not exists `));
      db.exec('analyze');
    },
    async close() {
      db.close();
    },
  };
}

const PG_SCHEMA = 'ixv_main';

async function postgresLoader(url: string): Promise<Loader> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const columns = new Map<Table, { name: string; type: string }[]>();
  const { rows } = await client.query<{ table_name: Table; column_name: string; data_type: string }>(
    `select table_name, column_name, data_type from information_schema.columns
      where table_schema = $1 order by table_name, ordinal_position`,
    [PG_SCHEMA],
  );
  for (const r of rows)
    columns.set(r.table_name, [...(columns.get(r.table_name) ?? []), { name: r.column_name, type: r.data_type }]);
  return {
    async secondaryIndexes() {
      const res = await client.query<{ name: string; def: string }>(
        `select i.indexname as name, i.indexdef as def from pg_indexes i
          where i.schemaname = $1 and i.tablename = any($2)
            and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
        [PG_SCHEMA, ['interactions', 'interaction_agents', 'messages', 'text_docs']],
      );
      return res.rows.map(({ name, def }) => ({ name, create: def }));
    },
    async dropIndexes(indexes) {
      for (const { name } of indexes) await client.query(`drop index if exists ${PG_SCHEMA}."${name}"`);
    },
    async holds(id) {
      const res = await client.query(`select 1 from ${PG_SCHEMA}.interactions where tenant_id = $1 and id = $2`, [
        TEXT_TENANT,
        id,
      ]);
      return (res.rowCount ?? 0) > 0;
    },
    async write(batch) {
      await client.query('begin');
      for (const table of TABLES) {
        const list = batch.rows[table];
        if (list.length === 0) continue;
        const cols = columns.get(table) ?? [];
        await client.query({
          name: `text_bulk_${table}`,
          text: `insert into ${PG_SCHEMA}.${table} (${cols.map((c) => c.name).join(', ')})
                 select * from unnest(${cols.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`,
          values: cols.map((c) => list.map((row) => row[c.name] ?? null)),
        });
      }
      const docs = batch.docs.filter((d) => d.body !== '');
      await client.query({
        name: 'text_bulk_docs',
        text: `insert into ${PG_SCHEMA}.text_docs (tenant_id, interaction_id, time_bucket, start_ms, doc)
               select $1, u.id, u.bucket, u.start, to_tsvector('pg_catalog.simple', u.body)
               from unnest($2::text[], $3::integer[], $4::bigint[], $5::text[]) as u(id, bucket, start, body)`,
        values: [
          TEXT_TENANT,
          docs.map((d) => d.id),
          docs.map((d) => timeBucket(d.startMs)),
          docs.map((d) => d.startMs),
          docs.map((d) => d.body),
        ],
      });
      await client.query('commit');
    },
    async rebuildIndexes(indexes) {
      await client.query(`set maintenance_work_mem = '1GB'`);
      for (const { create } of indexes) await client.query(create);
      await client.query('analyze');
    },
    async close() {
      await client.end();
    },
  };
}
