/**
 * The two full-text engines behind `FullTextEngine` (dialect.ts), and the
 * translation of the query AST (src/domain/fulltext.ts) into each one's
 * syntax. Tokens are letters and digits only (the domain's tokenizer made
 * them), so quoting them is enough: no user text reaches an engine's query
 * parser in any other form.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, type RawBuilder, sql } from 'kysely';
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

/**
 * PostgreSQL's tsquery syntax: 'a' <-> 'b' (phrase), 'pre':*, &, |, !.
 * `loose`: a tsquery every match of `query` matches, without phrases or
 * exclusions — a phrase's words in any order (GIN answers it from its entries
 * alone; the exact query then checks the documents it keeps).
 */
export function toTsquery(query: TextQuery, loose = false): string {
  const again = (q: TextQuery) => toTsquery(q, loose);
  switch (query.type) {
    case 'term':
      return `(${query.tokens.map((t, k) => `'${t}'${query.prefix && k === query.tokens.length - 1 ? ':*' : ''}`).join(loose ? ' & ' : ' <-> ')})`;
    case 'or':
      return `(${query.anyOf.map(again).join(' | ')})`;
    case 'and':
      return `(${[...query.include.map(again), ...(loose ? [] : query.exclude.map((n) => `!${toTsquery(n)}`))].join(' & ')})`;
  }
}

export const toLooseTsquery = (query: TextQuery) => toTsquery(query, true);

/** Thrown by SQLite's budget check inside a statement; turned into errors.searchBudget. */
class BudgetExceeded extends Error {}

/**
 * SQLite FTS5, contentless (the text is in text_parts): `text_fts` holds the
 * tokens under a rowid, `text_docs` maps the rowid to (tenant, interaction).
 * The rowid is the interaction's start in milliseconds times DOC_SLOTS plus a
 * free slot (docRowid), so FTS5 yields matches in time order, and a time
 * window is a rowid range FTS5 seeks to: a search in time order reads its
 * matches from the index in order and stops, however many there are.
 * better-sqlite3 has no progress handler, so the time budget is a function
 * the hits query calls for every candidate row: past the deadline it throws,
 * which aborts the statement.
 */
/**
 * FTS5 pages a scrub step merges (~4 KB each): at 1M interactions (1.2 GB of index) a step takes ~110 ms (a few
 * up to 0.6 s whatever the count), and merging it all 30–34 s, as 'optimize' does (docs/BENCHMARKS.md, "Session 13").
 */
export const SCRUB_MERGE_PAGES = 1000;

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
      // Rowids above 2^53 are read and bound as BigInt.
      statement = connection.prepare(text(physical(source, 'text_docs'), physical(source, 'text_fts'))).safeIntegers(true);
      statements.set(key, statement);
    }
    return statement;
  };
  const remove = (source: Source, tenantId: string, id: string) => {
    const row = prepared(source, 'find', (docs) => `select doc_id from ${docs} where tenant_id = ? and interaction_id = ?`).get(
      tenantId,
      id,
    ) as { doc_id: bigint } | undefined;
    if (!row) return;
    prepared(source, 'unindex', (_docs, fts) => `delete from ${fts} where rowid = ?`).run(row.doc_id);
    prepared(source, 'unmap', (docs) => `delete from ${docs} where doc_id = ?`).run(row.doc_id);
  };
  const fts5 = (source: Source) => ({
    fts: sql.id(physicalName(source, 'text_fts')),
    table: sql.raw(physical(source, 'text_fts')),
    docs: sql.raw(physical(source, 'text_docs')),
  });
  /** The tenant's matches with a rowid in [lo, hi). */
  const matchesIn = (
    source: Source,
    tenantId: string,
    query: TextQuery,
    deadline: number,
    lo: RawBuilder<unknown>,
    hi: RawBuilder<unknown>,
  ) => {
    const { fts, table, docs } = fts5(source);
    return sql`select d.interaction_id from ${table} join ${docs} d on d.doc_id = ${fts}.rowid
      where ${fts} match ${toFts5(query)} and ${fts}.rowid >= ${lo} and ${fts}.rowid < ${hi}
        and d.tenant_id = ${tenantId} and ixv_within_budget(${deadline})`;
  };
  return {
    // Synchronous statements on the one connection, inside the caller's IMMEDIATE transaction.
    async put(_trx, source, tenantId, docs) {
      // In time order, so rowids ascend: FTS5 flushes its pending terms to a new segment whenever a rowid is
      // lower than the last one it was given, and a batch in arbitrary order flushed (and later merged) a
      // segment every other document (73 against 25 µs a document at 20 000, measured).
      for (const { id, startMs, body } of [...docs].sort((a, b) => slotMs(a.startMs) - slotMs(b.startMs))) {
        // Even for an interaction new in this write: a document left behind must be replaced, not block its id
        // (skipping the look-up saved ~2 µs a document, not seen in the server's total: session 5).
        remove(source, tenantId, id);
        if (body === '') continue;
        // lastInsertRowid, not RETURNING: better-sqlite3 runs an INSERT … RETURNING ~5× slower (measured).
        const { lastInsertRowid } = prepared(source, 'map', (table) => docRowidInsert(table)).run({
          ms: slotMs(startMs),
          tenant: tenantId,
          id,
        });
        prepared(source, 'index', (_docs, fts) => `insert into ${fts} (rowid, body) values (?, ?)`).run(lastInsertRowid, body);
      }
    },
    async remove(_trx, source, tenantId, ids) {
      for (const id of ids) remove(source, tenantId, id);
    },
    async purgeStep(_trx, source) {
      // FTS5 tells whether a merge did any work only by the connection's count of changed rows.
      const changes = () => (prepared(source, 'changes', () => 'select total_changes() as n').get() as { n: bigint }).n;
      const before = changes();
      // A negative count merges every level into one segment (as 'optimize' does), a bounded amount at a time.
      const command = `"${physicalName(source, 'text_fts')}"`;
      prepared(source, 'merge', (_docs, fts) => `insert into ${fts} (${command}, rank) values ('merge', ?)`).run(
        -SCRUB_MERGE_PAGES,
      );
      return changes() - before >= 2n;
    },
    hits(source, tenantId, query, { deadline, scored }) {
      const { fts, table, docs } = fts5(source);
      // FTS5 names its table, not an alias, in MATCH and bm25().
      const score = scored ? sql`, -bm25(${fts}) as score` : sql``;
      return sql`select d.interaction_id as interaction_id${score}
        from ${table} join ${docs} d on d.doc_id = ${fts}.rowid
        where ${fts} match ${toFts5(query)} and d.tenant_id = ${tenantId} and ixv_within_budget(${deadline})`;
    },
    // FTS5 intersects the doclists in rowid (time) order and stops at the page: the word and the agent cost
    // what the rarer of them costs (docs/BENCHMARKS.md, "Full-text with an agent, session 6").
    intersectsAgents: async () => true,
    async timeOrderedFilter(db, source, tenantId, query, window) {
      const { deadline, lowerMs, upperMs, order, slice, idColumn, among } = window;
      const { fts, table, docs } = fts5(source);
      // The window as rowids: [lower's first slot, the slot after upper's last).
      const lo = sql`${rowidOf(lowerMs)}`;
      const hi = sql`${rowidOf(upperMs, 1)}`;
      const id = idColumn ?? sql.ref('i.id');
      if (slice === Number.POSITIVE_INFINITY && among) {
        // Only the listed interactions' matches: FTS5 reads the window's matches as one ordered range and
        // keeps those whose document is one of the list's (a short list, so a small temporary index; the
        // unary + keeps SQLite from asking FTS5 once per listed document: ~300 µs a probe at 1M); the few
        // kept are mapped back to their interactions by document id. The budget is checked per walked row.
        const listed = sql`select td.doc_id from ${docs} td where td.tenant_id = ${tenantId} and td.interaction_id in (${among})`;
        const matched = sql`select rowid from ${table}
          where ${fts} match ${toFts5(query)} and rowid >= ${lo} and rowid < ${hi} and +rowid in (${listed})`;
        return {
          filter: sql`${id} in (select m.interaction_id from ${docs} m where m.doc_id in (${matched}) and m.tenant_id = ${tenantId})
            and ixv_within_budget(${deadline})`,
          complete: true,
        };
      }
      if (slice === Number.POSITIVE_INFINITY) {
        // Every match of the window, as document ids read in one ordered range: each row the search walks
        // looks its document id up and checks it against them (no mapping of every match to its interaction).
        const matched = sql`select rowid from ${table} where ${fts} match ${toFts5(query)} and rowid >= ${lo} and rowid < ${hi}`;
        return {
          filter: sql`(select td.doc_id from ${docs} td where td.tenant_id = ${tenantId}
            and td.interaction_id = ${id} and ixv_within_budget(${deadline})) in (${matched})`,
          complete: true,
        };
      }
      // The slice-th match in the search's order (all tenants: FTS5 reads its rowids in order and stops);
      // none: the window holds fewer, and they are the answer. The interactions are then fetched by key.
      const { rows } = await sql<{ ms: number }>`select rowid >> ${DOC_SLOT_BITS} as ms from ${table}
        where ${fts} match ${toFts5(query)} and rowid >= ${lo} and rowid < ${hi}
        order by rowid ${sql.raw(order)} limit 1 offset ${slice}`.execute(db);
      const edge = rows[0]?.ms;
      if (edge === undefined) {
        const all = matchesIn(source, tenantId, query, deadline, lo, hi);
        return { filter: sql`i.id in (${all})`, complete: true, byKey: all };
      }
      // Every match up to the edge's millisecond, all of that millisecond's included: the page is exact
      // if it fills from these (a match outside starts before, or after, every one of them).
      const edgeLo = sql`${rowidOf(Number(edge))}`;
      const edgeHi = sql`${rowidOf(Number(edge), 1)}`;
      const filter =
        order === 'desc'
          ? matchesIn(source, tenantId, query, deadline, edgeLo, hi)
          : matchesIn(source, tenantId, query, deadline, lo, edgeHi);
      if (!window.estimate) return { filter: sql`i.id in (${filter})`, complete: false, byKey: filter };
      // The documents (all tenants', as the slice) from the edge to the window's end: slice + 1 of them match.
      // Counted up to 16 times the slice: a rarer word's share is under 1/16 anyway (the caller grows by rate).
      const [from, to] = order === 'desc' ? [edgeLo, hi] : [lo, edgeHi];
      const { rows: counted } = await sql<{ documents: number }>`select count(*) as documents from (select 1 from ${docs}
        where doc_id >= ${from} and doc_id < ${to} limit ${16 * (slice + 1)})`.execute(db);
      const documents = Math.max(Number(counted[0]?.documents ?? 0), slice + 1);
      return { filter: sql`i.id in (${filter})`, complete: false, byKey: filter, density: (slice + 1) / documents };
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

/** SQLite: a document's rowid is its interaction's start (ms) × DOC_SLOTS + a slot free in that millisecond. */
const DOC_SLOT_BITS = 16;
export const DOC_SLOTS = 2 ** DOC_SLOT_BITS;
/** Starts are clamped to ±2^46 ms (±2200 years around 1970), so every rowid fits in 63 bits. */
const SLOT_MS_LIMIT = 2 ** 46;

export function slotMs(ms: number): number {
  return Math.max(-SLOT_MS_LIMIT, Math.min(SLOT_MS_LIMIT, Math.trunc(ms)));
}

/**
 * The first rowid of a millisecond (`after` 1: of the next one), as a BigInt:
 * better-sqlite3 binds a JavaScript number as a REAL, and FTS5 ignores a rowid
 * bound that is not an INTEGER (it then reads the word's whole doclist and
 * SQLite filters the rowids after it: measured 0.7 ms against 31 ms for a
 * page's 102 matches of a common word at 1M interactions).
 */
function rowidOf(ms: number, after: 0 | 1 = 0): bigint {
  return (BigInt(slotMs(ms)) + BigInt(after)) * BigInt(DOC_SLOTS);
}

/**
 * Maps a new document to the next free slot of its millisecond (more than
 * DOC_SLOTS documents starting in one millisecond spill into the next one's
 * slots: still unique, and in time order but for that millisecond).
 * Parameters @ms (slotMs of the start), @tenant, @id.
 */
export function docRowidInsert(docs: string): string {
  return `insert into ${docs} (doc_id, tenant_id, interaction_id)
    values (coalesce((select max(doc_id) + 1 from ${docs} where doc_id >= @ms * ${DOC_SLOTS} and doc_id < (@ms + 1) * ${DOC_SLOTS}),
                     @ms * ${DOC_SLOTS}), @tenant, @id)`;
}

const QUERY_CANCELED = '57014';

/** PostgreSQL: one tsvector per interaction (`simple` configuration over our tokens), GIN-indexed. */
export function postgresFullText(schemaOf: (source: Source) => string): FullTextEngine {
  const docs = (source: Source) => sql.id(schemaOf(source), 'text_docs');
  const remove = async (trx: Kysely<Database>, source: Source, tenantId: string, ids: string[]) => {
    for (const chunk of chunkValues(ids))
      await sql`delete from ${docs(source)} where tenant_id = ${tenantId} and interaction_id in (${sql.join(chunk)})`.execute(
        trx,
      );
  };
  /** The lexeme frequencies ANALYZE keeps for `doc` (most common elements), re-read every minute. */
  const statistics = new Map<Source, { at: number; stats: LexemeStats | undefined }>();
  /**
   * The query's expected share of the documents: `upToFraction` with a word missing from the statistics
   * at their floor, `knownFraction` with it at none; `known` matches in the store; `documents` in all.
   */
  const expectedMatches = async (
    db: Kysely<Database>,
    source: Source,
    query: TextQuery,
  ): Promise<{ upToFraction: number; knownFraction: number; known: number; documents: number } | undefined> => {
    let cached = statistics.get(source);
    if (!cached || Date.now() - cached.at > 60_000) {
      cached = { at: Date.now(), stats: await lexemeStats(db, schemaOf(source)) };
      statistics.set(source, cached);
    }
    const stats = cached.stats;
    if (!stats) return undefined;
    const knownFraction = Math.min(1, matchFraction(query, { ...stats, floor: 0 }));
    return {
      upToFraction: Math.min(1, matchFraction(query, stats)),
      knownFraction,
      known: knownFraction * stats.documents,
      documents: stats.documents,
    };
  };
  return {
    purgeStep: async () => false,
    async put(trx, source, tenantId, list) {
      const empty = list.filter((d) => d.body === '').map((d) => d.id);
      if (empty.length > 0) await remove(trx, source, tenantId, empty);
      const full = list.filter((d) => d.body !== '');
      if (full.length === 0) return;
      await sql`insert into ${docs(source)} (tenant_id, interaction_id, time_bucket, start_ms, doc)
        select ${tenantId}, u.id, u.bucket, u.start, to_tsvector('pg_catalog.simple', u.body)
        from unnest(${full.map((d) => d.id)}::text[], ${full.map((d) => timeBucket(d.startMs))}::integer[],
                    ${full.map((d) => Math.trunc(d.startMs))}::bigint[], ${full.map((d) => d.body)}::text[]) as u(id, bucket, start, body)
        on conflict (tenant_id, interaction_id) do update
          set doc = excluded.doc, time_bucket = excluded.time_bucket, start_ms = excluded.start_ms`.execute(trx);
    },
    remove: (trx, source, tenantId, ids) => remove(trx, source, tenantId, ids),
    // GIN intersects a word's entry with an agent's by reading the word's whole entry, in every statement
    // (~1 000 buffers, ~20 ms, for a word in half the documents at 1M): a word common enough that the time
    // index would be walked for it alone (below) walks the agent's index instead, each row checking its
    // document; a rarer one is read with the agent's token, bucket by bucket, as words alone are
    // (docs/BENCHMARKS.md, "Full-text with an agent, session 6"). Without statistics the planner decides,
    // from the agent's index as before.
    async intersectsAgents(db, source, tenantId, query, slice) {
      const expected = await expectedMatches(db, source, query);
      if (expected === undefined) return false;
      const range = await tenantBuckets(db, schemaOf(source), tenantId, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      if (!range) return true;
      return expected.knownFraction ** 2 * (expected.documents / (range.last - range.first + 1)) <= slice;
    },
    async timeOrderedFilter(db, source, tenantId, query, { deadline, lowerMs, upperMs, order, slice, driven, idColumn }) {
      const hits = sql`select h.interaction_id from (${this.hits(source, tenantId, query, { deadline, scored: false })}) h`;
      const expected = await expectedMatches(db, source, query);
      // The planner estimates a word it has no statistics on as if it were common, walks the time index
      // for it and reads the whole index when it is rare (docs/BENCHMARKS.md): without statistics (a store
      // never analyzed) it decides alone.
      if (expected === undefined) return { filter: sql`i.id in (${hits})`, complete: true };
      const id = idColumn ?? sql.ref('i.id');
      const range = await tenantBuckets(db, schemaOf(source), tenantId, lowerMs, upperMs);
      if (!range) return { filter: sql`false`, complete: true };
      // The store's documents spread over the tenant's buckets: what one bucket holds, about.
      const perBucket = expected.documents / (range.last - range.first + 1);
      // Two plans. Buckets: the matches read from the GIN index a time bucket at a time in the search's
      // order (each read costs a row of text_docs, then its interaction by key) until `slice` are found;
      // every match of the buckets read is in the filter, so the page is exact if it fills from them (a
      // match outside starts before, or after, all of them). Walk: the time index (or the agent's) walked
      // to the page's end, each row checking its own document (a scalar subquery the planner cannot turn
      // into reading every match). A walk reads slice ÷ f rows for a word in a fraction f of the
      // documents, the buckets at least f × perBucket matches: the buckets win while f² × perBucket ≤ slice.
      // A word the statistics list is judged by its frequency; one missing from the list is rarer than
      // the list's floor (which grows with the store: 1.3 % of 1M documents) and always reads buckets.
      // A search an agent's or an attribute's index drives asks for a few thousand matches (`slice`) to
      // check the driver's rows against, and reads buckets only for a word with that few in the store.
      // A prefix is a partial match in GIN: every bucket's scan merges all the entries the prefix starts,
      // in every bucket, before intersecting them with the bucket's, so its buckets cost what its matches in
      // the store cost, each time: it reads buckets only when those are few, as a driven search does.
      const buckets =
        driven || hasPrefix(query)
          ? expected.known <= FEW_MATCHES
          : expected.knownFraction ** 2 * perBucket <= slice && expected.upToFraction * perBucket <= FEW_MATCHES;
      if (buckets) {
        // A query of words the statistics do not list (rarer than their floor, by how much unknown) first
        // asks for all its matches in the window, at most a few pages' worth: one scan of the GIN index
        // for the words alone. A bucket's scan costs about its documents (the bucket's entry is walked for
        // every candidate: ~0.1 ms a bucket of 4 000 at 1M), so a word with a few hundred matches in the
        // store read them all in 0.6 ms where its 236 buckets took 20–35 ms. A phrase (an order id is one)
        // counts its candidates first and checks them against their documents only when they are few.
        if (expected.known === 0) {
          // A driven search asks for a few thousand to check its rows against: that many, or fewer, are read
          // whole; a page's search for its page: a few pages' worth are cheaper than the buckets holding one.
          // A phrase's candidates (its words in any order) may be many more than its matches, each read to
          // be counted: it asks for two slices' worth (an order id has one or two).
          const cap = driven || !Number.isFinite(slice) ? slice : (hasPhrase(query) ? 2 : FEW_PAGES) * slice;
          const all = await matchesInWindow(db, schemaOf(source), tenantId, query, { ...range, lowerMs, upperMs, cap });
          if (all) {
            // A page's search keeps its slice's matches in the search's order, by their starts (exact: every
            // match left out starts before, or after, all those kept), so only those interactions are read.
            const kept = driven ? all : firstMatches(all, order, slice);
            return { filter: sql`${id} = any(${kept.map((m) => m.id)}::text[])`, complete: kept.length === all.length };
          }
        }
        const read = await matchesByBucket(db, schemaOf(source), tenantId, query, {
          low: range.low,
          high: range.high,
          lowerMs: range.fromMs,
          upperMs: range.toMs,
          order,
          slice,
          perBucket: Math.max(expected.upToFraction * perBucket, 1e-3),
        });
        // A page's search: the buckets read hold more than its slice (a medium word's two buckets ~230 matches
        // at 1M for a page of 101), and each match kept is an interaction read by key: only the slice's are kept.
        const kept = driven ? read.found : firstMatches(read.found, order, slice);
        return {
          filter: sql`${id} = any(${kept.map((m) => m.id)}::text[])`,
          complete: read.complete && kept.length === read.found.length,
        };
      }
      // Checked on the walked row's own key (an agent's row, before its interaction is read: half of a
      // common word's rows need no interaction at all).
      const tsquery = sql`to_tsquery('pg_catalog.simple', ${toTsquery(query)})`;
      return {
        filter: sql`coalesce((select t.doc @@ ${tsquery} from ${docs(source)} t
          where t.tenant_id = ${tenantId} and t.interaction_id = ${id}), false)`,
        complete: true,
      };
    },
    hits(source, tenantId, query, { scored }) {
      const tsquery = sql`to_tsquery('pg_catalog.simple', ${toTsquery(query)})`;
      const score = scored ? sql`, ts_rank_cd(t.doc, ${tsquery}) as score` : sql``;
      return sql`select t.interaction_id as interaction_id${score}
        from ${docs(source)} t where t.tenant_id = ${tenantId} and t.doc @@ ${tsquery}`;
    },
    async withinBudget(db, budgetMs, run) {
      try {
        // One connection, one transaction whose statements stop at the budget. BEGIN and SET LOCAL go as
        // one simple-protocol message (no parameters; the timeout is a number of ours): one round trip
        // less for every search, which counts when the database waits for a core.
        return await db.connection().execute(async (connection) => {
          await sql.raw(`begin; set local statement_timeout = ${Math.max(1, Math.round(budgetMs))}`).execute(connection);
          try {
            const result = await run(connection);
            await sql`commit`.execute(connection);
            return result;
          } catch (err) {
            await sql`rollback`.execute(connection).catch(() => {});
            throw err;
          }
        });
      } catch (err) {
        if ((err as { code?: string }).code === QUERY_CANCELED) throw errors.searchBudget(budgetMs);
        throw err;
      }
    },
  };
}

/**
 * PostgreSQL: up to this many expected matches a time bucket (and, for a search an agent's or an
 * attribute's index drives, in the store), a search in time order may read them bucket by bucket.
 */
const FEW_MATCHES = 5000;

/**
 * PostgreSQL: text_docs.time_bucket is the interaction's start in units of 2^27 ms (about 37 hours;
 * 2^31 before migration 015): a search reads whole buckets of a word's matches.
 */
export const TIME_BUCKET_MS = 2 ** 27;

export function timeBucket(startMs: number): number {
  return Math.floor(startMs / TIME_BUCKET_MS);
}

/**
 * The window's buckets, clamped to the tenant's first and last start (read from the time index), the
 * window so clamped (`fromMs`..`toMs`), and the buckets of the tenant's whole span; none: no interactions.
 */
async function tenantBuckets(
  db: Kysely<Database>,
  schema: string,
  tenantId: string,
  lowerMs: number,
  upperMs: number,
): Promise<{ low: number; high: number; fromMs: number; toMs: number; first: number; last: number } | undefined> {
  const { rows: range } = await sql<{ first: string | null; last: string | null }>`
    select (select min(start_ms) from ${sql.id(schema, 'interactions')} where tenant_id = ${tenantId}) as first,
           (select max(start_ms) from ${sql.id(schema, 'interactions')} where tenant_id = ${tenantId}) as last`.execute(db);
  const first = range[0]?.first;
  const last = range[0]?.last;
  if (first === null || first === undefined || last === null || last === undefined) return undefined;
  const fromMs = Math.max(lowerMs, Number(first));
  const toMs = Math.min(upperMs, Number(last));
  return {
    low: timeBucket(fromMs),
    high: timeBucket(toMs),
    fromMs,
    toMs,
    first: timeBucket(Number(first)),
    last: timeBucket(Number(last)),
  };
}

/**
 * The tenant's matches bucket by bucket in the search's order, from `high`
 * down (or `low` up), until at least `slice` are found (complete: false) or
 * the buckets are read (complete: true). Each bucket is an exact key of the
 * (time_bucket, doc) GIN index, which intersects it with the words' entries.
 * The first statement reads as many buckets as `perBucket` (expected matches
 * a bucket, an upper bound for a word the statistics do not list) says
 * hold the slice; each next one as many as the rate found so far says hold
 * the rest, half again, at most 16 times the buckets read: a rare word is
 * read in two or three statements, not one per doubling. A bucket counts
 * for the share of it the window (`lowerMs`..`upperMs`, clamped to the
 * tenant's starts) covers: the newest bucket is mostly a partial one, and
 * counted whole it left a medium word's first statement short of the page
 * (98 of 101 at 1M), so a second one read another bucket's ~130 matches.
 */
async function matchesByBucket(
  db: Kysely<Database>,
  schema: string,
  tenantId: string,
  query: TextQuery,
  {
    low,
    high,
    lowerMs,
    upperMs,
    order,
    slice,
    perBucket,
  }: { low: number; high: number; lowerMs: number; upperMs: number; order: 'asc' | 'desc'; slice: number; perBucket: number },
): Promise<{ found: Match[]; complete: boolean }> {
  const tsquery = sql`to_tsquery('pg_catalog.simple', ${toTsquery(query)})`;
  const phrase = hasPhrase(query);
  const loose = phrase ? sql`to_tsquery('pg_catalog.simple', ${toLooseTsquery(query)})` : tsquery;
  const found: Match[] = [];
  const step = order === 'desc' ? -1 : 1;
  const left = (next: number) => (order === 'desc' ? next - low + 1 : high - next + 1);
  let next = order === 'desc' ? high : low;
  const share = (bucket: number) =>
    Math.max(0, Math.min((bucket + 1) * TIME_BUCKET_MS, upperMs + 1) - Math.max(bucket * TIME_BUCKET_MS, lowerMs)) /
    TIME_BUCKET_MS;
  // Buckets read and to read, each counted for its share of the window.
  let read = 0;
  let span = (1.25 * slice) / perBucket;
  while (left(next) > 0) {
    const buckets: number[] = [];
    for (
      let covered = 0;
      left(next) > 0 && buckets.length < MAX_BUCKETS_A_STATEMENT && (buckets.length === 0 || covered < span);
      next += step
    ) {
      covered += share(next);
      read += share(next);
      buckets.push(next);
    }
    const candidates = sql`select interaction_id, start_ms, doc from ${sql.id(schema, 'text_docs')}
      where time_bucket = any(${buckets}::integer[]) and doc @@ ${loose} and tenant_id = ${tenantId}
        and start_ms >= ${lowerMs} and start_ms <= ${upperMs}`;
    // A phrase: the candidates (its words in any order, which GIN answers without reading a document) are
    // kept to the buckets first, and only those are checked against their documents' positions. Asked
    // for the phrase itself, PostgreSQL's plan rechecked every candidate of the store before the bucket
    // filter (it leaves the bucket out of the index condition for words it thinks rare): 26 ms for the
    // 2 766 documents holding "cancel", "my" and "contract" at 1M, where the buckets kept 33.
    const { rows } = await sql<{ interaction_id: string; start_ms: number }>`${
      phrase
        ? sql`select c.interaction_id, c.start_ms from (${candidates} offset 0) c where c.doc @@ ${tsquery}`
        : sql`select c.interaction_id, c.start_ms from (${candidates}) c`
    }`.execute(db);
    for (const row of rows) found.push({ id: row.interaction_id, startMs: Number(row.start_ms) });
    if (found.length >= slice) return { found, complete: left(next) <= 0 };
    const rate = found.length / Math.max(read, 1e-9);
    span = Math.min(16 * Math.max(read, 1), (1.5 * (slice - found.length)) / Math.max(rate, 1e-9));
  }
  return { found, complete: true };
}

/**
 * The tenant's matches in buckets low..high if its candidates there are `cap` at most (none: more), from
 * one scan of the GIN index for the words alone (the bucket is a filter on the row, `+ 0` keeping it out
 * of the index scan: a range of GIN keys would merge every bucket's entry). A phrase's candidates hold
 * its words in any order (GIN answers that from its entries); only when they are few is each checked
 * against its document's positions (the window function counts them before any document is read).
 */
async function matchesInWindow(
  db: Kysely<Database>,
  schema: string,
  tenantId: string,
  query: TextQuery,
  { low, high, lowerMs, upperMs, cap }: { low: number; high: number; lowerMs: number; upperMs: number; cap: number },
): Promise<Match[] | undefined> {
  const phrase = hasPhrase(query);
  const candidates = sql`select interaction_id, start_ms${phrase ? sql`, doc` : sql``} from ${sql.id(schema, 'text_docs')}
    where doc @@ to_tsquery('pg_catalog.simple', ${phrase ? toLooseTsquery(query) : toTsquery(query)}) and tenant_id = ${tenantId}
      and time_bucket + 0 between ${low} and ${high} and start_ms >= ${lowerMs} and start_ms <= ${upperMs}
    ${Number.isFinite(cap) ? sql`limit ${cap + 1}` : sql``}`;
  const { rows } = await sql<{ interaction_id: string; start_ms: number; hit: boolean | null }>`
    select c.interaction_id, c.start_ms, ${
      phrase
        ? sql`case when count(*) over () <= ${Number.isFinite(cap) ? cap : Number.MAX_SAFE_INTEGER}
            then c.doc @@ to_tsquery('pg_catalog.simple', ${toTsquery(query)}) end`
        : sql`true`
    } as hit
    from (${candidates}) c`.execute(db);
  if (rows.length > cap) return undefined;
  return rows.filter((r) => r.hit === true).map((r) => ({ id: r.interaction_id, startMs: Number(r.start_ms) }));
}

/** A match as the engine reads it from text_docs: the interaction and its start (migration 019). */
interface Match {
  id: string;
  startMs: number;
}

/**
 * The first `slice` matches in the search's order by their starts, the edge's millisecond whole: every
 * match left out starts before (or after) all those kept, so a page that fills from them is exact (the
 * page orders by start, then id, and the cursor may fall inside that millisecond).
 */
export function firstMatches<M extends Match>(matches: M[], order: 'asc' | 'desc', slice: number): M[] {
  const sorted = [...matches].sort((a, b) => (order === 'desc' ? b.startMs - a.startMs : a.startMs - b.startMs));
  const edge = sorted[slice - 1]?.startMs;
  if (edge === undefined) return sorted;
  return sorted.filter((m) => (order === 'desc' ? m.startMs >= edge : m.startMs <= edge));
}

/** PostgreSQL: a query of unlisted words reads all its matches in the window when they are this many slices at most. */
const FEW_PAGES = 10;

/** PostgreSQL: buckets one statement reads at most (each is one scan of the GIN index). */
const MAX_BUCKETS_A_STATEMENT = 512;

interface LexemeStats {
  /** Fraction of documents holding each of the most common lexemes. */
  frequency: Map<string, number>;
  /** The frequency of the least common one kept: any other lexeme is rarer (about). */
  floor: number;
  documents: number;
}

/**
 * What ANALYZE keeps for `doc`. On Citus the coordinator's table holds no rows and no statistics:
 * they are each shard's, on the nodes that hold them, and are merged here (each shard's frequencies
 * weighted by its documents; a lexeme a shard does not list counts at that shard's floor). Without
 * this every search on Citus took the path of a store never analyzed (docs/SCALING.md).
 */
export async function lexemeStats(db: Kysely<Database>, schema: string): Promise<LexemeStats | undefined> {
  const { rows } = await sql<{ elems: string[] | null; freqs: number[] | null; documents: number; distributed: boolean }>`
    select s.most_common_elems::text::text[] as elems, s.most_common_elem_freqs as freqs, c.reltuples as documents,
      to_regclass('pg_catalog.pg_dist_partition') is not null as distributed
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
      left join pg_stats s on s.schemaname = n.nspname and s.tablename = c.relname and s.attname = 'doc'
    where n.nspname = ${schema} and c.relname = 'text_docs'`.execute(db);
  const row = rows[0];
  if (row?.distributed && !row.elems) return mergedShardStats(await shardStats(db, schema));
  return row ? statsOf(row) : undefined;
}

type StatsRow = { elems: string[] | null; freqs: number[] | null; documents: number };

function statsOf(row: StatsRow): LexemeStats | undefined {
  if (!row.elems || !row.freqs || !(Number(row.documents) > 0)) return undefined;
  const frequency = new Map<string, number>();
  for (const [k, lexeme] of row.elems.entries()) frequency.set(lexeme, Number(row.freqs[k] ?? 0));
  // After the per-element frequencies: the minimum, the maximum and the null fraction.
  return { frequency, floor: Number(row.freqs[row.elems.length] ?? 0), documents: Number(row.documents) };
}

/** Each shard's statistics of `doc`, read on the node that holds it (none when the table is not distributed). */
async function shardStats(db: Kysely<Database>, schema: string): Promise<LexemeStats[]> {
  const table = `${schema}.text_docs`;
  const { rows: citus } = await sql<{ distributed: boolean }>`
    select exists (select 1 from pg_dist_partition where logicalrelid = to_regclass(${table})) as distributed`.execute(db);
  if (!citus[0]?.distributed) return [];
  // Citus puts each shard's qualified name where %s stands.
  const command = `select json_build_object('elems', s.most_common_elems::text::text[], 'freqs', s.most_common_elem_freqs,
      'documents', c.reltuples) from pg_class c join pg_namespace n on n.oid = c.relnamespace
    left join pg_stats s on s.schemaname = n.nspname and s.tablename = c.relname and s.attname = 'doc'
    where c.oid = '%s'::regclass`;
  const { rows } = await sql<{ success: boolean; result: string }>`
    select success, result from run_command_on_shards(${table}, ${command})`.execute(db);
  return rows.flatMap((r) => {
    if (!r.success || !r.result) return [];
    const stats = statsOf(JSON.parse(r.result) as StatsRow);
    return stats ? [stats] : [];
  });
}

function mergedShardStats(shards: LexemeStats[]): LexemeStats | undefined {
  const documents = shards.reduce((sum, s) => sum + s.documents, 0);
  if (shards.length === 0 || !(documents > 0)) return undefined;
  const lexemes = new Set(shards.flatMap((s) => [...s.frequency.keys()]));
  const frequency = new Map<string, number>();
  for (const lexeme of lexemes)
    frequency.set(lexeme, shards.reduce((sum, s) => sum + (s.frequency.get(lexeme) ?? s.floor) * s.documents, 0) / documents);
  const floor = shards.reduce((sum, s) => sum + s.floor * s.documents, 0) / documents;
  return { frequency, floor, documents };
}

/** A phrase (several tokens in order): GIN finds its candidates, each document then rechecks the order. */
function hasPhrase(query: TextQuery): boolean {
  switch (query.type) {
    case 'term':
      return query.tokens.length > 1;
    case 'or':
      return query.anyOf.some(hasPhrase);
    case 'and':
      return query.include.some(hasPhrase) || query.exclude.some(hasPhrase);
  }
}

function hasPrefix(query: TextQuery): boolean {
  switch (query.type) {
    case 'term':
      return query.prefix === true;
    case 'or':
      return query.anyOf.some(hasPrefix);
    case 'and':
      return query.include.some(hasPrefix) || query.exclude.some(hasPrefix);
  }
}

/** The fraction of documents a query is expected to match, from the lexeme statistics. */
function matchFraction(query: TextQuery, stats: LexemeStats): number {
  switch (query.type) {
    case 'term':
      return Math.min(
        ...query.tokens.map((token, k) => {
          if (!(query.prefix && k === query.tokens.length - 1)) return stats.frequency.get(token) ?? stats.floor;
          let sum = stats.floor;
          for (const [lexeme, f] of stats.frequency) if (lexeme.startsWith(token)) sum += f;
          return sum;
        }),
      );
    case 'or':
      return query.anyOf.reduce((sum, node) => sum + matchFraction(node, stats), 0);
    case 'and':
      return Math.min(...query.include.map((node) => matchFraction(node, stats)));
  }
}
