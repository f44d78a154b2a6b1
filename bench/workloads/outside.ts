/**
 * Issue 15's "outside" measurement, reproduced as a workload
 * (`npm run bench -- --only outside [--outside 200000] [--reuse]`): a client
 * that knows ixvault only by its HTTP APIs, on an empty store.
 *
 * 1. N interactions over one year (2025), calls, chats and emails in turn,
 *    each with an id, a guid ixvault generates, one owner who is the one
 *    handling agent out of 50, two custom attributes and a random 11-digit
 *    connectFrom; POST /api/v1/interactions:batch, 1000 a request, two in flight.
 * 2. A 2 KB callRecording on every fifth interaction, PUT through the native
 *    API, four in flight.
 * 3. 400 Vonage searches of a random 7-day window with limit=100 and 100 with
 *    limit=1000, each read whole by `fetch`, one at a time; beside each, the
 *    very same response bytes from a bare node:http server in its own process
 *    (bench/static-bytes-server.ts), interleaved in rounds.
 *
 * With --reuse (SQLite) the ingested store is kept in --work-dir and steps 1–2
 * are skipped on the next run; their figures are then those of the run that
 * built the store (said in the notes).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Progress } from '../../src/cli/progress.js';
import { Random } from '../../src/demo/random.js';
import { type Principal, SCOPES } from '../../src/domain/principal.js';
import type { InteractionSearch } from '../../src/domain/search.js';
import type { StoreLocation } from '../lib/backend.js';
import type { Context, Workload } from '../lib/context.js';
import { openDatasetRuntime } from '../lib/dataset-runtime.js';
import { bearerToken, clientName, getBytes } from '../lib/http.js';
import { CLIENT } from '../lib/principals.js';
import type { Figure, ResultRow } from '../lib/results.js';
import { profileFlags, type ServerProcess, startServerProcess } from '../lib/server-process.js';
import { cpuMsOf, cpuRow, loadAverage, ms, putResponses, startStaticBytes, staticBytesRow } from '../lib/static-bytes.js';
import { type Latency, measureInterleaved } from '../lib/stats.js';
import { vonageUrl } from './vonage-search.js';

const YEAR_START_MS = Date.parse('2025-01-01T00:00:00Z');
const YEAR_MS = 365 * 24 * 3600_000;
const WEEK_MS = 7 * 24 * 3600_000;
const BATCH = 1000;
const BATCHES_IN_FLIGHT = 2;
const UPLOADS_IN_FLIGHT = 4;
const RECORDING_BYTES = 2048;
const AGENTS = 50;
const MEDIA = ['call', 'chat', 'email'] as const;
const VONAGE_ACCEPT = 'application/vnd.newvoicemedia.v3+json';
const PAGES: { limit: number; count: number }[] = [
  { limit: 100, count: 400 },
  { limit: 1000, count: 100 },
];

interface WriteFigures {
  ingestPerSecond: number;
  uploadsPerSecond: number;
  interactions: number;
  uploads: number;
  builtAt: string;
}

/** The i-th interaction of the shape (deterministic for a seed). */
export function outsideRecord(i: number, n: number, random: Random): Record<string, unknown> {
  const agent = `agent-${random.int(1, AGENTS)}`;
  let connectFrom = String(random.int(1, 9));
  for (let k = 0; k < 10; k++) connectFrom += String(random.int(0, 9));
  return {
    id: `out-${i}`,
    mediaType: MEDIA[i % MEDIA.length],
    typeId: 'Inbound',
    startDate: new Date(YEAR_START_MS + Math.floor((i * YEAR_MS) / n)).toISOString(),
    ownerInformation: { id: agent },
    handlingAgents: [{ id: agent }],
    customAttributes: { Queue: `queue-${random.int(1, 20)}`, CustomerId: `customer-${random.int(1, 1_000_000)}` },
    connectFrom,
  };
}

export const outside: Workload = {
  name: 'outside',
  description:
    "issue 15's outside shape on an empty store: --outside interactions over a year ingested over HTTP, 2 KB recordings on every fifth, 400 pages of 100 and 100 of 1000 beside the same bytes from a bare server",
  needsDataset: false,
  async run(ctx) {
    const n = ctx.options.outsideCount;
    const name = `outside-${ctx.options.backend}-${n}-${ctx.options.seed}`;
    const marker = join(ctx.options.workDir, name, 'outside.json');
    const reusable = ctx.options.reuse && ctx.options.backend === 'sqlite' && existsSync(marker);
    const store: StoreLocation = reusable
      ? { name, dataDir: join(ctx.options.workDir, name), sqliteFile: join(ctx.options.workDir, name, 'ixvault.db') }
      : await ctx.backend.createStore(name);
    const server = await startServerProcess(
      { dataDir: store.dataDir, databaseUrl: store.databaseUrl, principalsFile: ctx.principalsFile },
      { nodeFlags: profileFlags(ctx.options.cpuProf) },
    );
    ctx.log(`outside: server pid ${server.pid} on ${server.url}${reusable ? ` (reusing ${store.dataDir})` : ''}`);
    try {
      const authorization = await bearerToken(server.url);
      let writes: WriteFigures;
      if (reusable) writes = JSON.parse(readFileSync(marker, 'utf8')) as WriteFigures;
      else {
        writes = await ingestAndUpload(ctx, server, authorization, n);
        if (ctx.options.backend === 'sqlite') writeFileSync(marker, JSON.stringify(writes));
      }
      const rows = writeRows(writes, reusable);
      const { runtime, tenant } = await openDatasetRuntime(ctx, store);
      try {
        const principal: Principal = { kind: 'client', tenant, id: CLIENT.clientId, scopes: new Set(SCOPES) };
        rows.push(...(await pages(ctx, server, authorization, (q) => runtime.vault.vonagePage(principal, q))));
      } finally {
        await runtime.close();
      }
      return rows;
    } finally {
      await server.stop();
      if (!ctx.options.reuse) await ctx.backend.dropStore(store);
    }
  },
};

async function ingestAndUpload(ctx: Context, server: ServerProcess, authorization: string, n: number): Promise<WriteFigures> {
  const random = new Random(ctx.options.seed);
  const bodies: string[] = [];
  for (let start = 0; start < n; start += BATCH) {
    const records = [];
    for (let i = start; i < Math.min(n, start + BATCH); i++) records.push(outsideRecord(i, n, random));
    bodies.push(JSON.stringify({ records }));
  }
  const headers = { authorization, 'content-type': 'application/json' };
  const ingestProgress = new Progress('outside: HTTP ingest', n);
  const ids: string[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: BATCHES_IN_FLIGHT }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const res = await fetch(`${server.url}/api/v1/interactions:batch`, { method: 'POST', headers, body });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`batch: ${res.status} ${text.slice(0, 500)}`);
        ingestProgress.tick(BATCH);
      }
    }),
  );
  const ingestPerSecond = n / ((performance.now() - t0) / 1000);
  ingestProgress.finish();
  for (let i = 0; i < n; i += 5) ids.push(`out-${i}`);

  const recording = new Uint8Array(RECORDING_BYTES).map((_, k) => (k * 31 + 7) & 0xff);
  const uploadProgress = new Progress('outside: recordings', ids.length);
  let u = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: UPLOADS_IN_FLIGHT }, async () => {
      while (u < ids.length) {
        const id = ids[u++] as string;
        const res = await fetch(`${server.url}/api/v1/interactions/${id}/content/callRecording`, {
          method: 'PUT',
          headers: { authorization, 'content-type': 'audio/wav' },
          body: recording,
        });
        const text = await res.text();
        if (res.status !== 201) throw new Error(`upload ${id}: ${res.status} ${text.slice(0, 300)}`);
        uploadProgress.tick(1);
      }
    }),
  );
  const uploadsPerSecond = ids.length / ((performance.now() - t1) / 1000);
  uploadProgress.finish();
  ctx.log(`outside: ingest ${Math.round(ingestPerSecond)}/s, uploads ${Math.round(uploadsPerSecond)}/s`);
  return { ingestPerSecond, uploadsPerSecond, interactions: n, uploads: ids.length, builtAt: new Date().toISOString() };
}

function writeRows(w: WriteFigures, reused: boolean): ResultRow[] {
  const when = reused ? `from the run that built the store (${w.builtAt})` : loadAverage();
  const rate = (label: string, value: number, unit: string): Figure => ({ label, value, unit });
  return [
    {
      workload: 'outside',
      case: `ingest over HTTP, ${w.interactions} interactions, batches of ${BATCH}, ${BATCHES_IN_FLIGHT} in flight`,
      ixvault: rate('HTTP batch API', w.ingestPerSecond, 'interactions/s'),
      notes: `issue 15 measured 4 529/s; ${when}`,
    },
    {
      workload: 'outside',
      case: `2 KB callRecording uploads, ${w.uploads}, ${UPLOADS_IN_FLIGHT} in flight`,
      ixvault: rate('native PUT …/content', w.uploadsPerSecond, 'uploads/s'),
      notes: `issue 15 measured 282/s; ${when}`,
    },
  ];
}

async function pages(
  ctx: Context,
  server: ServerProcess,
  authorization: string,
  inProcess: (q: InteractionSearch) => Promise<unknown>,
): Promise<ResultRow[]> {
  const staticBytes = await startStaticBytes();
  const headers = { authorization, accept: VONAGE_ACCEPT };
  const rows: ResultRow[] = [];
  try {
    for (const { limit, count } of PAGES) {
      // The same random windows on every run of a seed.
      const random = new Random(ctx.options.seed * 1000 + limit);
      const starts = Array.from({ length: count }, () => YEAR_START_MS + Math.floor(random.next() * (YEAR_MS - WEEK_MS)));
      const queryOf = (i: number): InteractionSearch => {
        const fromMs = starts[i % count] as number;
        return { source: 'main', order: 'asc', limit, withContentOnly: true, fromMs, toMs: fromMs + WEEK_MS };
      };
      const urlOf = (i: number) => vonageUrl(`${server.url}/interaction-content/interactions`, queryOf(i));
      const caseName = `page of ${limit}, random 7-day window`;
      ctx.log(`outside: ${count} × ${caseName}`);
      const bytes = await putResponses(staticBytes, caseName, count, urlOf, headers);
      const items = await itemsOf(urlOf(0), headers);
      const cpu0 = { api: cpuMsOf(server.pid), bare: cpuMsOf(staticBytes.pid) };
      const result = (await measureInterleaved(
        {
          api: (i) => getBytes(urlOf(i), headers),
          static: (i) => staticBytes.get(`${caseName}/${i % count}`),
          store: (i) => inProcess(queryOf(i)),
        },
        { rounds: 10, perRound: count / 10 },
      )) as Record<'api' | 'static' | 'store', Latency>;
      // Each side's requests: the warm-up's 10 and the measured ones.
      const served = 10 + count;
      rows.push(
        cpuRow(
          'outside',
          caseName,
          { ms: cpuMsOf(server.pid) - cpu0.api, n: served },
          { ms: cpuMsOf(staticBytes.pid) - cpu0.bare, n: served },
        ),
      );
      rows.push({
        workload: 'outside',
        case: `${caseName} (store: Vault.vonagePage in-process)`,
        ixvault: ms('Vault.vonagePage, in-process', result.store),
        notes: 'the API figure less this is HTTP, Fastify and the route',
      });
      const row = staticBytesRow('outside', caseName, limit, ms(`HTTP API, ${clientName()}`, result.api), result.static, bytes);
      row.notes = `${row.notes}; first window's page holds ${items} items`;
      rows.push(row);
    }
  } finally {
    await staticBytes.stop();
  }
  return rows;
}

async function itemsOf(url: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, { headers });
  return ((await res.json()) as { items: unknown[] }).items.length;
}
