import { sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * PostgreSQL's time buckets shrink from 2^31 ms (about 25 days) to
 * 2^27 ms (TIME_BUCKET_MS in fulltext-engines.ts, about 37 hours; docs/DECISIONS.md, "Full-text
 * search, session 5"): a search in time order reads whole buckets of a word's
 * matches, and at 1M interactions a 25-day bucket held ~1 900 matches of a
 * word in 3 % of the documents — each a read of its document's row — where a
 * page needs 101. Every document's bucket is recomputed from its
 * interaction's start, with the GIN index dropped during the update and
 * built again after it (expect about as long as migration 012). SQLite has
 * no buckets: nothing changes there.
 */
/** This migration's unit, fixed here: a later change of TIME_BUCKET_MS comes with a migration of its own. */
const BUCKET_MS = 2 ** 27;

export async function up({ db, schema, dialect, progress }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  const docs = sql.id(schema, 'text_docs');
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${docs}`.execute(db);
  const count = Number(rows[0]?.n ?? 0);
  await sql`drop index if exists ${sql.id(schema, 'text_docs_time_doc_ix')}`.execute(db);
  if (count > 0) {
    progress(`full-text index: time buckets of ${count} documents`);
    await sql`update ${docs} t set time_bucket = floor(i.start_ms::float8 / ${BUCKET_MS})::integer
      from ${sql.id(schema, 'interactions')} i where i.tenant_id = t.tenant_id and i.id = t.interaction_id`.execute(db);
    progress(`full-text index: building the (time_bucket, doc) index of ${count} documents`);
  }
  await sql`create index text_docs_time_doc_ix on ${docs} using gin (time_bucket, doc)`.execute(db);
}
