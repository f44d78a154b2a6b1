import { sql } from 'kysely';
import { documentOf } from '../../domain/fulltext.js';
import type { MigrationContext } from '../migrator.js';
import { storedParts } from '../text-index.js';

const PAGE = 500;

/**
 * SQLite's FTS5 index loses its 3-character prefix index (docs/SEARCH.md,
 * docs/DECISIONS.md): it cost a third of the index's insert time and half its
 * size, and a prefix of 3 or more characters is answered as fast from the
 * terms themselves (a range of the sorted term list). The 2-character prefix
 * index stays: a 2-letter prefix spans too many terms to expand on every query.
 *
 * FTS5 cannot change a table's options, and a contentless table cannot
 * rebuild itself, so the table is recreated and every mapped document
 * (`text_docs`, kept with its rowids) rebuilt from the stored records, in id
 * order with progress. PostgreSQL's index is unchanged: nothing to do there.
 */
export async function up({ db, schema, dialect, tableName, progress }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  const fts = sql.id(schema, tableName('text_fts'));
  const docs = sql.id(schema, tableName('text_docs'));
  await sql`drop table ${fts}`.execute(db);
  await sql`create virtual table ${fts} using fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 0', prefix='2')`.execute(db);
  const { rows: counted } = await sql<{ n: number }>`select count(*) as n from ${docs}`.execute(db);
  const total = Number(counted[0]?.n ?? 0);
  if (total === 0) return;
  progress(`rebuilding the full-text index of ${total} interactions (FTS5 without its 3-character prefix index)`);
  let after = -1;
  let done = 0;
  let reported = Date.now();
  for (;;) {
    const { rows } = await sql<{ doc_id: number; tenant_id: string; interaction_id: string }>`
      select doc_id, tenant_id, interaction_id from ${docs} where doc_id > ${after} order by doc_id limit ${PAGE}`.execute(db);
    const last = rows[rows.length - 1];
    if (!last) break;
    const byTenant = new Map<string, { doc_id: number; interaction_id: string }[]>();
    for (const row of rows) byTenant.set(row.tenant_id, [...(byTenant.get(row.tenant_id) ?? []), row]);
    for (const [tenantId, list] of byTenant) {
      const parts = await storedParts(
        db,
        tenantId,
        list.map((r) => r.interaction_id),
      );
      for (const { doc_id, interaction_id } of list) {
        const body = documentOf(parts.get(interaction_id) ?? []);
        // A mapping without text (none is written that way) is dropped rather than indexed empty.
        if (body === '') await sql`delete from ${docs} where doc_id = ${doc_id}`.execute(db);
        else await sql`insert into ${fts} (rowid, body) values (${doc_id}, ${body})`.execute(db);
      }
    }
    after = last.doc_id;
    done += rows.length;
    if (Date.now() - reported > 5000 || done === total) {
      progress(`full-text index: ${done}/${total} interactions`);
      reported = Date.now();
    }
  }
}
