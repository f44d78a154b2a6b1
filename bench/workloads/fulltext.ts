/**
 * Workload `fulltext` (issue 13): its own seeded dataset (bench/lib/text-dataset.ts)
 * of `--size` interactions, then:
 * - ingest with the index against the same ingest with the index switched off
 *   (neither its writes nor its documents), the first `--ingest` records
 *   through InteractionRepository.upsertMany on this thread (SQLite's batch
 *   writer thread off: the switch is this process's) into two fresh stores,
 *   batches alternated, the stores' documents counted after;
 * - the rest loaded as setup, not measurement (bench/lib/text-bulk.ts: bulk,
 *   the indexes and the full-text index built once); `--reuse` keeps it (SQLite);
 * - text queries through Vault.search in this process (first page of 100,
 *   matches and snippets included), each interleaved with the same question
 *   asked by `LIKE '%…%'` over the same stored text (subject, comment,
 *   messages, transcript segments; ILIKE on PostgreSQL), the scan Chatwoot
 *   and FreeScout fall back to; the load average beside every figure;
 * - the index's size per text (message or transcript segment).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { CODES, isVaultError } from '../../src/domain/errors.js';
import { parseTextQuery } from '../../src/domain/fulltext.js';
import type { InteractionSearch } from '../../src/domain/search.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { TextIndex } from '../../src/store/text-index.js';
import type { StoreLocation } from '../lib/backend.js';
import type { Context, Workload } from '../lib/context.js';
import { BENCH_SECRET } from '../lib/dataset-runtime.js';
import { type Figure, latencyRatio, type ResultRow, rateRatio } from '../lib/results.js';
import { type Latency, measureInterleaved, summarize } from '../lib/stats.js';
import { bulkLoadTexts } from '../lib/text-bulk.js';
import { AGENTS, TEXT_TENANT, TEXT_YEAR_START, textRecord, Vocabulary } from '../lib/text-dataset.js';

const BATCH = 500;
/** From this many interactions on, the LIKE baseline runs once a round (see queries). */
const LARGE = 300_000;
const DAY = 86_400_000;

export interface QueryCase {
  name: string;
  /** The i-th iteration's q. */
  q: (i: number) => string;
  /** The same question as LIKE patterns, all of which must occur (in any text of the interaction). */
  like: (i: number) => string[];
  agent?: boolean;
  window?: boolean;
  relevance?: boolean;
  target?: { p50?: number; p99?: number };
}

export const fulltext: Workload = {
  name: 'fulltext',
  description: 'Full-text search: q against LIKE %…%, ingest with and without the index, index size (own dataset of --size)',
  needsDataset: false,
  async run(ctx) {
    const vocabulary = new Vocabulary(ctx.options.seed);
    const size = ctx.options.size;
    const name = `fulltext-${ctx.options.backend}-${size}-${ctx.options.seed}`;
    const dataDir = join(ctx.options.workDir, name);
    const loadedMarker = join(dataDir, 'fulltext-loaded.json');
    // The measured ingest's figures, kept so that a load cut short (hours at 10M) resumes after them (--reuse).
    const ingestMarker = join(dataDir, 'fulltext-ingest.json');
    const keep = ctx.options.reuse && ctx.options.backend === 'sqlite';
    if (keep && existsSync(loadedMarker)) {
      ctx.log(`fulltext: reusing the loaded store ${name} (its ingest figures are from the run that loaded it)`);
      const loaded = JSON.parse(readFileSync(loadedMarker, 'utf8')) as { rows: ResultRow[]; texts: number };
      const runtime = await textRuntime({ dataDir });
      try {
        return [...loaded.rows, ...(await indexSize(runtime, loaded.texts, size)), ...(await queries(ctx, runtime, vocabulary))];
      } finally {
        await runtime.close();
      }
    }
    let location: StoreLocation;
    let measured: Measured;
    if (keep && existsSync(ingestMarker)) {
      ctx.log(`fulltext: resuming the load of ${name} after its measured ingest`);
      location = { name, dataDir, sqliteFile: join(dataDir, 'ixvault.db') };
      measured = JSON.parse(readFileSync(ingestMarker, 'utf8')) as Measured;
    } else {
      location = await ctx.backend.createStore(name);
      measured = await measureIngest(ctx, location, vocabulary);
      if (keep) writeFileSync(ingestMarker, JSON.stringify(measured));
    }
    // The rest is setup, not measurement: bulk, indexes and the full-text index built once (text-bulk.ts).
    if (size > measured.ingestCount) {
      ctx.log(`fulltext: bulk setup of interactions ${measured.ingestCount}..${size}`);
      await bulkLoadTexts(
        location.databaseUrl ? { databaseUrl: location.databaseUrl } : { sqliteFile: location.sqliteFile },
        vocabulary,
        ctx.options.seed,
        measured.ingestCount,
        size,
        ctx.log,
        keep ? join(dataDir, 'fulltext-bulk.json') : undefined,
      );
    }
    const indexed = await textRuntime(location);
    try {
      if (size <= measured.ingestCount) await analyze(indexed);
      // Counted in the store: a resumed load does not know what the run cut short loaded.
      const texts = (await countRows(indexed, 'messages')) + (await countRows(indexed, 'text_parts'));
      writeFileSync(loadedMarker, JSON.stringify({ rows: measured.rows, texts }));
      return [...measured.rows, ...(await indexSize(indexed, texts, size)), ...(await queries(ctx, indexed, vocabulary))];
    } finally {
      await indexed.close();
    }
  },
};

/** The measured ingest's result rows and how many interactions it wrote. */
interface Measured {
  rows: ResultRow[];
  ingestCount: number;
}

/** A runtime on a full-text bench store (the text dataset's tenant). */
export const textRuntime = (location: { dataDir: string; databaseUrl?: string | undefined }) =>
  openRuntime({
    dataDir: location.dataDir,
    ...(location.databaseUrl ? { databaseUrl: location.databaseUrl } : {}),
    principals: { tenants: [{ id: TEXT_TENANT }] },
    maxContentBytes: 1024,
    secret: BENCH_SECRET,
    // Batches written on this thread: measureIngest's index switch is this thread's (a batch writer thread would
    // write the baseline's index anyway).
    batchThread: false,
  });

/**
 * The first `--ingest` records through the production write path into `location`, alternated with the same
 * batches into a second store with the index switched off; then their call transcripts, as content upload
 * writes them.
 */
async function measureIngest(ctx: Context, location: StoreLocation, vocabulary: Vocabulary): Promise<Measured> {
  const rows: ResultRow[] = [];
  const indexed = await textRuntime(location);
  const plain = await textRuntime(await ctx.backend.createStore(`fulltext-noindex-${ctx.options.backend}`));
  const ingestCount = Math.min(ctx.options.size, ctx.options.ingestCount);
  try {
    // The index off in the second store: the same code path without its writes, nor the new records' documents
    // (made with the rows: TextIndex.documentOfRecord, process-wide, so switched off around that store's writes).
    plain.vault.interactions.texts.writeRecords = async () => {};
    const documentOfRecord = TextIndex.documentOfRecord;
    ctx.log(`fulltext: ingest of ${ingestCount} interactions with and without indexing, batches alternated`);
    const spent = { indexed: 0, plain: 0 };
    for (let from = 0; from < ingestCount; from += BATCH) {
      const inputs = () =>
        Array.from(
          { length: Math.min(BATCH, ingestCount - from) },
          (_, k) => textRecord(vocabulary, ctx.options.seed, from + k).input,
        );
      for (const [name, runtime] of [
        ['indexed', indexed],
        ['plain', plain],
      ] as const) {
        const batch = inputs();
        if (name === 'plain') TextIndex.documentOfRecord = () => '';
        try {
          const t0 = performance.now();
          await runtime.vault.interactions.upsertMany(TEXT_TENANT, batch);
          spent[name] += performance.now() - t0;
        } finally {
          TextIndex.documentOfRecord = documentOfRecord;
        }
      }
    }
    for (const [runtime, want] of [
      [indexed, ingestCount],
      [plain, 0],
    ] as const) {
      const documents = await countRows(runtime, 'text_docs');
      if (documents !== want) throw new Error(`ingest: ${documents} index documents in a store that should hold ${want}`);
    }
    const withIndex: Figure = { label: 'with index', value: ingestCount / (spent.indexed / 1000), unit: 'interactions/s' };
    const without: Figure = { label: 'index off', value: ingestCount / (spent.plain / 1000), unit: 'interactions/s' };
    const ingestRatio = rateRatio(withIndex, without);
    rows.push({
      workload: 'fulltext',
      case: `ingest (chats with 16 messages, emails, calls), ${BATCH} a transaction`,
      ixvault: withIndex,
      baseline: without,
      ...(ingestRatio !== undefined ? { ratio: ingestRatio } : {}),
      targets: [{ text: 'with index ≥ 0.8 × without', met: (ingestRatio ?? 0) >= 0.8 }],
      notes: `through InteractionRepository.upsertMany on the bench's thread (SQLite: no batch writer thread), the index off in the baseline (writes and documents); load average ${load()}`,
    });

    // The measured records' call transcripts, through the write path (content upload writes them so).
    for (let from = 0; from < ingestCount; from += BATCH) {
      const records = Array.from({ length: Math.min(BATCH, ingestCount - from) }, (_, k) =>
        textRecord(vocabulary, ctx.options.seed, from + k),
      );
      await indexed.store.write(async (root) => {
        for (const r of records.filter((r) => r.transcript))
          await indexed.vault.interactions.texts.writeContent(
            root,
            'main',
            TEXT_TENANT,
            r.input.id as string,
            'transcript',
            r.transcript ?? [],
          );
      });
    }
    return { rows, ingestCount };
  } finally {
    await indexed.close();
    await plain.close();
  }
}

/** The 1-minute load average, printed with every figure: the machine is shared. */
const load = () => loadavg()[0]?.toFixed(1) ?? '?';

/** measureInterleaved with a sample count per function. */
async function measureRounds(
  fns: Record<'ixvault' | 'baseline', (i: number) => Promise<unknown>>,
  options: { rounds: number; perRound: Record<'ixvault' | 'baseline', number>; warmup: Record<'ixvault' | 'baseline', number> },
): Promise<Record<'ixvault' | 'baseline', Latency>> {
  const names = ['ixvault', 'baseline'] as const;
  for (const name of names) for (let i = 0; i < options.warmup[name]; i++) await fns[name](i);
  const samples = { ixvault: [] as number[], baseline: [] as number[] };
  for (let r = 0; r < options.rounds; r++)
    for (const name of names)
      for (let k = 0; k < options.perRound[name]; k++) {
        const t0 = performance.now();
        await fns[name](r * options.perRound[name] + k);
        samples[name].push(performance.now() - t0);
      }
  return { ixvault: summarize(samples.ixvault), baseline: summarize(samples.baseline) };
}

async function analyze(runtime: Runtime): Promise<void> {
  if (runtime.store.dialect === 'postgres') await sql`analyze`.execute(runtime.store.db);
  else await sql`analyze`.execute(runtime.store.db);
}

/** The rows of one of the main store's tables. */
export async function countRows(runtime: Runtime, table: 'text_docs' | 'messages' | 'text_parts'): Promise<number> {
  const name = runtime.store.dialect === 'postgres' ? `ixv_main.${table}` : table;
  return Number(
    (await sql<{ n: number | string }>`select count(*) as n from ${sql.raw(name)}`.execute(runtime.store.db)).rows[0]?.n,
  );
}

/** The index's size per text (message or transcript segment), beside the text parts and the messages table. */
export async function indexSize(runtime: Runtime, texts: number, interactions: number): Promise<ResultRow[]> {
  const store = runtime.store;
  let engine: number;
  let parts: number;
  let messages: number;
  if (store.dialect === 'postgres') {
    const size = async (table: string) =>
      Number(
        (await sql<{ n: string }>`select pg_total_relation_size(${`ixv_main.${table}`}::regclass) as n`.execute(store.db)).rows[0]
          ?.n,
      );
    engine = await size('text_docs');
    parts = await size('text_parts');
    messages = await size('messages');
  } else {
    // One walk of the file (dbstat reads every page of it: 46 GB at 10M), the b-trees summed by name here.
    const { rows } = await sql<{ name: string; n: number }>`select name, sum(pgsize) as n from dbstat group by name`.execute(
      store.db,
    );
    const size = (...prefixes: string[]) =>
      rows.filter((r) => prefixes.some((p) => r.name.startsWith(p))).reduce((sum, r) => sum + Number(r.n), 0);
    engine = size('text_fts', 'text_docs', 'sqlite_autoindex_text_docs');
    parts = size('text_parts', 'sqlite_autoindex_text_parts');
    messages = size('messages', 'sqlite_autoindex_messages');
  }
  const row = (name: string, bytes: number, notes: string): ResultRow => ({
    workload: 'fulltext',
    case: name,
    ixvault: { label: 'bytes per text', value: bytes / texts, unit: 'B/text' },
    notes: `${(bytes / 1024 ** 2).toFixed(1)} MiB for ${texts} texts (messages and transcript segments) of ${interactions} interactions; ${notes}`,
  });
  return [
    row(
      'index size: the engine index',
      engine,
      store.dialect === 'postgres' ? 'text_docs tsvector + GIN' : 'FTS5 (contentless) + rowid map',
    ),
    row('index size: stored text parts', parts, 'text_parts: the text every hit is located and snipped in'),
    row('for comparison: the messages table', messages, 'messages rows and primary key'),
  ];
}

/** The bench's text queries (words by frequency band, a phrase, a prefix, an id, with an agent or a window). */
export function queryCases(vocabulary: Vocabulary): QueryCase[] {
  const common = vocabulary.band(20);
  const medium = vocabulary.band(500);
  const rare = vocabulary.band(20_000);
  const pick = (list: string[], i: number) => list[i % list.length] as string;
  return [
    { name: 'one common word', q: (i) => pick(common, i), like: (i) => [pick(common, i)], target: { p50: 30, p99: 150 } },
    { name: 'one medium word', q: (i) => pick(medium, i), like: (i) => [pick(medium, i)], target: { p50: 30, p99: 150 } },
    { name: 'one rare word', q: (i) => pick(rare, i), like: (i) => [pick(rare, i)], target: { p50: 30, p99: 150 } },
    {
      name: 'two words (common + medium)',
      q: (i) => `${pick(common, i)} ${pick(medium, i + 3)}`,
      like: (i) => [pick(common, i), pick(medium, i + 3)],
      target: { p50: 30, p99: 150 },
    },
    {
      name: 'phrase "cancel my contract"',
      q: () => '"cancel my contract"',
      like: () => ['cancel my contract'],
      target: { p50: 50 },
    },
    {
      name: 'prefix (medium word, 4 letters)*',
      q: (i) => `${pick(medium, i).slice(0, 4)}*`,
      like: (i) => [pick(medium, i).slice(0, 4)],
    },
    {
      name: 'order id ORD-nnnnnn',
      q: (i) => `ORD-${String((i * 7919) % 1_000_000).padStart(6, '0')}`,
      like: (i) => [`ORD-${String((i * 7919) % 1_000_000).padStart(6, '0')}`],
    },
    {
      name: 'common word + handling agent',
      q: (i) => pick(common, i),
      like: (i) => [pick(common, i)],
      agent: true,
      target: { p50: 30 },
    },
    {
      name: 'rare word + handling agent',
      q: (i) => pick(rare, i),
      like: (i) => [pick(rare, i)],
      agent: true,
      target: { p50: 30 },
    },
    {
      name: 'common word + 30-day window',
      q: (i) => pick(common, i),
      like: (i) => [pick(common, i)],
      window: true,
      target: { p50: 30 },
    },
    { name: 'medium word, sort=relevance', q: (i) => pick(medium, i), like: (i) => [pick(medium, i)], relevance: true },
  ];
}

/** The i-th search of a case: the first page of 100, newest first. */
export function searchOfCase(c: QueryCase, i: number): InteractionSearch {
  const s: InteractionSearch = { source: 'main', order: 'desc', limit: 100, text: parseTextQuery(c.q(i)) };
  if (c.agent) s.handlingAgentId = `agent-${(i % AGENTS) + 1}`;
  if (c.window) {
    s.fromMs = TEXT_YEAR_START + (i % 300) * DAY;
    s.toMs = s.fromMs + 30 * DAY;
  }
  if (c.relevance) s.byRelevance = true;
  return s;
}

/** The i-th search of a case asked by `LIKE '%…%'` (ILIKE on PostgreSQL) over the same stored text: the baseline. */
export async function likeBaseline(runtime: Runtime, c: QueryCase, i: number): Promise<void> {
  const store = runtime.store;
  const like = store.dialect === 'postgres' ? sql.raw('ilike') : sql.raw('like');
  const parts = store.table('main', 'text_parts');
  const messages = store.table('main', 'messages');
  const interactions = store.table('main', 'interactions');
  const agents = store.table('main', 'interaction_agents');
  const s = searchOfCase(c, i);
  const where = [sql`i.tenant_id = ${TEXT_TENANT}`];
  // Every word in some text of the interaction: subject, comment, a message, a transcript segment.
  for (const pattern of c.like(i)) {
    const p = `%${pattern}%`;
    where.push(sql`(i.subject ${like} ${p} or i.comment ${like} ${p}
      or exists (select 1 from ${messages} m where m.tenant_id = i.tenant_id and m.interaction_id = i.id and m.text ${like} ${p})
      or exists (select 1 from ${parts} t where t.tenant_id = i.tenant_id and t.interaction_id = i.id and t.body ${like} ${p}))`);
  }
  if (s.handlingAgentId)
    where.push(
      sql`exists (select 1 from ${agents} a where a.tenant_id = i.tenant_id and a.interaction_id = i.id and a.agent_id = ${s.handlingAgentId})`,
    );
  if (s.fromMs !== undefined) where.push(sql`i.start_ms >= ${s.fromMs} and i.start_ms <= ${s.toMs}`);
  await sql`select i.* from ${interactions} i where ${sql.join(where, sql` and `)} order by i.start_ms desc, i.id desc limit 101`.execute(
    store.db,
  );
}

async function queries(ctx: Context, runtime: Runtime, vocabulary: Vocabulary): Promise<ResultRow[]> {
  const cases = queryCases(vocabulary);
  const rows: ResultRow[] = [];
  for (const c of cases) {
    const searchOf = (i: number) => searchOfCase(c, i);
    const baseline = (i: number) => likeBaseline(runtime, c, i);
    let hits = 0;
    let overBudget = 0;
    const ixvault = async (i: number) => {
      try {
        const page = await runtime.vault.searches.search({ tenantId: TEXT_TENANT }, searchOf(i));
        hits += page.items.length;
      } catch (err) {
        // A search stopped by its time budget is a figure too (its time is the budget's).
        if (!isVaultError(err) || err.code !== CODES.searchBudget) throw err;
        overBudget++;
      }
    };
    const perRound = 2;
    const rounds = Math.max(3, Math.ceil(Math.min(ctx.options.iterations, 40) / perRound));
    ctx.log(`fulltext: ${c.name} (${rounds * perRound} samples each)`);
    // From LARGE on, a LIKE scan takes seconds to a minute: one a round, no warm-up (a scan warms nothing).
    const large = ctx.options.size >= LARGE;
    const like = ctx.options.likeBaseline;
    const measured =
      large || !like
        ? await measureRounds(
            { ixvault, baseline },
            { rounds, perRound: { ixvault: perRound, baseline: like ? 1 : 0 }, warmup: { ixvault: 2, baseline: 0 } },
          )
        : await measureInterleaved({ ixvault, baseline }, { rounds, perRound, warmup: 2 });
    const subject: Figure = { label: 'Vault.search, q', p50: measured.ixvault.p50, p99: measured.ixvault.p99, unit: 'ms' };
    const base: Figure | undefined = like
      ? { label: `LIKE '%…%'`, p50: measured.baseline.p50, p99: measured.baseline.p99, unit: 'ms' }
      : undefined;
    const ratio = base && latencyRatio(subject, base);
    const targets = [];
    if (c.target?.p50 !== undefined)
      targets.push({ text: `p50 ≤ ${c.target.p50} ms`, met: measured.ixvault.p50 <= c.target.p50 });
    if (c.target?.p99 !== undefined)
      targets.push({ text: `p99 ≤ ${c.target.p99} ms`, met: measured.ixvault.p99 <= c.target.p99 });
    rows.push({
      workload: 'fulltext',
      case: c.name,
      ixvault: subject,
      ...(base ? { baseline: base } : {}),
      ...(ratio !== undefined ? { ratio } : {}),
      targets,
      notes: `first page of 100 (matches and snippets included); ${(hits / (rounds * perRound + 2)).toFixed(0)} hits a page on average${overBudget > 0 ? `; ${overBudget} searches stopped by the 3 s budget` : ''}${!like ? '; LIKE baseline not run (--no-like-baseline)' : large ? `; LIKE: ${rounds} samples, one a round` : ''}; load average ${load()}`,
    });
  }
  return rows;
}
