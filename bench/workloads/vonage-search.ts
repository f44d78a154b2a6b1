/**
 * Workload 2: the Vonage search (content-bearing interactions of a 7-day
 * window, keyset-paged), measured three ways on the same inputs, interleaved:
 * - baseline: the same rows (page, handling agents, content items) fetched by
 *   hand-written SQL in this process;
 * - store: ixvault's Vault.search in this process (SQL through Kysely, row
 *   objects, agents and content), no HTTP;
 * - API: GET /interaction-content/interactions on the server process, body
 *   read in full (HTTP, facade translation, JSON serialization included);
 * - static bytes: the very bytes the API answered for the same query, fetched
 *   beforehand and served by a bare node:http server in its own process
 *   (bench/static-bytes-server.ts) — the physical limit of an HTTP API here.
 */
import { agentsOf } from '../../src/demo/contact-center.js';
import type { Principal } from '../../src/domain/principal.js';
import { SCOPES } from '../../src/domain/principal.js';
import type { InteractionSearch } from '../../src/domain/search.js';
import type { Runtime } from '../../src/runtime.js';
import { SUMMARY_COLUMNS } from '../../src/store/rows.js';
import { type BareDb, openBare } from '../lib/bare-sql.js';
import type { Context, Workload } from '../lib/context.js';
import { TENANT, WEEK_END_MS, WEEK_START_MS } from '../lib/dataset.js';
import { openDatasetRuntime } from '../lib/dataset-runtime.js';
import { bearerToken, getBytes } from '../lib/http.js';
import { CLIENT } from '../lib/principals.js';
import { type Figure, latencyRatio, type ResultRow, rateRatio } from '../lib/results.js';
import type { ServerProcess } from '../lib/server-process.js';
import {
  cpuMsOf,
  cpuRow,
  loadAverage,
  ms,
  putResponses,
  type StaticBytes,
  startStaticBytes,
  staticBytesRow,
} from '../lib/static-bytes.js';
import { type Latency, measure, measureInterleaved } from '../lib/stats.js';

const HOUR = 3_600_000;
const SUMMARY_SQL = SUMMARY_COLUMNS.map((c) => `i.${c}`).join(', ');
/** Vonage requires a versioned Accept header on every request. */
export const VONAGE_ACCEPT = 'application/vnd.newvoicemedia.v3+json';
/** Inbound phone numbers of contacts 1–9999: about 5 % of the callers. */
export const CONNECT_FROM_PREFIX = '+1415100';

interface Case {
  name: string;
  limit: number;
  agent?: boolean;
  prefix?: string;
}

const CASES: Case[] = [
  { name: 'page of 100', limit: 100 },
  { name: 'page of 1000', limit: 1000 },
  { name: 'page of 100, handlingAgentId', limit: 100, agent: true },
  { name: 'page of 1000, handlingAgentId', limit: 1000, agent: true },
  { name: 'page of 100, connectFrom prefix', limit: 100, prefix: CONNECT_FROM_PREFIX },
  { name: 'page of 1000, connectFrom prefix', limit: 1000, prefix: CONNECT_FROM_PREFIX },
];

/** The i-th query's window: 7 days from a start that moves by 3 hours, so pages differ and are not all the first. */
function windowOf(i: number): { fromMs: number; toMs: number } {
  const fromMs = WEEK_START_MS + (i % 48) * 3 * HOUR;
  return { fromMs, toMs: fromMs + (WEEK_END_MS - WEEK_START_MS) };
}

export const vonageSearch: Workload = {
  name: 'vonage',
  description: 'Vonage search: pages of 100 and 1000 in a 7-day window, with agent and connectFrom filters; a walk of a week',
  async run(ctx) {
    const agents = agentsOf({ seed: ctx.options.seed, agents: 500 }).map((a) => a.id);
    const bare = openBare(ctx.dataset);
    const { runtime, tenant } = await openDatasetRuntime(ctx);
    const principal: Principal = { kind: 'client', tenant, id: CLIENT.clientId, scopes: new Set(SCOPES) };
    const server = await ctx.server();
    const api = `${server.url}/interaction-content/interactions`;
    const headers = { authorization: await bearerToken(server.url), accept: VONAGE_ACCEPT };
    const rows: ResultRow[] = [];
    const staticBytes = await startStaticBytes();
    try {
      for (const c of CASES) {
        const agentOf = (i: number) => agents[i % agents.length] as string;
        const queryOf = (i: number): InteractionSearch => {
          const q: InteractionSearch = { source: 'main', order: 'asc', limit: c.limit, withContentOnly: true, ...windowOf(i) };
          if (c.agent) q.handlingAgentId = agentOf(i);
          if (c.prefix) q.connectFromPrefix = c.prefix;
          return q;
        };
        const fns: Record<string, (i: number) => Promise<unknown>> = {
          baseline: (i) => barePage(bare, queryOf(i)),
          // As the facade calls it (src/api/vonage/search-route.ts).
          store: (i) => runtime.vault.vonagePage(principal, queryOf(i)),
          api: (i) => getBytes(vonageUrl(api, queryOf(i)), headers),
          static: (i) => staticBytes.get(`${c.name}/${i}`),
        };
        // Where a large page's time goes: the page query alone, with every column and with the summary's.
        if (c.limit === 1000 && !c.agent && !c.prefix) {
          fns.pageAll = (i) => barePage(bare, queryOf(i), { columns: 'i.*', details: false });
          fns.pageSummary = (i) => barePage(bare, queryOf(i), { columns: SUMMARY_SQL, details: false });
        }
        const n = c.limit >= 1000 ? Math.max(50, ctx.options.iterations / 4) : ctx.options.iterations;
        const perRound = Math.ceil(n / 10);
        const bytes = await putResponses(staticBytes, c.name, 10 * perRound, (i) => vonageUrl(api, queryOf(i)), headers);
        const cpu0 = { api: cpuMsOf(server.pid), bare: cpuMsOf(staticBytes.pid) };
        const result = (await measureInterleaved(fns, { rounds: 10, perRound })) as Record<string, Latency>;
        // Each side's requests: the warm-up's 10 and the measured ones.
        const served = 10 + 10 * perRound;
        const cpu = cpuRow(
          'vonage',
          c.name,
          { ms: cpuMsOf(server.pid) - cpu0.api, n: served },
          { ms: cpuMsOf(staticBytes.pid) - cpu0.bare, n: served },
        );
        const plan = await runtime.vault.searches.explain({ tenantId: TENANT }, queryOf(0));
        rows.push(...caseRows(ctx, c, result, plan, bytes), cpu);
      }
      // The floor under every API figure: one HTTP round trip to a route that does no work, same client.
      const floor = await measure(ctx.options.iterations, () => getBytes(`${server.url}/health`, {}));
      rows.push({
        workload: 'vonage',
        case: 'HTTP round trip floor (GET /health)',
        ixvault: ms('same client, same server', floor),
      });
      rows.push(...(await perRequestCost(ctx, server, staticBytes, api, headers)));
      rows.push(...(await walk(ctx, bare, runtime, principal, { api, headers })));
    } finally {
      await staticBytes.stop();
      await bare.close();
      await runtime.close();
    }
    return rows;
  },
};

/**
 * What every request pays before and after its own work (issue 15, session 3): the server's CPU for answers
 * with no page work — GET /health (the edge's hooks only) and a Vonage search of a window holding nothing
 * (authentication, the Accept and rights checks, validation, one statement that finds no row) — beside the
 * static-bytes server answering the same bytes, interleaved.
 */
async function perRequestCost(
  ctx: Context,
  server: ServerProcess,
  staticBytes: StaticBytes,
  api: string,
  headers: Record<string, string>,
): Promise<ResultRow[]> {
  const emptyFrom = Date.UTC(2001, 0, 1);
  const empty: InteractionSearch = {
    source: 'main',
    order: 'asc',
    limit: 100,
    withContentOnly: true,
    fromMs: emptyFrom,
    toMs: emptyFrom + 7 * 86_400_000 - 1000,
  };
  const cases = [
    { name: 'GET /health', url: `${server.url}/health`, headers: {} },
    { name: 'empty Vonage page (a window with no interactions)', url: vonageUrl(api, empty), headers },
  ];
  const rows: ResultRow[] = [];
  // Enough requests that the 10 ms ticks of /proc are a few per cent of the static server's total.
  const perRound = Math.ceil((ctx.options.iterations * 5) / 10);
  for (const c of cases) {
    await putResponses(staticBytes, c.name, 1, () => c.url, c.headers);
    const cpu0 = { api: cpuMsOf(server.pid), bare: cpuMsOf(staticBytes.pid) };
    await measureInterleaved(
      { api: () => getBytes(c.url, c.headers), static: () => staticBytes.get(`${c.name}/0`) },
      { rounds: 10, perRound },
    );
    const served = 10 + 10 * perRound;
    rows.push(
      cpuRow(
        'vonage',
        c.name,
        { ms: cpuMsOf(server.pid) - cpu0.api, n: served },
        { ms: cpuMsOf(staticBytes.pid) - cpu0.bare, n: served },
        'request',
      ),
    );
  }
  return rows;
}

function caseRows(ctx: Context, c: Case, r: Record<string, Latency>, plan: string[], bytes: number): ResultRow[] {
  const baseline = ms('hand-written SQL, in-process', r.baseline as Latency);
  const out: ResultRow[] = [];
  const store = ms('Vault.vonagePage, in-process', r.store as Latency);
  out.push({
    workload: 'vonage',
    case: `${c.name} (store)`,
    ixvault: store,
    baseline,
    ratio: latencyRatio(store, baseline),
    notes: `plan: ${plan.join(' | ')}`,
  });
  for (const [key, what] of [
    ['pageAll', 'every column'],
    ['pageSummary', 'the 9 summary columns'],
  ] as const) {
    const l = r[key];
    if (l) out.push({ workload: 'vonage', case: `${c.name}: the page query alone, ${what}`, ixvault: ms('hand-written SQL', l) });
  }
  if (r.api) {
    const api = ms('HTTP API', r.api);
    const ratio = latencyRatio(api, baseline);
    const targets =
      c.limit === 100
        ? [{ text: 'p50 ≤ 2 × SQL baseline', met: (ratio ?? Number.POSITIVE_INFINITY) <= 2 }]
        : [{ text: 'p50 ≤ 1.5 × SQL baseline', met: (ratio ?? Number.POSITIVE_INFINITY) <= 1.5 }];
    if (c.limit === 100 && ctx.options.backend === 'sqlite') targets.push({ text: 'p99 ≤ 5 ms', met: (api.p99 ?? 99) <= 5 });
    out.push({ workload: 'vonage', case: `${c.name} (API)`, ixvault: api, baseline, ratio, targets });
    if (r.static) out.push(staticBytesRow('vonage', c.name, c.limit, api, r.static, bytes));
  }
  return out;
}

export function vonageUrl(api: string, q: InteractionSearch, continuationToken?: string): string {
  const params = new URLSearchParams({
    start: new Date(q.fromMs ?? 0).toISOString(),
    end: new Date(q.toMs ?? 0).toISOString(),
    limit: String(q.limit),
  });
  if (q.handlingAgentId) params.set('handlingAgentId', q.handlingAgentId);
  if (q.connectFromPrefix) params.set('connectFrom', q.connectFromPrefix);
  if (continuationToken) params.set('continuationToken', continuationToken);
  return `${api}?${params}`;
}

interface PageRow {
  id: string;
  start_ms: number;
}

/** The page, its handling agents and its content items, as a hand-written data access layer would fetch them. */
export async function barePage(
  db: BareDb,
  q: InteractionSearch,
  options: { columns: string; details: boolean } = { columns: 'i.*', details: true },
): Promise<{ rows: PageRow[]; agents: unknown[]; content: unknown[] }> {
  const after = q.after;
  const lower = Math.max(q.fromMs ?? 0, after?.startMs ?? Number.NEGATIVE_INFINITY);
  const params: (string | number)[] = [TENANT];
  let text: string;
  if (q.handlingAgentId) {
    text = `select ${options.columns} from main.interaction_agents d join main.interactions i on i.tenant_id = d.tenant_id and i.id = d.interaction_id
             where d.tenant_id = ? and d.agent_id = ? and d.start_ms >= ? and d.start_ms <= ? and i.content_count > 0`;
    params.push(q.handlingAgentId, lower, q.toMs ?? 0);
    if (after) {
      text += ' and (d.start_ms, d.interaction_id) > (?, ?)';
      params.push(after.startMs, after.id);
    }
  } else {
    text = `select ${options.columns} from main.interactions i
             where i.tenant_id = ? and i.start_ms >= ? and i.start_ms <= ? and i.content_count > 0`;
    params.push(lower, q.toMs ?? 0);
    if (after) {
      text += ' and (i.start_ms, i.id) > (?, ?)';
      params.push(after.startMs, after.id);
    }
  }
  if (q.connectFromPrefix) {
    text += ' and substr(i.connect_from, 1, ?) = ?';
    params.push(q.connectFromPrefix.length, q.connectFromPrefix);
  }
  text += ` order by ${q.handlingAgentId ? 'd.start_ms, d.interaction_id' : 'i.start_ms, i.id'} limit ?`;
  params.push(q.limit);
  const rows = await db.all<PageRow>(text, params);
  if (!options.details) return { rows, agents: [], content: [] };
  const ids = rows.map((r) => r.id);
  const [agents, content] = await Promise.all([
    db.all('select interaction_id, agent_id from main.interaction_agents where tenant_id = ? and interaction_id IN_LIST', [
      TENANT,
      ids,
    ]),
    db.all(
      'select * from main.content_items where tenant_id = ? and interaction_id IN_LIST order by interaction_id, content_key',
      [TENANT, ids],
    ),
  ]);
  return { rows, agents, content };
}

/** A full walk of the week with pages of 1000, three times each way; items per second of the median walk. */
async function walk(
  ctx: Context,
  bare: BareDb,
  runtime: Runtime,
  principal: Principal,
  http: { api: string; headers: Record<string, string> },
): Promise<ResultRow[]> {
  const base: InteractionSearch = {
    source: 'main',
    order: 'asc',
    limit: 1000,
    withContentOnly: true,
    fromMs: WEEK_START_MS,
    toMs: WEEK_END_MS,
  };
  const walkers: Record<string, () => Promise<number>> = {
    baseline: async () => {
      let total = 0;
      let q = base;
      for (;;) {
        const page = await barePage(bare, q);
        total += page.rows.length;
        const last = page.rows[page.rows.length - 1];
        if (page.rows.length < q.limit || !last) return total;
        q = { ...base, after: { startMs: Number(last.start_ms), id: last.id } };
      }
    },
    store: async () => {
      let total = 0;
      let q = base;
      for (;;) {
        const page = await runtime.vault.vonagePage(principal, q);
        total += page.count;
        if (!page.next) return total;
        q = { ...base, after: page.next };
      }
    },
  };
  walkers.api = async () => {
    let total = 0;
    let token: string | undefined;
    for (;;) {
      const res = await fetch(vonageUrl(http.api, base, token), { headers: http.headers });
      if (res.status !== 200) throw new Error(`vonage walk: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { items: unknown[]; meta?: { nextContinuationToken?: string | null } };
      total += body.items.length;
      token = body.meta?.nextContinuationToken ?? undefined;
      if (!token) return total;
    }
  };
  const rates: Record<string, { rate: number; items: number }> = {};
  for (const [name, fn] of Object.entries(walkers)) {
    const times: number[] = [];
    let items = 0;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      items = await fn();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    rates[name] = { rate: items / ((times[1] as number) / 1000), items };
  }
  const fig = (label: string, name: string): Figure => ({ label, value: rates[name]?.rate ?? 0, unit: 'items/s' });
  const baseline = fig('hand-written SQL, in-process', 'baseline');
  const out: ResultRow[] = [];
  const store = fig('Vault.vonagePage, in-process', 'store');
  const notes = `${rates.baseline?.items} items in the week; ${loadAverage()}`;
  out.push({
    workload: 'vonage',
    case: 'walk of a week, pages of 1000 (store)',
    ixvault: store,
    baseline,
    ratio: rateRatio(store, baseline),
    notes,
  });
  if (rates.api) {
    const api = fig('HTTP API', 'api');
    if (rates.api.items !== rates.baseline?.items)
      ctx.log(`vonage walk: API saw ${rates.api.items} items, SQL ${rates.baseline?.items}`);
    out.push({
      workload: 'vonage',
      case: 'walk of a week, pages of 1000 (API)',
      ixvault: api,
      baseline,
      ratio: rateRatio(api, baseline),
      targets: [{ text: '≥ 0.8 × SQL items/s', met: (rateRatio(api, baseline) ?? 0) >= 0.8 }],
      notes,
    });
  }
  return out;
}
