import { sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * PostgreSQL's documents learn their interaction's start (`text_docs.start_ms`;
 * docs/DECISIONS.md, "Full-text on PostgreSQL, cold reads, session 6"). A
 * search in time order reads whole time buckets of a word's matches (or all
 * of a rare word's), and until now every one of those matches was then
 * fetched from `interactions` by key to learn which were the page's: a medium
 * word's two buckets held ~230 matches for a page of 101, and each fetch of a
 * row not in memory is two page reads (the key's leaf, the row's page). With
 * the start beside the document, the engine keeps the page's matches (the
 * edge millisecond whole) before any interaction is read. The starts of
 * existing documents are filled from their interactions, with the GIN index
 * dropped during the update and built again after it (as 015: a row update
 * would otherwise insert every lexeme of every document into it again).
 * SQLite's document ids are already its starts: nothing changes there.
 */
export async function up({ db, schema, dialect, progress }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  const docs = sql.id(schema, 'text_docs');
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${docs}`.execute(db);
  const count = Number(rows[0]?.n ?? 0);
  // The default only fills the column for the update below; every write names it (fulltext-engines.ts).
  await sql`alter table ${docs} add column start_ms bigint not null default 0`.execute(db);
  if (count > 0) {
    await sql`drop index if exists ${sql.id(schema, 'text_docs_time_doc_ix')}`.execute(db);
    progress(`full-text index: the starts of ${count} documents`);
    await sql`update ${docs} t set start_ms = i.start_ms
      from ${sql.id(schema, 'interactions')} i where i.tenant_id = t.tenant_id and i.id = t.interaction_id`.execute(db);
    progress(`full-text index: building the (time_bucket, doc) index of ${count} documents`);
    // As 018: GIN sorts its entries in this memory before writing its posting lists (the default 64 MB
    // took 5.7 min for 1M documents at load 7–8; 018 measured 4.5 against 2.1 min with 256 MB).
    await sql`set local maintenance_work_mem = '256MB'`.execute(db);
    await sql`create index text_docs_time_doc_ix on ${docs} using gin (time_bucket, doc)`.execute(db);
  }
  await sql`alter table ${docs} alter column start_ms drop default`.execute(db);
}
