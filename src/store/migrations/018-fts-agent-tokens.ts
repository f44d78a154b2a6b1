import { sql } from 'kysely';
import { AGENT_MARK, documentOf, PART_BREAK } from '../../domain/fulltext.js';
import type { MigrationContext } from '../migrator.js';
import { agentTokensOf, storedAgents, storedTexts } from '../text-index.js';

const PAGE = 500;

/**
 * Every full-text document gets its interaction's handling agents as tokens
 * (agentToken in src/domain/fulltext.ts; docs/SEARCH.md), so that a search with
 * an agent is one intersection in the engine's index instead of a walk of the
 * agent's interactions checking each one's document.
 *
 * SQLite: a contentless FTS5 table cannot add a token to a document, so the
 * table is recreated (same options) and every document of the rowid map
 * rebuilt from the stored records under its rowid (in rowid order: FTS5 flushes
 * a segment whenever a rowid goes down), with progress, as migration 009 did.
 *
 * PostgreSQL: the tokens are appended to each tsvector (`||` puts them after
 * its last position, where documentOf puts them), computed in SQL from the same
 * hash as agentToken (sha256 of tenant, newline, agent: 16 hex digits as the
 * letters a–p), with the GIN index dropped during the update and built again
 * after it (with 256 MB to sort its entries in), as migration 015 did. A test checks that both agree.
 */
export async function up({ db, schema, dialect, tableName, progress }: MigrationContext): Promise<void> {
  if (dialect === 'postgres') {
    const docs = sql.id(schema, 'text_docs');
    const { rows } = await sql<{ n: string }>`select count(*) as n from ${docs}`.execute(db);
    const count = Number(rows[0]?.n ?? 0);
    await sql`drop index if exists ${sql.id(schema, 'text_docs_time_doc_ix')}`.execute(db);
    if (count > 0) {
      progress(`full-text index: the handling agents' tokens of ${count} documents`);
      const token = sql`${AGENT_MARK} || translate(substr(encode(sha256(convert_to(a.tenant_id || ${'\n'} || a.agent_id, 'UTF8')), 'hex'), 1, 16),
        '0123456789abcdef', 'abcdefghijklmnop')`;
      await sql`update ${docs} t set doc = t.doc || to_tsvector('pg_catalog.simple', ${PART_BREAK} || ' ' || g.tokens)
        from (select a.tenant_id, a.interaction_id, string_agg(${token}, ' ') as tokens
              from ${sql.id(schema, 'interaction_agents')} a group by a.tenant_id, a.interaction_id) g
        where g.tenant_id = t.tenant_id and g.interaction_id = t.interaction_id`.execute(db);
      progress(`full-text index: building the (time_bucket, doc) index of ${count} documents`);
      // For this transaction only: with the default 64 MB the index of 1M documents took ~4.5 min and 620 MB,
      // with 256 MB 2.1 min and 376 MB (GIN sorts its entries in this memory before writing its posting lists).
      await sql`set local maintenance_work_mem = '256MB'`.execute(db);
    }
    await sql`create index text_docs_time_doc_ix on ${docs} using gin (time_bucket, doc)`.execute(db);
    return;
  }
  const fts = sql.id(schema, tableName('text_fts'));
  const docs = sql.id(schema, tableName('text_docs'));
  await sql`drop table ${fts}`.execute(db);
  await sql`create virtual table ${fts} using fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 0', prefix='2')`.execute(db);
  const { rows: counted } = await sql<{ n: number }>`select count(*) as n from ${docs}`.execute(db);
  const total = Number(counted[0]?.n ?? 0);
  if (total > 0) progress(`rebuilding the full-text index of ${total} interactions (with their handling agents)`);
  // Rowids are read and bound as text: SQLite compares a text bound with an INTEGER column as an integer,
  // and a rowid above 2^53 survives (a JavaScript number would not).
  let after: string | undefined;
  let done = 0;
  let reported = Date.now();
  for (;;) {
    const { rows } = await sql<{ doc_id: string; tenant_id: string; interaction_id: string }>`
      select cast(doc_id as text) as doc_id, tenant_id, interaction_id from ${docs}
      ${after === undefined ? sql`` : sql`where doc_id > cast(${after} as integer)`} order by doc_id limit ${PAGE}`.execute(db);
    const last = rows[rows.length - 1];
    if (!last) break;
    const byTenant = new Map<string, string[]>();
    for (const row of rows) byTenant.set(row.tenant_id, [...(byTenant.get(row.tenant_id) ?? []), row.interaction_id]);
    const bodies = new Map<string, string>();
    for (const [tenantId, ids] of byTenant) {
      const [stored, agents] = await Promise.all([storedTexts(db, tenantId, ids), storedAgents(db, tenantId, ids)]);
      for (const [id, { parts }] of stored)
        bodies.set(`${tenantId}\n${id}`, documentOf(parts, agentTokensOf(tenantId, agents.get(id) ?? [])));
    }
    for (const row of rows) {
      const body = bodies.get(`${row.tenant_id}\n${row.interaction_id}`) ?? '';
      // A document whose interaction has no text any more (or no row) has nothing to find: it goes.
      if (body === '') await sql`delete from ${docs} where doc_id = cast(${row.doc_id} as integer)`.execute(db);
      else await sql`insert into ${fts} (rowid, body) values (cast(${row.doc_id} as integer), ${body})`.execute(db);
    }
    after = last.doc_id;
    done += rows.length;
    if (Date.now() - reported > 5000 || done === total) {
      progress(`full-text index: ${done}/${total} interactions`);
      reported = Date.now();
    }
  }
}
