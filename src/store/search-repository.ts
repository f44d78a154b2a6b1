/**
 * Keyset-paged search over one logical store. The query is driven by the
 * most selective index the filters allow (an agent's interactions, a custom
 * attribute's value, or the tenant's time line) and pages on that index's
 * (start_ms, interaction id) suffix, so page N costs what page 1 costs.
 *
 * The lower time bound is max(window start, cursor) rather than the window
 * start plus a row-value comparison alone: with both, SQLite seeks the index
 * at the window's start and scans up to the cursor (measured, see
 * docs/BENCHMARKS.md), and PostgreSQL needs the bound for its estimates.
 */
import { CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import { agentToken, locateMatches, type TextMatch, type TextQuery } from '../domain/fulltext.js';
import { type ContentItem, type Interaction, orderAgents } from '../domain/interaction.js';
import type { Visibility } from '../domain/principal.js';
import type { InteractionSearch, PagePosition } from '../domain/search.js';
import type { StoreConnection } from './database.js';
import type { FullTextEngine } from './dialect.js';
import { nextTurn } from './event-loop.js';
import type { InteractionRepository } from './interaction-repository.js';
import { type InteractionRow, rowToInteraction, SUMMARY_COLUMNS } from './rows.js';
import type { Database } from './schema.js';
import { vonageItemSql } from './vonage-items.js';

export interface SearchPage {
  items: Interaction[];
  /** With a text query: where each hit matched (up to MAX_MATCHES_PER_HIT parts) and in how many parts. */
  matches?: Map<string, { matches: TextMatch[]; total: number }>;
  /** Content items per interaction id; filled when asked for. */
  content: Map<string, ContentItem[]>;
  /** Where the next page starts; undefined on the last page. */
  next?: PagePosition;
}

const FAR_PAST = -8.64e15;
const FAR_FUTURE = 8.64e15;

interface Driver {
  from: RawBuilder<unknown>;
  start: RawBuilder<unknown>;
  key: RawBuilder<unknown>;
  where: RawBuilder<unknown>[];
  /** The interactions table itself drives (no agent's or attribute's index). */
  byInteractions?: boolean;
  /** The driver's table alone, when no condition reads the interaction (its rows exist with their interaction's). */
  alone?: RawBuilder<unknown>;
}

export interface SearchOptions {
  /** Also fetch the content items of the page's interactions. */
  withContent?: boolean;
  /**
   * Only the fields a listing prints (SUMMARY_COLUMNS: ids, media, type,
   * state, start, owner id, addresses); the others come back absent or empty
   * (no subject, custom attributes or user data). Building JavaScript row
   * objects is most of a large page's cost and grows with every column: a
   * page of 1000 summaries is read about three times faster than whole rows
   * (docs/BENCHMARKS.md).
   */
  summary?: boolean;
  /** A text search's time budget (default DEFAULT_SEARCH_BUDGET_MS). */
  budgetMs?: number;
}

/**
 * A text search in time order first asks the engine for the matches of one
 * page (and the rest of the last one's millisecond): with no other filter
 * they are the page. Filters on the row (media type, direction…) grow the
 * slice by what they let through; an agent's or attribute's index bounds it
 * by its own rows (spanOfDriver).
 */
function firstSlice(q: InteractionSearch): number {
  return q.limit + 1;
}

/**
 * With an agent's or an attribute's index driving, the second slice: a word with fewer matches is
 * read whole (cheaper than walking the driver's span); more, and spanOfDriver takes over.
 */
const FEW_FOR_A_DRIVER = 4096;

/** How long a text search may run before it is stopped with a 400 naming q. */
export const DEFAULT_SEARCH_BUDGET_MS = 3000;

/** What a page query reads of each interactions row ('position': nothing but the page's order). */
type Columns = 'all' | 'summary' | 'vonage' | 'position';
const SELECTS: Record<Exclude<Columns, 'vonage'>, RawBuilder<unknown>> = {
  all: sql.raw('i.*'),
  summary: sql.raw(SUMMARY_COLUMNS.map((c) => `i.${c}`).join(', ')),
  position: sql.raw('1 as one'),
};

/**
 * A Vonage page as the JSON of its items, from the renderings its rows keep
 * (rows.ts): texts to be joined by commas, in order, one item each. None is
 * empty; an empty page has none.
 */
export interface RenderedPage {
  /** Strings, or UTF-8 runs of items already joined (PostgreSQL). */
  items: (string | Uint8Array)[];
  /** How many items `items` holds. */
  count: number;
  next?: PagePosition;
}

/**
 * Entries of the time index one statement of a filtered walk reads (pageInChunks): the filters are checked
 * in the index alone, ~0.25 µs an entry, so a chunk holds the event loop a few milliseconds; smaller chunks
 * cost more statements than they save (2 000: a walk of 1M entries 2–4× as long as in one statement).
 */
const TIME_LINE_CHUNK = 16_384;
/** The first chunk: its edge costs a common filter's page little (16 384 entries cost a page of chats ~0.6 ms more). */
const FIRST_TIME_LINE_CHUNK = 1024;

export class SearchRepository {
  /** A Vonage page's SQL text by its shape (see vonageStatement); false: pageQuery binds otherwise, build it each time. */
  private readonly vonageTexts = new Map<string, string | false>();

  constructor(
    private readonly store: StoreConnection,
    private readonly interactions: InteractionRepository,
    /** Entries of the time index one statement of pageInChunks reads (smaller in tests, to cross chunks). */
    private readonly timeLineChunk = TIME_LINE_CHUNK,
  ) {}

  async search(visibility: Visibility, q: InteractionSearch, options: SearchOptions = {}): Promise<SearchPage> {
    const columns: Columns = options.summary === true ? 'summary' : 'all';
    let rows: (InteractionRow & { page_start: number; page_key: string })[];
    if (q.text) {
      const text = q.text;
      const budgetMs = options.budgetMs ?? DEFAULT_SEARCH_BUDGET_MS;
      const deadline = Date.now() + budgetMs;
      const engine = this.store.impl.fullText;
      rows = await engine.withinBudget(this.store.db, budgetMs, async (db) => {
        if (q.byRelevance)
          return (await this.pageQuery(visibility, q, columns, { deadline, filter: undefined }).execute(db)).rows;
        const order = q.order === 'asc' ? 'asc' : 'desc';
        const { engineText, agentsInText, byInteractions } = await textPlan(db, engine, visibility, q, text, firstSlice(q));
        // The engine may answer with the first matches in time order only; a page not full with them asks for more
        // (an agent's stale token, or a filter on the row, rejects some).
        for (let slice = byInteractions ? firstSlice(q) : FEW_FOR_A_DRIVER; ; ) {
          const { filter, complete, byKey, density } = await engine.timeOrderedFilter(
            db,
            q.source,
            visibility.tenantId,
            engineText,
            {
              deadline,
              ...timeBounds(q),
              order,
              slice,
              estimate: !byInteractions,
              driven: !byInteractions,
              // The driver's own key: its rows are checked before their interactions are read.
              ...(byInteractions ? {} : { idColumn: sql.ref('d.interaction_id') }),
            },
          );
          // An agent's or an attribute's index drives and keeps few of the matches: a word with a few thousand
          // is read whole and the driver's rows checked against them; one with more is read over the span of
          // time the driver's own rows bound (no walk of every driver row against a slice that cannot fill).
          if (!byInteractions && !complete) return this.spanOfDriver(db, visibility, q, columns, deadline, density);
          const found = (await this.pageQuery(visibility, q, columns, { deadline, filter, byKey, agentsInText }).execute(db))
            .rows;
          if (complete || found.length > q.limit) return found;
          // Grow by what the filters let through: twice the slice that would have filled the page at this rate.
          slice = Math.min(slice * 64, Math.max(slice * 4, Math.ceil(((slice * (q.limit + 1)) / Math.max(found.length, 1)) * 2)));
        }
      });
    } else if (walksTimeLineFiltered(this.store.dialect, visibility, q)) {
      rows = await this.pageInChunks(visibility, q, columns);
    } else {
      rows = (await this.pageQuery(visibility, q, columns).execute(this.store.db)).rows;
    }
    const tenantId = visibility.tenantId;
    // A relevance page is the best `limit` hits: there is no next page to point at.
    const hasMore = rows.length > q.limit && !q.byRelevance;
    const pageRows = hasMore ? rows.slice(0, q.limit) : rows;
    const ids = pageRows.map((r) => r.id);
    const db = this.store.in(q.source);
    // At once: on PostgreSQL each is a round trip of its own (a hit's texts are three).
    const [agents, content, parts] = await Promise.all([
      this.interactions.agentsOf(db, tenantId, ids),
      options.withContent ? this.interactions.contentOf(db, tenantId, ids) : Promise.resolve(new Map<string, ContentItem[]>()),
      q.text ? this.interactions.texts.partsOf(db, tenantId, ids) : undefined,
    ]);
    const items = pageRows.map((r) => rowToInteraction(r, orderAgents(r.owner_id, agents.get(r.id) ?? [])));
    const last = pageRows[pageRows.length - 1];
    const page: SearchPage = { items, content };
    if (q.text && parts) {
      const text = q.text;
      page.matches = new Map(ids.map((id) => [id, locateMatches(text, parts.get(id) ?? [])]));
    }
    if (hasMore && last) page.next = { startMs: Number(last.page_start), id: last.page_key };
    return page;
  }

  /**
   * A text search driven by an agent's or an attribute's index (the filter
   * keeps a few of a word's many matches): the driver's k-th row in the
   * search's order (k = 2 pages, then grown by the rate seen) bounds the span of
   * time to read; every match of the word in that span is read from the
   * engine in one ordered range and the driver's rows in the span are checked
   * against them. The page is exact once it fills (every row of the span was
   * checked against every match of the span); the cost follows the filter's
   * selectivity (how much time holds k of its rows), not the word's matches
   * in the whole store, and not one engine probe per row.
   */
  private async spanOfDriver(
    db: Kysely<Database>,
    visibility: Visibility,
    q: InteractionSearch,
    columns: Columns,
    deadline: number,
    density: number | undefined,
  ): Promise<(InteractionRow & { page_start: number; page_key: string })[]> {
    const text = q.text as TextQuery;
    const order = q.order === 'asc' ? 'asc' : 'desc';
    // Enough of the driver's rows to fill the page if the word matches them as often as it matches the
    // documents near the window's end (a quarter more for the spread); without an estimate, two pages.
    const first =
      density === undefined
        ? 2 * (q.limit + 1)
        : Math.max(q.limit + 1, Math.ceil((1.25 * (q.limit + 1)) / Math.max(density, 1e-6)));
    for (let k = first; ; ) {
      const positions = (await this.pageQuery(visibility, { ...q, limit: k }, 'position').execute(db)).rows;
      const all = positions.length <= k;
      // With fewer than k rows in the window, the last of them bounds the span: no match before it can count.
      const last = positions[Math.min(k, positions.length) - 1];
      if (!last) return [];
      const edge = Number(last.page_start);
      const span: InteractionSearch = order === 'desc' ? { ...q, fromMs: edge } : { ...q, toMs: edge };
      // The driver's rows of the span (those at the edge's millisecond beyond the k-th included).
      const walked = sql`select p.page_key from (${this.pageQuery(visibility, { ...span, limit: Number.MAX_SAFE_INTEGER - 1 }, 'position')}) p`;
      const { filter, byKey } = await this.store.impl.fullText.timeOrderedFilter(db, q.source, visibility.tenantId, text, {
        deadline,
        ...timeBounds(span),
        order,
        slice: Number.POSITIVE_INFINITY,
        // Checked on the driver's row, before its interaction is read.
        idColumn: sql.ref('d.interaction_id'),
        among: walked,
      });
      const found = (await this.pageQuery(visibility, span, columns, { deadline, filter, byKey }).execute(db)).rows;
      if (all || found.length > q.limit) return found;
      // Grow by the rate the span showed: half again the rows that would have filled the page at it.
      k = Math.min(k * 64, Math.max(k * 2, Math.ceil(((k * (q.limit + 1)) / Math.max(found.length, 1)) * 1.5)));
    }
  }

  /**
   * The Vonage page of a search without a text query, as ONE statement: the
   * page query itself (visibility and filters in SQL, so no row the caller may
   * not see is read) reading each interaction's whole item kept by the
   * database (interactions.vonage_item, migration 010; joined from its parts
   * where none is kept), limit + 1 rows of which the last only says there is
   * more. Its rows come back as arrays from a statement the connection keeps
   * prepared (SQLite: kept beside Kysely's, run under its connection;
   * PostgreSQL: a named statement whose plan the connection keeps), and their
   * items are joined by the route: no row objects, no serializer.
   * Aggregating the page in the database (a CTE, row_number() and an ordered
   * string_agg, as sessions 2–4 did) cost more than the rows it saved, on
   * both backends: SQLite's sorters, and on PostgreSQL twice the database's
   * CPU of the rows for the same page (docs/DECISIONS.md, "Pages, session 4"
   * and "Pages on PostgreSQL, session 5").
   */
  async vonagePage(visibility: Visibility, q: InteractionSearch): Promise<RenderedPage> {
    if (q.text) throw new Error('a rendered page has no text query');
    const rows = await this.store.impl.readPage(this.vonageStatement(visibility, q), q.limit);
    const page: RenderedPage = { items: rows.items, count: rows.count };
    if (rows.more) page.next = { startMs: rows.more[0], id: rows.more[1] };
    return page;
  }

  /**
   * A page of a SQLite search that walks the tenant's time line checking each entry (see
   * walksTimeLineFiltered), read in chunks of the time index (1 024 entries, then four times as many, up to
   * timeLineChunk): each chunk's far edge is found in the index alone, the page's statement reads up to that
   * edge, and the event loop turns before the next chunk (event-loop.ts). A filter nothing passes held the
   * server 130–360 ms at 1M interactions in one statement.
   */
  private async pageInChunks(
    visibility: Visibility,
    q: InteractionSearch,
    columns: Columns,
  ): Promise<(InteractionRow & { page_start: number; page_key: string })[]> {
    const rows: (InteractionRow & { page_start: number; page_key: string })[] = [];
    const asc = q.order === 'asc';
    const [dir, beyond] = asc ? [sql.raw('asc'), sql.raw('>')] : [sql.raw('desc'), sql.raw('<')];
    // The first chunk small, as most filters fill a page in a few hundred entries; then larger ones.
    for (let position = q.after, size = Math.min(FIRST_TIME_LINE_CHUNK, this.timeLineChunk); ; ) {
      // What is left of the time line, in milliseconds too: SQLite ranges its index by these bounds, and
      // checks a position (start and id) on each entry it reads.
      const { lowerMs, upperMs } = timeBounds(position ? { ...q, after: position } : q);
      const edge = (
        await sql<{ start_ms: number; id: string }>`
          select start_ms, id from ${this.store.table(q.source, 'interactions')}
          where tenant_id = ${visibility.tenantId} and start_ms >= ${lowerMs} and start_ms <= ${upperMs}
            ${position ? sql`and (start_ms, id) ${beyond} (${position.startMs}, ${position.id})` : sql``}
          order by start_ms ${dir}, id ${dir}
          limit 1 offset ${size - 1}`.execute(this.store.db)
      ).rows[0];
      const upTo = edge ? { startMs: Number(edge.start_ms), id: edge.id } : undefined;
      const chunk: InteractionSearch = {
        ...q,
        fromMs: !asc && upTo ? upTo.startMs : lowerMs,
        toMs: asc && upTo ? upTo.startMs : upperMs,
        limit: q.limit - rows.length,
        ...(position ? { after: position } : {}),
      };
      rows.push(...(await this.pageQuery(visibility, chunk, columns, undefined, upTo).execute(this.store.db)).rows);
      // More than the page: the last says there is a next page.
      if (rows.length > q.limit || !upTo) return rows;
      position = upTo;
      size = Math.min(size * 4, this.timeLineChunk);
      await nextTurn();
    }
  }

  /**
   * A Vonage page's statement: its text is the same for every search of one
   * shape (which filters are present, not their values), so it is built and
   * compiled once per shape and only its parameters are computed per request
   * (building and compiling it was ~50 µs of an empty page's ~500 µs of server
   * CPU: docs/BENCHMARKS.md, "Per-request cost, session 6"). The parameters
   * come from pageShape, in the order pageQuery binds them; a shape's text is
   * kept only if pageQuery, compiled for that very search, bound exactly those
   * parameters — otherwise every search of the shape is built as before.
   * Shapes pageShape does not describe are always built.
   */
  vonageStatement(visibility: Visibility, q: InteractionSearch): CompiledQuery {
    const shape = pageShape(visibility, q);
    if (!shape) return this.pageQuery(visibility, q, 'vonage').compile(this.store.db);
    const known = this.vonageTexts.get(shape.key);
    if (known !== undefined)
      return known ? CompiledQuery.raw(known, shape.parameters) : this.pageQuery(visibility, q, 'vonage').compile(this.store.db);
    const compiled = this.pageQuery(visibility, q, 'vonage').compile(this.store.db);
    const same =
      compiled.parameters.length === shape.parameters.length && compiled.parameters.every((p, i) => p === shape.parameters[i]);
    this.vonageTexts.set(shape.key, same ? compiled.sql : false);
    return compiled;
  }

  /**
   * The database's plan for a search's page query (EXPLAIN QUERY PLAN /
   * EXPLAIN), one line per step; with a text query, the page query as the
   * search runs it first (the engine's filter for its first slice).
   */
  async explain(visibility: Visibility, q: InteractionSearch): Promise<string[]> {
    const plan =
      q.text && !q.byRelevance
        ? await textPlan(this.store.db, this.store.impl.fullText, visibility, q, q.text, firstSlice(q))
        : undefined;
    const text = plan
      ? {
          deadline: Number.POSITIVE_INFINITY,
          agentsInText: plan.agentsInText,
          ...(await this.store.impl.fullText.timeOrderedFilter(this.store.db, q.source, visibility.tenantId, plan.engineText, {
            deadline: Number.MAX_SAFE_INTEGER,
            ...timeBounds(q),
            order: q.order === 'asc' ? 'asc' : 'desc',
            slice: firstSlice(q),
          })),
        }
      : undefined;
    const compiled = this.pageQuery(visibility, q, 'all', text).compile(this.store.db);
    const prefix = this.store.dialect === 'sqlite' ? 'explain query plan ' : 'explain ';
    const result = await this.store.db.executeQuery<Record<string, unknown>>(
      CompiledQuery.raw(prefix + compiled.sql, [...compiled.parameters]),
    );
    return result.rows.map((r) => String(r.detail ?? r['QUERY PLAN'] ?? JSON.stringify(r)));
  }

  private pageQuery(
    visibility: Visibility,
    q: InteractionSearch,
    columns: Columns = 'all',
    text: {
      deadline: number;
      filter: RawBuilder<unknown> | undefined;
      byKey?: RawBuilder<unknown> | undefined;
      /** The agents' tokens are in the engine's query (textPlan): the interactions drive, each agent is checked per row. */
      agentsInText?: boolean;
    } = {
      deadline: Number.POSITIVE_INFINITY,
      filter: undefined,
    },
    /** The last position the statement may read (pageInChunks), in the search's order. */
    upTo?: PagePosition,
  ) {
    const deadline = text.deadline;
    const table = (name: 'interactions' | 'interaction_agents' | 'custom_attributes' | 'content_items') =>
      this.store.table(q.source, name);
    const tenantId = visibility.tenantId;
    const attributes = Object.entries(q.customAttributes ?? {});
    const agentFilters = agentFiltersOf(visibility, q);
    const byInteractions = text.agentsInText === true || (agentFilters.length === 0 && attributes.length === 0);

    // SQLite: few text matches are fetched by the primary key, never by walking the time index
    // (its planner cannot estimate the matches and chose the walk; docs/BENCHMARKS.md).
    const interactionsIndex =
      text.byKey && this.store.dialect === 'sqlite' && byInteractions
        ? sql` indexed by ${sql.id(`sqlite_autoindex_${this.store.impl.tableName(q.source, 'interactions')}_1`)}`
        : sql``;
    const driver = chooseDriver(table, tenantId, agentFilters, attributes, interactionsIndex, byInteractions);
    const where = [...driver.where];
    const { lowerMs: lower, upperMs: upper } = timeBounds(q);
    if (q.after) {
      const op = sql.raw(q.order === 'asc' ? '>' : '<');
      where.push(sql`(${driver.start}, ${driver.key}) ${op} (${q.after.startMs}, ${q.after.id})`);
    }
    if (upTo) {
      const op = sql.raw(q.order === 'asc' ? '<=' : '>=');
      where.push(sql`(${driver.start}, ${driver.key}) ${op} (${upTo.startMs}, ${upTo.id})`);
    }
    where.push(sql`${driver.start} >= ${lower}`, sql`${driver.start} <= ${upper}`);

    // Filters checked on the interaction row (covered by interactions_time_ix where it drives).
    const onRow: RawBuilder<unknown>[] = [];
    if (q.withContentOnly) onRow.push(sql`i.content_count > 0`);
    // An OR chain rather than IN: PostgreSQL 15 makes `= ANY(…)` on a non-leading index column an index
    // condition that loses the index order, so every page sorts the whole window; with a filter the
    // planner can walk the index in order and stop at the page's end (it does once windows are large).
    if (q.mediaTypes && q.mediaTypes.length > 0)
      onRow.push(
        sql`(${sql.join(
          q.mediaTypes.map((m) => sql`i.media_type = ${m}`),
          sql` or `,
        )})`,
      );
    if (q.direction) onRow.push(sql`i.direction = ${q.direction}`);
    if (q.connectFromPrefix) onRow.push(prefix('i.connect_from', q.connectFromPrefix));
    if (q.connectToPrefix) onRow.push(prefix('i.connect_to', q.connectToPrefix));
    if (q.ownerId) onRow.push(sql`i.owner_id = ${q.ownerId}`);
    if (q.contactId) onRow.push(sql`i.contact_id = ${q.contactId}`);
    // A page's positions read the driver's index alone when no condition needs the interaction's row (an
    // agent's 200 rows cost ~3 ms more with the join at 1M: each a random read of the interactions' key index).
    const from = columns === 'position' && driver.alone && onRow.length === 0 && !text.filter ? driver.alone : driver.from;
    where.push(...onRow);

    // A Vonage page reads each item kept whole (migration 010), or joins its parts where none is kept.
    const read =
      columns === 'vonage' ? sql`coalesce(i.vonage_item, ${vonageItemSql(table('content_items'))}) as item` : SELECTS[columns];
    const select = sql`select ${read}, ${driver.start} as page_start, ${driver.key} as page_key`;
    if (q.text && q.byRelevance) {
      const hits = this.store.impl.fullText.hits(q.source, tenantId, q.text, { deadline, scored: true });
      return sql<InteractionRow & { page_start: number; page_key: string }>`
        ${select}
        from ${driver.from} join (${hits}) h on h.interaction_id = i.id
        where ${sql.join(where, sql` and `)}
        order by h.score desc, i.id asc
        limit ${q.limit}`;
    }
    // SQLite, few matches: by key when the interactions drive; with an agent's or an attribute's index to
    // walk in time order, that walk checks each row against them (the unary + keeps SQLite from driving
    // by the matches and joining every one of them).
    if (text.byKey && this.store.dialect === 'sqlite')
      where.push(driver.byInteractions ? sql`i.id in (${text.byKey})` : sql`+${driver.key} in (${text.byKey})`);
    else if (text.filter) where.push(text.filter);
    const dir = sql.raw(q.order === 'asc' ? 'asc' : 'desc');
    const query = sql<InteractionRow & { page_start: number; page_key: string }>`
      ${select}
      from ${from}
      where ${sql.join(where, sql` and `)}
      order by ${driver.start} ${dir}, ${driver.key} ${dir}
      limit ${q.limit + 1}`;
    return query;
  }
}

/**
 * A Vonage page's shape and parameters without building its query: for the
 * shapes the Vonage facade asks for (the tenant's time line or one agent's,
 * a cursor, a direction, address prefixes). The key names everything that
 * changes the statement's text — the visibility's agent among it, so an
 * agent's page never shares a text with the tenant's — and the parameters are
 * pageQuery's, in its order (vonageStatement checks that for each shape).
 * Undefined for any other shape.
 */
function pageShape(visibility: Visibility, q: InteractionSearch): { key: string; parameters: unknown[] } | undefined {
  if (
    q.text ||
    (q.mediaTypes && q.mediaTypes.length > 0) ||
    q.ownerId ||
    q.contactId ||
    Object.keys(q.customAttributes ?? {}).length > 0 ||
    (q.handlingAgentId && visibility.agentId && q.handlingAgentId !== visibility.agentId)
  )
    return undefined;
  const agent = q.handlingAgentId || visibility.agentId;
  const parameters: unknown[] = [visibility.tenantId];
  if (agent) parameters.push(agent);
  if (q.after) parameters.push(q.after.startMs, q.after.id);
  const { lowerMs, upperMs } = timeBounds(q);
  parameters.push(lowerMs, upperMs);
  if (q.direction) parameters.push(q.direction);
  if (q.connectFromPrefix) parameters.push(q.connectFromPrefix.length, q.connectFromPrefix);
  if (q.connectToPrefix) parameters.push(q.connectToPrefix.length, q.connectToPrefix);
  parameters.push(q.limit + 1);
  const key = [
    q.source,
    q.order,
    agent ? 'agent' : 'tenant',
    q.after ? 'after' : '',
    q.withContentOnly ? 'content' : '',
    q.direction ? 'direction' : '',
    q.connectFromPrefix ? 'from' : '',
    q.connectToPrefix ? 'to' : '',
  ].join('|');
  return { key, parameters };
}

/** No agent's or attribute's index drives the search (chooseDriver): the interactions table does. */
function drivenByInteractions(visibility: Visibility, q: InteractionSearch): boolean {
  return !q.handlingAgentId && !visibility.agentId && Object.keys(q.customAttributes ?? {}).length === 0;
}

/**
 * Whether a search without text walks the tenant's time index checking each entry against filters the
 * index carries (content only, media types, a direction, address prefixes) with nothing else to drive it:
 * the walk goes as far as it takes to fill the page, the whole time line when few rows pass. On SQLite
 * that walk is read in chunks (pageInChunks); PostgreSQL's statements do not hold the event loop.
 */
function walksTimeLineFiltered(dialect: string, visibility: Visibility, q: InteractionSearch): boolean {
  if (dialect !== 'sqlite' || q.text || q.ownerId || q.contactId) return false;
  if (agentFiltersOf(visibility, q).length > 0 || Object.keys(q.customAttributes ?? {}).length > 0) return false;
  return (
    q.withContentOnly === true ||
    (q.mediaTypes?.length ?? 0) > 0 ||
    q.direction !== undefined ||
    q.connectFromPrefix !== undefined ||
    q.connectToPrefix !== undefined
  );
}

/** The agents a search keeps to: the one asked for (handlingAgentId) and an agent principal itself. */
function agentFiltersOf(visibility: Visibility, q: InteractionSearch): string[] {
  return [...new Set([q.handlingAgentId, visibility.agentId].filter((a): a is string => !!a))];
}

/**
 * How a text search in time order is answered. With an agent (handlingAgentId, or an agent's own
 * visibility), the agents' tokens (agentToken: every document carries its handling agents') join the
 * query where the engine intersects them best (FullTextEngine.intersectsAgents), so it yields the
 * common matches of the words and the agents in time order, as for words alone; the interactions
 * drive, and each agent is still checked on every row in SQL (chooseDriver): the tokens only choose
 * what to read, never who sees what. Otherwise the agent's index (or an attribute's) drives
 * (spanOfDriver), or, with neither, the interactions do.
 */
async function textPlan(
  db: Kysely<Database>,
  engine: FullTextEngine,
  visibility: Visibility,
  q: InteractionSearch,
  text: TextQuery,
  slice: number,
): Promise<{ engineText: TextQuery; agentsInText: boolean; byInteractions: boolean }> {
  const agents = agentFiltersOf(visibility, q);
  if (agents.length === 0 || !(await engine.intersectsAgents(db, q.source, visibility.tenantId, text, slice)))
    return { engineText: text, agentsInText: false, byInteractions: drivenByInteractions(visibility, q) };
  const tokens: TextQuery[] = agents.map((agent) => ({
    type: 'term',
    tokens: [agentToken(visibility.tenantId, agent)],
    prefix: false,
  }));
  const engineText: TextQuery =
    text.type === 'and'
      ? { ...text, include: [...text.include, ...tokens] }
      : { type: 'and', include: [text, ...tokens], exclude: [] };
  return { engineText, agentsInText: true, byInteractions: true };
}

/** The search's time range, the keyset cursor's position included. */
function timeBounds(q: InteractionSearch): { lowerMs: number; upperMs: number } {
  let lowerMs = q.fromMs ?? FAR_PAST;
  let upperMs = q.toMs ?? FAR_FUTURE;
  if (q.after) {
    if (q.order === 'asc') lowerMs = Math.max(lowerMs, q.after.startMs);
    else upperMs = Math.min(upperMs, q.after.startMs);
  }
  return { lowerMs, upperMs };
}

function chooseDriver(
  table: (name: 'interactions' | 'interaction_agents' | 'custom_attributes') => RawBuilder<unknown>,
  tenantId: string,
  agentFilters: string[],
  attributes: [string, string][],
  interactionsIndex: RawBuilder<unknown>,
  /** The interactions drive (with an agent or an attribute, each an exists on the row). */
  byInteractions: boolean,
): Driver {
  const where: RawBuilder<unknown>[] = [];
  let driver: Driver;
  const [firstAgent, ...otherAgents] = agentFilters;
  const [firstAttribute, ...otherAttributes] = attributes;
  if (!byInteractions && firstAgent !== undefined) {
    driver = {
      from: sql`${table('interaction_agents')} d join ${table('interactions')} i on i.tenant_id = d.tenant_id and i.id = d.interaction_id`,
      start: sql.ref('d.start_ms'),
      key: sql.ref('d.interaction_id'),
      where: [sql`d.tenant_id = ${tenantId}`, sql`d.agent_id = ${firstAgent}`],
      ...(otherAgents.length === 0 && attributes.length === 0 ? { alone: sql`${table('interaction_agents')} d` } : {}),
    };
    for (const agent of otherAgents) where.push(agentExists(table, agent));
    for (const [name, value] of attributes) where.push(attributeExists(table, name, value));
  } else if (!byInteractions && firstAttribute !== undefined) {
    driver = {
      from: sql`${table('custom_attributes')} d join ${table('interactions')} i on i.tenant_id = d.tenant_id and i.id = d.interaction_id`,
      start: sql.ref('d.start_ms'),
      key: sql.ref('d.interaction_id'),
      where: [sql`d.tenant_id = ${tenantId}`, sql`d.name = ${firstAttribute[0]}`, sql`d.value = ${firstAttribute[1]}`],
      ...(otherAttributes.length === 0 ? { alone: sql`${table('custom_attributes')} d` } : {}),
    };
    for (const [name, value] of otherAttributes) where.push(attributeExists(table, name, value));
  } else {
    driver = {
      from: sql`${table('interactions')} i${interactionsIndex}`,
      start: sql.ref('i.start_ms'),
      key: sql.ref('i.id'),
      where: [sql`i.tenant_id = ${tenantId}`],
      byInteractions: true,
    };
    for (const agent of agentFilters) where.push(agentExists(table, agent));
    for (const [name, value] of attributes) where.push(attributeExists(table, name, value));
  }
  driver.where.push(...where);
  return driver;
}

function agentExists(
  table: (name: 'interactions' | 'interaction_agents' | 'custom_attributes') => RawBuilder<unknown>,
  agentId: string,
) {
  return sql`exists (select 1 from ${table('interaction_agents')} a where a.tenant_id = i.tenant_id and a.interaction_id = i.id and a.agent_id = ${agentId})`;
}

function attributeExists(
  table: (name: 'interactions' | 'interaction_agents' | 'custom_attributes') => RawBuilder<unknown>,
  name: string,
  value: string,
) {
  return sql`exists (select 1 from ${table('custom_attributes')} c where c.tenant_id = i.tenant_id and c.interaction_id = i.id and c.name = ${name} and c.value = ${value})`;
}

/** A case-sensitive "starts with" that means the same on both databases (LIKE does not). */
function prefix(column: string, value: string) {
  return sql`substr(${sql.ref(column)}, 1, ${value.length}) = ${value}`;
}
