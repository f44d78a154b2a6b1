/**
 * The two full-text engines behind `FullTextEngine` (dialect.ts), and the
 * translation of the query AST (src/domain/fulltext.ts) into each one's
 * syntax. Tokens are letters and digits only (the domain's tokenizer made
 * them), so quoting them is enough: no user text reaches an engine's query
 * parser in any other form.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { errors } from '../domain/errors.js';
import type { TextQuery } from '../domain/fulltext.js';
import type { Source } from '../domain/search.js';
import { chunkValues } from './chunks.js';
import type { FullTextEngine } from './dialect.js';
import type { Database } from './schema.js';

/** FTS5's query syntax: "phrase", "prefix"*, AND, OR, NOT. */
export function toFts5(query: TextQuery): string {
  switch (query.type) {
    case 'term':
      return `"${query.tokens.join(' ')}"${query.prefix ? '*' : ''}`;
    case 'or':
      return `(${query.anyOf.map(toFts5).join(' OR ')})`;
    case 'and': {
      const include = `(${query.include.map(toFts5).join(' AND ')})`;
      return query.exclude.reduce((left, node) => `${left} NOT ${toFts5(node)}`, include);
    }
  }
}

/** PostgreSQL's tsquery syntax: 'a' <-> 'b' (phrase), 'pre':*, &, |, !. */
export function toTsquery(query: TextQuery): string {
  switch (query.type) {
    case 'term':
      return `(${query.tokens.map((t, k) => `'${t}'${query.prefix && k === query.tokens.length - 1 ? ':*' : ''}`).join(' <-> ')})`;
    case 'or':
      return `(${query.anyOf.map(toTsquery).join(' | ')})`;
    case 'and':
      return `(${[...query.include.map(toTsquery), ...query.exclude.map((n) => `!${toTsquery(n)}`)].join(' & ')})`;
  }
}

/** Thrown by SQLite's budget check inside a statement; turned into errors.searchBudget. */
class BudgetExceeded extends Error {}

/**
 * SQLite FTS5, contentless (the text is in text_parts): `text_fts` holds the
 * tokens under a rowid, `text_docs` maps the rowid to (tenant, interaction).
 * better-sqlite3 has no progress handler, so the time budget is a function
 * the hits query calls for every candidate row: past the deadline it throws,
 * which aborts the statement.
 */
export function sqliteFullText(
  connection: BetterSqlite3.Database,
  physicalName: (source: Source, table: string) => string,
): FullTextEngine {
  const physical = (source: Source, table: string) => `"main"."${physicalName(source, table)}"`;
  let calls = 0;
  connection.function('ixv_within_budget', { deterministic: false }, (deadline: unknown) => {
    // Reading the clock every 64 rows keeps the check's cost small.
    if ((++calls & 63) === 0 && Date.now() > Number(deadline)) throw new BudgetExceeded('search time budget exceeded');
    return 1;
  });
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (source: Source, name: string, text: (docs: string, fts: string) => string) => {
    const key = `${source}:${name}`;
    let statement = statements.get(key);
    if (!statement) {
      statement = connection.prepare(text(physical(source, 'text_docs'), physical(source, 'text_fts')));
      statements.set(key, statement);
    }
    return statement;
  };
  const remove = (source: Source, tenantId: string, id: string) => {
    const row = prepared(source, 'find', (docs) => `select doc_id from ${docs} where tenant_id = ? and interaction_id = ?`).get(
      tenantId,
      id,
    ) as { doc_id: number } | undefined;
    if (!row) return;
    prepared(source, 'unindex', (_docs, fts) => `delete from ${fts} where rowid = ?`).run(row.doc_id);
    prepared(source, 'unmap', (docs) => `delete from ${docs} where doc_id = ?`).run(row.doc_id);
  };
  return {
    // Synchronous statements on the one connection, inside the caller's IMMEDIATE transaction.
    async put(_trx, source, tenantId, docs) {
      for (const { id, body } of docs) {
        remove(source, tenantId, id);
        if (body === '') continue;
        // lastInsertRowid, not RETURNING: better-sqlite3 runs an INSERT … RETURNING ~5× slower (measured).
        const { lastInsertRowid } = prepared(
          source,
          'map',
          (table) => `insert into ${table} (tenant_id, interaction_id) values (?, ?)`,
        ).run(tenantId, id);
        prepared(source, 'index', (_docs, fts) => `insert into ${fts} (rowid, body) values (?, ?)`).run(lastInsertRowid, body);
      }
    },
    async remove(_trx, source, tenantId, ids) {
      for (const id of ids) remove(source, tenantId, id);
    },
    hits(source, tenantId, query, { deadline, scored }) {
      const docs = sql.raw(physical(source, 'text_docs'));
      // FTS5 names its table, not an alias, in MATCH and bm25().
      const fts = sql.id(physicalName(source, 'text_fts'));
      const score = scored ? sql`, -bm25(${fts}) as score` : sql``;
      return sql`select d.interaction_id as interaction_id${score}
        from ${sql.raw(physical(source, 'text_fts'))} join ${docs} d on d.doc_id = ${fts}.rowid
        where ${fts} match ${toFts5(query)} and d.tenant_id = ${tenantId} and ixv_within_budget(${deadline})`;
    },
    async timeOrderedFilter(db, source, tenantId, query, deadline) {
      const fts = sql.id(physicalName(source, 'text_fts'));
      const table = sql.raw(physical(source, 'text_fts'));
      const matches = sql`select h.interaction_id from (${this.hits(source, tenantId, query, { deadline, scored: false })}) h`;
      // SQLite cannot estimate a MATCH; it looks. Few matches: read them, fetch each interaction by
      // key and sort them (\`i.id in\`). Many: the same set, read once into a lookup, while the time
      // index (or the agent's) is walked in order up to the page's end; the unary + keeps SQLite
      // from driving the query by the set instead (measured in docs/BENCHMARKS.md).
      const { rows } = await sql<{
        n: number;
      }>`select count(*) as n from (select rowid from ${table} where ${fts} match ${toFts5(query)} limit ${MANY_MATCHES})`.execute(
        db,
      );
      return Number(rows[0]?.n ?? 0) < MANY_MATCHES ? sql`i.id in (${matches})` : sql`+i.id in (${matches})`;
    },
    async withinBudget(db, budgetMs, run) {
      try {
        return await run(db);
      } catch (err) {
        if (err instanceof BudgetExceeded) throw errors.searchBudget(budgetMs);
        throw err;
      }
    },
  };
}

const QUERY_CANCELED = '57014';
/** SQLite: from this many matches on, a search in time order walks the time index (see timeOrderedFilter). */
const MANY_MATCHES = 500;

/** PostgreSQL: one tsvector per interaction (`simple` configuration over our tokens), GIN-indexed. */
export function postgresFullText(schemaOf: (source: Source) => string): FullTextEngine {
  const docs = (source: Source) => sql.id(schemaOf(source), 'text_docs');
  const remove = async (trx: Kysely<Database>, source: Source, tenantId: string, ids: string[]) => {
    for (const chunk of chunkValues(ids))
      await sql`delete from ${docs(source)} where tenant_id = ${tenantId} and interaction_id in (${sql.join(chunk)})`.execute(
        trx,
      );
  };
  return {
    async put(trx, source, tenantId, list) {
      const empty = list.filter((d) => d.body === '').map((d) => d.id);
      if (empty.length > 0) await remove(trx, source, tenantId, empty);
      const full = list.filter((d) => d.body !== '');
      if (full.length === 0) return;
      await sql`insert into ${docs(source)} (tenant_id, interaction_id, doc)
        select ${tenantId}, u.id, to_tsvector('pg_catalog.simple', u.body)
        from unnest(${full.map((d) => d.id)}::text[], ${full.map((d) => d.body)}::text[]) as u(id, body)
        on conflict (tenant_id, interaction_id) do update set doc = excluded.doc`.execute(trx);
    },
    remove: (trx, source, tenantId, ids) => remove(trx, source, tenantId, ids),
    async timeOrderedFilter(_db, source, tenantId, query, deadline) {
      return sql`i.id in (select h.interaction_id from (${this.hits(source, tenantId, query, { deadline, scored: false })}) h)`;
    },
    hits(source, tenantId, query, { scored }) {
      const tsquery = sql`to_tsquery('pg_catalog.simple', ${toTsquery(query)})`;
      const score = scored ? sql`, ts_rank_cd(t.doc, ${tsquery}) as score` : sql``;
      return sql`select t.interaction_id as interaction_id${score}
        from ${docs(source)} t where t.tenant_id = ${tenantId} and t.doc @@ ${tsquery}`;
    },
    async withinBudget(db, budgetMs, run) {
      try {
        return await db.transaction().execute(async (trx) => {
          await sql`select set_config('statement_timeout', ${String(Math.max(1, Math.round(budgetMs)))}, true)`.execute(trx);
          return run(trx);
        });
      } catch (err) {
        if ((err as { code?: string }).code === QUERY_CANCELED) throw errors.searchBudget(budgetMs);
        throw err;
      }
    },
  };
}
