import { sql } from 'kysely';
import { documentOf } from '../../domain/fulltext.js';
import { DOC_SLOTS, slotMs } from '../fulltext-engines.js';
import type { MigrationContext } from '../migrator.js';
import { storedTexts } from '../text-index.js';

const PAGE = 500;

/**
 * SQLite's full-text index is rebuilt in a new shape (docs/SEARCH.md,
 * docs/DECISIONS.md):
 * - a document's rowid is its interaction's start × DOC_SLOTS + a free slot,
 *   so FTS5 yields matches in time order and a search in time order reads
 *   only the matches of its page (fulltext-engines.ts);
 * - FTS5 loses its 3-character prefix index: it cost a third of the index's
 *   insert time and half its size, and a prefix of 3 or more characters is
 *   answered from the sorted terms themselves. The 2-character one stays: a
 *   2-letter prefix spans too many terms to expand on every query.
 *
 * FTS5 cannot change a table's options and a contentless table cannot
 * rebuild itself, so the table is recreated, the rowid map renumbered, and
 * every document rebuilt from the stored records (its row, messages and
 * text_parts), with progress. PostgreSQL's index is unchanged.
 */
export async function up({ db, schema, dialect, tableName, progress }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  const fts = sql.id(schema, tableName('text_fts'));
  const docs = sql.id(schema, tableName('text_docs'));
  const old = sql.id('temp', 'ixv_009_docs');
  await sql`drop table ${fts}`.execute(db);
  await sql`create virtual table ${fts} using fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 0', prefix='2')`.execute(db);
  await sql`create table ${old} as select doc_id, tenant_id, interaction_id from ${docs}`.execute(db);
  await sql`delete from ${docs}`.execute(db);
  const { rows: counted } = await sql<{ n: number }>`select count(*) as n from ${old}`.execute(db);
  const total = Number(counted[0]?.n ?? 0);
  if (total > 0)
    progress(`rebuilding the full-text index of ${total} interactions (rowids in time order, no 3-character prefix index)`);
  let after = Number.MIN_SAFE_INTEGER;
  let done = 0;
  let reported = Date.now();
  for (;;) {
    const { rows } = await sql<{ doc_id: number; tenant_id: string; interaction_id: string }>`
      select doc_id, tenant_id, interaction_id from ${old} where doc_id > ${after} order by doc_id limit ${PAGE}`.execute(db);
    const last = rows[rows.length - 1];
    if (!last) break;
    const byTenant = new Map<string, string[]>();
    for (const row of rows) byTenant.set(row.tenant_id, [...(byTenant.get(row.tenant_id) ?? []), row.interaction_id]);
    for (const [tenantId, ids] of byTenant) {
      const stored = await storedTexts(db, tenantId, ids);
      for (const [id, { startMs, parts }] of stored) {
        const body = documentOf(parts);
        if (body === '') continue;
        const ms = slotMs(startMs);
        await sql`insert into ${docs} (doc_id, tenant_id, interaction_id)
          values (coalesce((select max(doc_id) + 1 from ${docs} where doc_id >= ${ms} * ${DOC_SLOTS} and doc_id < (${ms} + 1) * ${DOC_SLOTS}),
                           ${ms} * ${DOC_SLOTS}), ${tenantId}, ${id})`.execute(db);
        await sql`insert into ${fts} (rowid, body)
          values ((select doc_id from ${docs} where tenant_id = ${tenantId} and interaction_id = ${id}), ${body})`.execute(db);
      }
    }
    after = last.doc_id;
    done += rows.length;
    if (Date.now() - reported > 5000 || done === total) {
      progress(`full-text index: ${done}/${total} interactions`);
      reported = Date.now();
    }
  }
  await sql`drop table ${old}`.execute(db);
}
