/**
 * Workload 1: ingest. The same generated interactions (another seed than the
 * search dataset) are stored four ways, each into a fresh store:
 * - POST /api/v1/interactions:batch, 1000 records a request, two requests in
 *   flight (a bulk client keeps the server busy), without and with messages;
 * - `ixvault import FILE.ndjson` as a child process (records with messages);
 * - baseline: the same rows inserted by bare prepared statements in this
 *   process, 1000 interactions a transaction, indexes in place.
 * Request bodies, rows and the file are prepared before the clock starts.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Progress } from '../../src/cli/progress.js';
import type { StoreLocation } from '../lib/backend.js';
import { type BulkWriter, postgresWriter, sqliteWriter } from '../lib/bulk.js';
import type { Context, Workload } from '../lib/context.js';
import { generate, type RowSet, TENANT, toRows } from '../lib/dataset.js';
import { REPO_ROOT } from '../lib/paths.js';
import { ADMIN, basic } from '../lib/principals.js';
import { type Figure, type ResultRow, rateRatio } from '../lib/results.js';
import { profileFlags, startServerProcess } from '../lib/server-process.js';

const BATCH = 1000;
const IN_FLIGHT = 2;

interface Prepared {
  bodies: { withMessages: string[]; withoutMessages: string[] };
  rows: { withMessages: RowSet[][]; withoutMessages: RowSet[][] };
  ndjson: string;
}

function prepare(ctx: Context, dir: string): Prepared {
  const progress = new Progress('preparing ingest data', ctx.options.ingestCount);
  const prepared: Prepared = {
    bodies: { withMessages: [], withoutMessages: [] },
    rows: { withMessages: [], withoutMessages: [] },
    ndjson: join(dir, 'ingest.ndjson'),
  };
  const lines: string[] = [];
  let records: Record<string, unknown>[] = [];
  let withRows: RowSet[] = [];
  let withoutRows: RowSet[] = [];
  const nowMs = Date.now();
  const flush = () => {
    prepared.bodies.withMessages.push(JSON.stringify({ records }));
    prepared.bodies.withoutMessages.push(JSON.stringify({ records: records.map(({ messages: _m, ...rest }) => rest) }));
    prepared.rows.withMessages.push(withRows);
    prepared.rows.withoutMessages.push(withoutRows);
    progress.tick(records.length);
    records = [];
    withRows = [];
    withoutRows = [];
  };
  for (const g of generate(ctx.options.seed + 1, ctx.options.ingestCount)) {
    records.push(g.record);
    lines.push(JSON.stringify(g.record));
    // Content items arrive later through uploads; a freshly ingested record has none.
    withRows.push({ ...toRows(g, nowMs, true), content: [] });
    withoutRows.push({ ...toRows(g, nowMs, false), content: [] });
    if (records.length >= BATCH) flush();
  }
  if (records.length > 0) flush();
  progress.finish();
  writeFileSync(prepared.ndjson, `${lines.join('\n')}\n`);
  return prepared;
}

export const ingest: Workload = {
  name: 'ingest',
  description: 'Ingest: native batch API over HTTP (with/without messages), ixvault import; baseline bare prepared INSERTs',
  async run(ctx) {
    const n = ctx.options.ingestCount;
    const scratch = await ctx.backend.createStore('ingest-scratch');
    const prepared = prepare(ctx, scratch.dataDir);
    const rates: Record<string, number> = {};
    for (const variant of ['withoutMessages', 'withMessages'] as const) {
      rates[`bare-${variant}`] = await withStore(ctx, `ingest-bare-${variant}`, (store) =>
        bareInsert(store, prepared.rows[variant], n),
      );
      rates[`http-${variant}`] = await withStore(ctx, `ingest-http-${variant}`, (store) =>
        httpIngest(ctx, store, prepared.bodies[variant], n),
      );
      ctx.log(
        `ingest ${variant}: bare ${Math.round(rates[`bare-${variant}`] ?? 0)}/s, HTTP ${Math.round(rates[`http-${variant}`] ?? 0)}/s`,
      );
    }
    rates.import = await withStore(ctx, 'ingest-import', (store) => cliImport(store, prepared.ndjson, n));
    await ctx.backend.dropStore(scratch);

    const fig = (label: string, key: string): Figure => ({ label, value: rates[key] ?? 0, unit: 'interactions/s' });
    const rows: ResultRow[] = [];
    const bareWithout = fig('bare prepared INSERTs, in-process', 'bare-withoutMessages');
    const httpWithout = fig('HTTP batch API', 'http-withoutMessages');
    const ratio = rateRatio(httpWithout, bareWithout);
    rows.push({
      workload: 'ingest',
      case: 'HTTP batches of 1000, without messages',
      ixvault: httpWithout,
      baseline: bareWithout,
      ratio,
      targets: [
        { text: '≥ 20 000 interactions/s', met: (httpWithout.value ?? 0) >= 20_000 },
        { text: '≥ 50 % of bare inserts', met: (ratio ?? 0) >= 0.5 },
      ],
    });
    const bareWith = fig('bare prepared INSERTs, in-process', 'bare-withMessages');
    const httpWith = fig('HTTP batch API', 'http-withMessages');
    const notes = 'chats and SMS/Facebook sessions carry ~20 messages: ~5.6 message rows per interaction';
    rows.push({
      workload: 'ingest',
      case: 'HTTP batches of 1000, with messages',
      ixvault: httpWith,
      baseline: bareWith,
      ratio: rateRatio(httpWith, bareWith),
      notes,
    });
    const imp = fig('ixvault import (child process, incl. start-up)', 'import');
    rows.push({
      workload: 'ingest',
      case: 'ixvault import, ndjson with messages',
      ixvault: imp,
      baseline: bareWith,
      ratio: rateRatio(imp, bareWith),
    });
    return rows;
  },
};

async function withStore(ctx: Context, name: string, fn: (store: StoreLocation) => Promise<number>): Promise<number> {
  const store = await ctx.backend.createStore(name);
  try {
    return await fn(store);
  } finally {
    await ctx.backend.dropStore(store);
  }
}

async function bareInsert(store: StoreLocation, batches: RowSet[][], n: number): Promise<number> {
  const writer: BulkWriter = store.databaseUrl ? await postgresWriter(store.databaseUrl) : sqliteWriter(store.sqliteFile);
  try {
    const t0 = performance.now();
    for (const batch of batches) await writer.write(batch);
    await writer.close();
    return n / ((performance.now() - t0) / 1000);
  } catch (err) {
    await writer.close().catch(() => {});
    throw err;
  }
}

async function httpIngest(ctx: Context, store: StoreLocation, bodies: string[], n: number): Promise<number> {
  const server = await startServerProcess(
    {
      dataDir: store.dataDir,
      databaseUrl: store.databaseUrl,
      principalsFile: ctx.principalsFile,
    },
    { nodeFlags: profileFlags(ctx.options.cpuProf) },
  );
  try {
    const url = `${server.url}/api/v1/interactions:batch`;
    const headers = { authorization: basic(ADMIN), 'content-type': 'application/json' };
    // Authenticate once so the login's scrypt check is not in the figure.
    await fetch(`${server.url}/api/v1/interactions?limit=1`, { headers });
    const progress = new Progress('HTTP ingest', n);
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const res = await fetch(url, { method: 'POST', headers, body });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`batch: ${res.status} ${text.slice(0, 500)}`);
        progress.tick(BATCH);
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const rate = n / ((performance.now() - t0) / 1000);
    progress.finish();
    return rate;
  } finally {
    await server.stop();
  }
}

async function cliImport(store: StoreLocation, file: string, n: number): Promise<number> {
  const bin = join(REPO_ROOT, 'bin', 'ixvault.js');
  // Compile the CLI first if needed, outside the clock.
  spawnSync(process.execPath, [bin, '--help'], { stdio: 'ignore' });
  const args = [bin, 'import', file, '--tenant', TENANT, '--data', store.dataDir];
  if (store.databaseUrl) args.push('--database-url', store.databaseUrl);
  const t0 = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (result.status !== 0) throw new Error(`ixvault import exited with ${result.status}: ${result.stdout}`);
  if (!result.stdout.includes(`imported ${n} interactions`)) throw new Error(`ixvault import: ${result.stdout}`);
  return n / seconds;
}
