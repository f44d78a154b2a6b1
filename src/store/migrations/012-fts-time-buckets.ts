import { sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/** The unit this migration was released with (015 made the buckets smaller). */
const TIME_BUCKET_MS = 2 ** 31;

/**
 * PostgreSQL's full-text index learns time (docs/SEARCH.md, docs/DECISIONS.md):
 * `text_docs` gets the time bucket of its interaction's start (about 25 days,
 * TIME_BUCKET_MS) and the GIN index becomes (time_bucket, doc) through the
 * `btree_gin` extension (PostgreSQL's contrib, a trusted extension: a database
 * owner may create it). A search in time order then asks the index for one
 * bucket's matches at a time, newest first, and stops once its page is full:
 * a rare word costs the buckets it reads, not every match it has in the
 * store. The buckets of existing documents are filled from their
 * interactions. SQLite's index is already in time order (009): nothing
 * changes there.
 */
export async function up({ db, schema, dialect, progress }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  const docs = sql.id(schema, 'text_docs');
  await sql`create extension if not exists btree_gin`.execute(db);
  await sql`alter table ${docs} add column if not exists time_bucket integer not null default 0`.execute(db);
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${docs}`.execute(db);
  if (Number(rows[0]?.n ?? 0) > 0) progress(`full-text index: time buckets of ${rows[0]?.n} documents`);
  await sql`update ${docs} t set time_bucket = floor(i.start_ms::float8 / ${TIME_BUCKET_MS})::integer
    from ${sql.id(schema, 'interactions')} i where i.tenant_id = t.tenant_id and i.id = t.interaction_id`.execute(db);
  await sql`drop index if exists ${sql.id(schema, 'text_docs_doc_ix')}`.execute(db);
  await sql`create index if not exists text_docs_time_doc_ix on ${docs} using gin (time_bucket, doc)`.execute(db);
}
