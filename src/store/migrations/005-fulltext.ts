import { sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * Full-text search (docs/SEARCH.md). Both databases get `text_parts`: the
 * searchable text of content items (transcript segments with their start
 * times, file names), which is nowhere else in the database; the record's own
 * text (subject, comment, messages) is read from its row and messages. A
 * document is built from both, and a hit is located and its snippet cut in
 * them. The index itself is each engine's own:
 * - PostgreSQL: `text_docs`, one tsvector per interaction (the `simple`
 *   configuration over ixvault's own tokens: no stemming, no stop words) with
 *   a GIN index;
 * - SQLite: an FTS5 table (contentless: the text is in text_parts, not copied
 *   again) with prefix indexes of 2 and 3 characters (3 dropped by migration
 *   009), and `text_docs` mapping its rowids to interactions.
 * Keys lead with tenant_id (Citus distributes both tables by it). The tables
 * start empty: `ixvault reindex` fills them from an existing store.
 */
export async function up({ db, schema, dialect, text, tableName }: MigrationContext): Promise<void> {
  const s = db.withSchema(schema).schema;
  await s
    .createTable('text_parts')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('interaction_id', text, (c) => c.notNull())
    .addColumn('place', text, (c) => c.notNull())
    .addColumn('content_key', text, (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at_ms', 'bigint')
    .addColumn('speaker', text)
    .addColumn('body', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('text_parts_pk', ['tenant_id', 'interaction_id', 'place', 'content_key', 'seq'])
    .execute();
  if (dialect === 'postgres') {
    await s
      .createTable('text_docs')
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('interaction_id', text, (c) => c.notNull())
      .addColumn('doc', sql`tsvector`, (c) => c.notNull())
      .addPrimaryKeyConstraint('text_docs_pk', ['tenant_id', 'interaction_id'])
      .execute();
    await sql`create index text_docs_doc_ix on ${sql.id(schema, 'text_docs')} using gin (doc)`.execute(db);
    return;
  }
  // SQLite: the archive's tables carry the archive_ prefix (createIndex and the bound db apply it).
  await s
    .createTable('text_docs')
    .addColumn('doc_id', 'integer', (c) => c.primaryKey())
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('interaction_id', text, (c) => c.notNull())
    .addUniqueConstraint('text_docs_uq', ['tenant_id', 'interaction_id'])
    .execute();
  await sql`create virtual table ${sql.id(schema, tableName('text_fts'))} using fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 0', prefix='2 3')`.execute(db);
}
