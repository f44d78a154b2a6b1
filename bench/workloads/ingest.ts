/**
 * Workload 1: ingest against bare inserts of the same rows, in the same run.
 * Two dataset shapes, each stored into fresh stores:
 * - `harness`: ixvault's generator (another seed than the search dataset):
 *   every media type, five custom attributes, a subject on every record,
 *   chats with ~20 messages; ids and guids given by the client;
 * - `outside`: the shape of issue 15's outside measurement: calls, chats and
 *   emails in turn over one year, neither id nor guid (ixvault makes both),
 *   one owner who is the one handling agent out of 50, two custom attributes,
 *   a random 11-digit connectFrom, no text.
 * ixvault's side: POST /api/v1/interactions:batch, 1000 records a request,
 * two requests in flight, without and with messages; `ixvault import
 * FILE.ndjson` (records with messages) as a child process.
 * Baselines, 1000 interactions a transaction, indexes in place, ixvault's own
 * SQLite settings (bench/lib/bulk.ts), in this process unless said:
 * - bare inserts of the same rows ixvault writes: interactions, agents,
 *   custom attributes, messages AND the full-text index rows (the document
 *   ixvault indexes, made before the clock by the domain's documentOf):
 *   ixvault cannot acknowledge a record without them, so they are part of
 *   "the same rows";
 * - the same without the index rows: the difference is the index's cost in
 *   the database itself;
 * - the same rows written by a bare node:http server in a child process that
 *   receives the same request bodies, 2 in flight, and parses them
 *   (bench/bare-ingest-server.ts): what any HTTP API of JSON records pays on
 *   these cores before doing anything of its own.
 * Request bodies, rows and the file are prepared before the clock starts; in
 * each shape and variant the cases run one after the other (bare without
 * index, bare, bare HTTP, HTTP, and on SQLite HTTP again with batches written on the
 * main thread: the batch writer thread's effect), so a change of load hits
 * neighbours alike. Beside each rate, CPU time per record: the ixvault
 * server's (all its threads, /proc) and the bare inserts' (this process;
 * PostgreSQL's own CPU is in neither).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { Progress } from '../../src/cli/progress.js';
import { Random } from '../../src/demo/random.js';
import { documentOf } from '../../src/domain/fulltext.js';
import { newGuid, newInteractionId } from '../../src/domain/ids.js';
import type { Interaction } from '../../src/domain/interaction.js';
import { interactionTexts } from '../../src/domain/texts.js';
import { checkInteraction } from '../../src/domain/validate.js';
import { SQLITE_CACHE_KIB } from '../../src/store/dialects/sqlite.js';
import { interactionToRow, messageToRow } from '../../src/store/rows.js';
import { agentTokensOf, sortParts } from '../../src/store/text-index.js';
import type { StoreLocation } from '../lib/backend.js';
import { startBareServer } from '../lib/bare-server.js';
import { type BulkWriter, postgresWriter, sqliteWriter } from '../lib/bulk.js';
import type { Context, Workload } from '../lib/context.js';
import { generate, type RowSet, TENANT, toRows, YEAR_END_MS, YEAR_START_MS } from '../lib/dataset.js';
import { REPO_ROOT } from '../lib/paths.js';
import { ADMIN, basic } from '../lib/principals.js';
import { type Figure, type ResultRow, rateRatio } from '../lib/results.js';
import { profileFlags, startServerProcess } from '../lib/server-process.js';
import { cpuMsOf } from '../lib/static-bytes.js';

const BATCH = 1000;
const IN_FLIGHT = 2;

type Variant = 'withoutMessages' | 'withMessages';

/** One set of records, as request bodies and as the rows bare inserts write. */
interface Prepared {
  bodies: string[];
  rows: RowSet[][];
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

/** The cases of this workload (`--ingest-cases`); `import` is measured against the bare inserts of `harness-withMessages`. */
export const INGEST_CASES = ['harness-withoutMessages', 'harness-withMessages', 'outside', 'import'] as const;
type IngestCase = (typeof INGEST_CASES)[number];

/**
 * The harness shape, with and without messages, and the ndjson file `ixvault import` reads: only what the
 * cases run need (at a million records, each part is gigabytes). The file is written as it is made.
 */
function prepareHarness(
  ctx: Context,
  dir: string,
  wanted: (c: IngestCase) => boolean,
): { variants: Record<Variant, Prepared>; ndjson: string } {
  const progress = new Progress('preparing ingest data (harness shape)', ctx.options.ingestCount);
  const variants: Record<Variant, Prepared> = {
    withMessages: { bodies: [], rows: [] },
    withoutMessages: { bodies: [], rows: [] },
  };
  const without = wanted('harness-withoutMessages');
  const withBodies = wanted('harness-withMessages');
  // The rows with messages are the baseline of their own case and of the import.
  const withRowsToo = withBodies || wanted('import');
  const ndjson = join(dir, 'ingest.ndjson');
  const file = wanted('import') ? openSync(ndjson, 'w') : undefined;
  let records: Record<string, unknown>[] = [];
  let withRows: RowSet[] = [];
  let withoutRows: RowSet[] = [];
  const nowMs = Date.now();
  const flush = () => {
    if (withBodies) variants.withMessages.bodies.push(JSON.stringify({ records }));
    if (without)
      variants.withoutMessages.bodies.push(JSON.stringify({ records: records.map(({ messages: _m, ...rest }) => rest) }));
    if (file !== undefined) writeSync(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    if (withRowsToo) variants.withMessages.rows.push(withRows);
    if (without) variants.withoutMessages.rows.push(withoutRows);
    progress.tick(records.length);
    records = [];
    withRows = [];
    withoutRows = [];
  };
  for (const g of generate(ctx.options.seed + 1, ctx.options.ingestCount)) {
    records.push(g.record);
    // Content items arrive later through uploads; a freshly ingested record has none.
    if (withRowsToo) withRows.push({ ...toRows(g, nowMs, true), content: [], textDoc: textDocument(g.record) });
    if (without) {
      const { messages: _m, ...withoutMessages } = g.record;
      withoutRows.push({ ...toRows(g, nowMs, false), content: [], textDoc: textDocument(withoutMessages) });
    }
    if (records.length >= BATCH) flush();
  }
  if (records.length > 0) flush();
  if (file !== undefined) closeSync(file);
  progress.finish();
  return { variants, ndjson };
}

/** The document ixvault's full-text index holds for a new record (text-index.ts: documentOf its texts). */
function textDocument(raw: unknown): string {
  const { value } = checkInteraction(raw);
  if (!value) throw new Error('generated an invalid record');
  return documentOf(sortParts(interactionTexts(value)), agentTokensOf(TENANT, value.handlingAgentIds));
}

/**
 * The outside shape. The bodies carry neither id nor guid; the bare rows get
 * an id and a guid made the way ixvault makes them (before the clock).
 */
function prepareOutside(ctx: Context): Prepared {
  const n = ctx.options.ingestCount;
  const progress = new Progress('preparing ingest data (outside shape)', n);
  const random = new Random(ctx.options.seed + 2);
  const media = ['call', 'chat', 'email'] as const;
  const prepared: Prepared = { bodies: [], rows: [] };
  const nowMs = Date.now();
  let records: Record<string, unknown>[] = [];
  let rows: RowSet[] = [];
  for (let i = 0; i < n; i++) {
    const startMs = YEAR_START_MS + Math.floor(random.next() * (YEAR_END_MS - YEAR_START_MS - 3_600_000));
    const agent = `agent-${random.int(1, 50)}`;
    const record = {
      mediaType: media[i % 3],
      typeId: 'Inbound',
      state: 'Stopped',
      startDate: new Date(startMs).toISOString(),
      endDate: new Date(startMs + random.int(30, 1800) * 1000).toISOString(),
      ownerInformation: { id: agent },
      handlingAgents: [{ id: agent }],
      customAttributes: { Queue: `queue-${random.int(1, 20)}`, SearchId: String(random.int(100_000, 999_999)) },
      connectFrom: String(random.int(10_000_000_000, 99_999_999_999)),
    };
    records.push(record);
    const { value } = checkInteraction(record);
    if (!value) throw new Error('outside shape: invalid record');
    // As ixvault makes them: the batch's clock in front (ids grow from batch to batch), random within one.
    const full: Interaction = { ...value, id: newInteractionId(nowMs + prepared.rows.length), guid: newGuid() };
    rows.push({
      interaction: interactionToRow(TENANT, full, { createdMs: nowMs, updatedMs: nowMs, contentCount: 0 }),
      agents: full.handlingAgentIds.map((agentId) => ({
        tenant_id: TENANT,
        interaction_id: full.id,
        agent_id: agentId,
        start_ms: full.startMs,
      })),
      attributes: Object.entries(full.customAttributes).map(([name, v]) => ({
        tenant_id: TENANT,
        interaction_id: full.id,
        name,
        value: v,
        start_ms: full.startMs,
      })),
      messages: (value.messages ?? []).map((m) => messageToRow(TENANT, full.id, m)),
      content: [],
      textDoc: documentOf(sortParts(interactionTexts(value)), agentTokensOf(TENANT, value.handlingAgentIds)),
    });
    if (records.length >= BATCH) {
      prepared.bodies.push(JSON.stringify({ records }));
      prepared.rows.push(byId(rows));
      progress.tick(records.length);
      records = [];
      rows = [];
    }
  }
  if (records.length > 0) {
    prepared.bodies.push(JSON.stringify({ records }));
    prepared.rows.push(byId(rows));
  }
  progress.finish();
  return prepared;
}

/** A batch's rows in id order: the order ixvault writes them in (and locks them in, on PostgreSQL). */
function byId(rows: RowSet[]): RowSet[] {
  return rows.sort((a, b) => (a.interaction.id < b.interaction.id ? -1 : a.interaction.id > b.interaction.id ? 1 : 0));
}

export const ingest: Workload = {
  name: 'ingest',
  needsDataset: false,
  description:
    'Ingest: native batch API over HTTP (harness and outside shapes, with/without messages), ixvault import; baseline bare inserts of the same rows (with and without the full-text rows)',
  async run(ctx) {
    const n = ctx.options.ingestCount;
    const scratch = await ctx.backend.createStore('ingest-scratch');
    const wanted = (c: IngestCase) => ctx.options.ingestCases?.includes(c) ?? true;
    const harness = INGEST_CASES.some((c) => c !== 'outside' && wanted(c))
      ? prepareHarness(ctx, scratch.dataDir, wanted)
      : undefined;
    const outside = wanted('outside') ? prepareOutside(ctx) : undefined;
    const rates: Record<string, number> = {};
    const loads: Record<string, string> = {};
    /** CPU time per record (µs): the ixvault server process's (all its threads), or this process's for bare inserts. */
    const cpu: Record<string, number> = {};
    const measure = async (key: string, fn: (store: StoreLocation) => Promise<Measured>) => {
      const before = load();
      const measured = await withStore(ctx, `ingest-${key}`, fn);
      rates[key] = measured.rate;
      if (measured.cpuUs !== undefined) cpu[key] = measured.cpuUs;
      loads[key] = `${before} → ${load()}`;
      const cpuNote = measured.cpuUs === undefined ? '' : `, ${measured.cpuUs.toFixed(0)} µs CPU a record`;
      ctx.log(`${key}: ${Math.round(rates[key] ?? 0)}/s${cpuNote} (load average ${loads[key]})`);
    };
    const cases: [IngestCase, Prepared | undefined][] = [
      ['harness-withoutMessages', harness?.variants.withoutMessages],
      ['harness-withMessages', harness?.variants.withMessages],
      ['outside', outside],
    ];
    for (const [name, prepared] of cases) {
      if (!prepared || !wanted(name)) continue;
      await measure(`bare-noindex-${name}`, (store) => bareInsert(store, prepared.rows, n, false));
      await measure(`bare-${name}`, (store) => bareInsert(store, prepared.rows, n, true));
      await measure(`bare-http-${name}`, (store) => bareHttpIngest(store, prepared, n));
      await measure(`http-${name}`, (store) => httpIngest(ctx, store, prepared.bodies, n));
      // SQLite: the same with batches written on the main thread (no batch writer thread), for the design's effect.
      if (ctx.options.backend === 'sqlite')
        await measure(`http-main-${name}`, (store) => httpIngest(ctx, store, prepared.bodies, n, { noBatchThread: true }));
    }
    if (harness && wanted('import')) {
      // Its baseline, when its own case did not run.
      if (!wanted('harness-withMessages'))
        await measure('bare-harness-withMessages', (store) => bareInsert(store, harness.variants.withMessages.rows, n, true));
      await measure('import', (store) => cliImport(ctx, store, harness.ndjson, n));
    }
    await ctx.backend.dropStore(scratch);

    const fig = (label: string, key: string): Figure => ({ label, value: rates[key] ?? 0, unit: 'interactions/s' });
    const rows: ResultRow[] = [];
    const httpTarget = ctx.options.backend === 'sqlite' ? 0.9 : 0.8;
    const mainThreadNote = (name: string): string => {
      const rate = rates[`http-main-${name}`];
      if (rate === undefined) return '';
      const ratio = rate / (rates[`bare-${name}`] ?? Number.NaN);
      return `batches on the main thread (no batch writer thread) ${Math.round(rate)}/s = ${ratio.toFixed(2)}×, ${cpuNote(cpu[`http-main-${name}`])} CPU a record; `;
    };
    // What any HTTP API of JSON records pays for the request and the parse on these cores, before its own work.
    const bareHttpNote = (name: string): string => {
      const rate = rates[`bare-http-${name}`] ?? Number.NaN;
      return `bare HTTP server (the same bodies parsed, the same rows written; no validation, no mapping) ${Math.round(rate)}/s = ${(rate / (rates[`bare-${name}`] ?? Number.NaN)).toFixed(2)}×, ${cpuNote(cpu[`bare-http-${name}`])} CPU a record; `;
    };
    const caseRow = (name: string, title: string, notes: string): void => {
      const bare = fig('bare inserts of the same rows (incl. full-text rows), in-process', `bare-${name}`);
      const noIndex = rates[`bare-noindex-${name}`] ?? 0;
      const http = fig('HTTP batch API, 1000 a request, 2 in flight', `http-${name}`);
      const ratio = rateRatio(http, bare);
      rows.push({
        workload: 'ingest',
        case: title,
        ixvault: http,
        baseline: bare,
        ratio,
        targets: [{ text: `≥ ${httpTarget}× bare inserts of the same rows`, met: (ratio ?? 0) >= httpTarget }],
        notes: `${notes}; bare without the full-text rows ${Math.round(noIndex)}/s; ${bareHttpNote(name)}${mainThreadNote(name)}CPU a record: ixvault server ${cpuNote(cpu[`http-${name}`])}, bare inserts ${cpuNote(cpu[`bare-${name}`])}${ctx.options.backend === 'postgres' ? ' (Node side only; PostgreSQL not counted)' : ''}; load average ${loads[`http-${name}`]}`,
      });
    };
    if (wanted('harness-withoutMessages'))
      caseRow('harness-withoutMessages', 'HTTP batches of 1000, harness shape, without messages', 'a subject on every record');
    if (wanted('harness-withMessages'))
      caseRow(
        'harness-withMessages',
        'HTTP batches of 1000, harness shape, with messages',
        'chats and SMS/Facebook sessions carry ~20 messages: ~5.6 message rows per interaction',
      );
    if (wanted('outside'))
      caseRow('outside', 'HTTP batches of 1000, outside shape (ids and guids made by ixvault)', 'no text: no full-text rows');
    if (!wanted('import')) return rows;
    const imp = fig('ixvault import (child process, incl. start-up)', 'import');
    const bareWith = fig('bare inserts of the same rows (incl. full-text rows), in-process', 'bare-harness-withMessages');
    const importRatio = rateRatio(imp, bareWith);
    rows.push({
      workload: 'ingest',
      case: 'ixvault import, ndjson with messages (harness shape)',
      ixvault: imp,
      baseline: bareWith,
      ratio: importRatio,
      targets: [{ text: '≥ 0.8× bare inserts of the same rows', met: (importRatio ?? 0) >= 0.8 }],
      notes: `load average ${loads.import}`,
    });
    return rows;
  },
};

/** A case's rate and, where measured, the CPU time per record in µs (of the process doing ixvault's or the bare work). */
interface Measured {
  rate: number;
  cpuUs?: number;
}

function cpuNote(us: number | undefined): string {
  return us === undefined ? '–' : `${us.toFixed(0)} µs`;
}

async function withStore<T>(ctx: Context, name: string, fn: (store: StoreLocation) => Promise<T>): Promise<T> {
  const store = await ctx.backend.createStore(name);
  try {
    return await fn(store);
  } finally {
    await ctx.backend.dropStore(store);
  }
}

async function bareInsert(store: StoreLocation, batches: RowSet[][], n: number, withIndex: boolean): Promise<Measured> {
  const writer: BulkWriter = store.databaseUrl
    ? await postgresWriter(store.databaseUrl)
    : sqliteWriter(store.sqliteFile, { cacheKiB: SQLITE_CACHE_KIB });
  const rows = withIndex ? batches : batches.map((batch) => batch.map(({ textDoc: _t, ...rest }) => rest));
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const batch of rows) await writer.write(batch);
    await writer.close();
    const rate = n / ((performance.now() - t0) / 1000);
    const used = process.cpuUsage(cpu0);
    return { rate, cpuUs: (used.user + used.system) / n };
  } catch (err) {
    await writer.close().catch(() => {});
    throw err;
  }
}

async function httpIngest(
  ctx: Context,
  store: StoreLocation,
  bodies: string[],
  n: number,
  options: { noBatchThread?: boolean } = {},
): Promise<Measured> {
  const server = await startServerProcess(
    {
      dataDir: store.dataDir,
      databaseUrl: store.databaseUrl,
      principalsFile: ctx.principalsFile,
      noBatchThread: options.noBatchThread === true,
    },
    { nodeFlags: profileFlags(ctx.options.cpuProf) },
  );
  try {
    const url = `${server.url}/api/v1/interactions:batch`;
    const headers = { authorization: basic(ADMIN), 'content-type': 'application/json' };
    // Authenticate once so the login's scrypt check is not in the figure.
    await fetch(`${server.url}/api/v1/interactions?limit=1`, { headers });
    const progress = new Progress('HTTP ingest', n);
    const measured = await postBatches(bodies, n, server.pid, () => url, headers, progress);
    progress.finish();
    return measured;
  } finally {
    await server.stop();
  }
}

/**
 * The same bodies, 2 in flight, to a bare node:http server that parses each and writes its batch's rows
 * (bench/bare-ingest-server.ts): what HTTP and JSON cost on these cores with nothing of ixvault.
 */
async function bareHttpIngest(store: StoreLocation, prepared: Prepared, n: number): Promise<Measured> {
  const rowsFile = join(store.dataDir, 'bare-rows.v8');
  writeFileSync(rowsFile, serialize(prepared.rows));
  const server = await startBareServer('bare-ingest-server.js', { IXVAULT_BENCH_BARE: JSON.stringify({ store, rowsFile }) });
  try {
    return await postBatches(prepared.bodies, n, server.pid, (k) => `${server.url}/${k}`, {});
  } finally {
    await server.stop();
  }
}

/** Sends the bodies, IN_FLIGHT at a time, each to its URL; the rate, and the server's CPU a record (from /proc). */
async function postBatches(
  bodies: string[],
  n: number,
  serverPid: number,
  urlOf: (k: number) => string,
  headers: Record<string, string>,
  progress?: Progress,
): Promise<Measured> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const k = next++;
      const res = await fetch(urlOf(k), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: bodies[k] as string,
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`batch: ${res.status} ${text.slice(0, 500)}`);
      progress?.tick(BATCH);
    }
  };
  const cpu0 = cpuMsOf(serverPid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const rate = n / ((performance.now() - t0) / 1000);
  return { rate, cpuUs: ((cpuMsOf(serverPid) - cpu0) * 1000) / n };
}

async function cliImport(ctx: Context, store: StoreLocation, file: string, n: number): Promise<Measured> {
  const bin = join(REPO_ROOT, 'bin', 'ixvault.js');
  // Compile the CLI first if needed, outside the clock.
  spawnSync(process.execPath, [bin, '--help'], { stdio: 'ignore' });
  const args = [bin, 'import', file, '--tenant', TENANT, '--data', store.dataDir, '--config', ctx.principalsFile];
  if (store.databaseUrl) args.push('--database-url', store.databaseUrl);
  const t0 = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (result.status !== 0) throw new Error(`ixvault import exited with ${result.status}: ${result.stdout}`);
  if (!result.stdout.includes(`imported ${n} interactions`)) throw new Error(`ixvault import: ${result.stdout}`);
  return { rate: n / seconds };
}
