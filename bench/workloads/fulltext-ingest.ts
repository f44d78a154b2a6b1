/**
 * Workload `fulltext-ingest` (issue 13): ingest with the full-text index
 * against the same ingest with index writes switched off, through the
 * production path: the native batch API over HTTP (POST
 * /api/v1/interactions:batch, 500 records a request, 2 in flight), each side
 * its own server process in the default configuration on its own fresh
 * store, rounds of 4 batches alternated between them. The baseline neither
 * writes the index nor makes the documents (bench/lib/no-text-index.ts).
 * Records: the first `--ingest` of the text dataset (bench/lib/text-dataset.ts:
 * chats of 16 messages, emails, calls; the calls' transcripts are content
 * uploads and are not part of this figure). Besides the rates, each server's
 * own CPU time per interaction from /proc (the figure load distorts least),
 * split by thread, the client's, and on PostgreSQL its database backends'
 * (found in pg_stat_activity).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import type { InteractionInput } from '../../src/domain/validate.js';
import type { Workload } from '../lib/context.js';
import { ADMIN, basic } from '../lib/principals.js';
import { type Figure, type ResultRow, rateRatio } from '../lib/results.js';
import { type ServerProcess, startServerProcess } from '../lib/server-process.js';
import { textRecord, Vocabulary } from '../lib/text-dataset.js';
import { countRows, indexSize, textRuntime } from './fulltext.js';

const BATCH = 500;
/** Requests in flight (as bench/workloads/ingest.ts), and batches a side gets before the other's turn. */
const IN_FLIGHT = 2;
const ROUND = 4;

/** A record of the text dataset as the native API takes it. */
function apiRecord(input: InteractionInput): Record<string, unknown> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: input.id,
    mediaType: input.mediaType,
    typeId: input.typeId,
    state: input.state,
    startDate: iso(input.startMs),
    ...(input.endMs !== undefined ? { endDate: iso(input.endMs) } : {}),
    ...(input.subject !== undefined ? { subject: input.subject } : {}),
    ...(input.comment !== undefined ? { comment: input.comment } : {}),
    ownerInformation: { id: input.owner?.id },
    handlingAgents: input.handlingAgentIds.map((id) => ({ id })),
    ...(input.messages
      ? {
          messages: input.messages.map((m) => ({
            index: m.index,
            from: m.from,
            text: m.text,
            visibility: m.visibility,
            ...(m.timestampMs !== undefined ? { timestamp: iso(m.timestampMs) } : {}),
            type: m.type,
          })),
        }
      : {}),
  };
}

/** A process's (or, with `tid`, one of its threads') CPU time so far (user + system), in ms, from /proc. */
function cpuMs(pid: number, tid?: number): number {
  const file = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const fields = readFileSync(file, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU ms of each thread of a process (thread id → ms), from /proc. */
function threadCpuMs(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    try {
      out.set(tid, cpuMs(pid, tid));
    } catch {
      // a thread that has gone
    }
  }
  return out;
}

export const fulltextIngest: Workload = {
  name: 'fulltext-ingest',
  description:
    'Full-text ingest over HTTP: native batch API, 500 a request, text dataset (--ingest records), a server with the index against one with index writes off, batches alternated; server CPU per interaction',
  needsDataset: false,
  async run(ctx) {
    const n = ctx.options.ingestCount;
    const vocabulary = new Vocabulary(ctx.options.seed);
    const bodies: string[] = [];
    for (let from = 0; from < n; from += BATCH)
      bodies.push(
        JSON.stringify({
          records: Array.from({ length: Math.min(BATCH, n - from) }, (_, k) =>
            apiRecord(textRecord(vocabulary, ctx.options.seed, from + k).input),
          ),
        }),
      );
    const sides = ['indexed', 'plain'] as const;
    const servers: Partial<Record<(typeof sides)[number], ServerProcess>> = {};
    const databaseUrls: Partial<Record<(typeof sides)[number], string>> = {};
    const stores: Partial<Record<(typeof sides)[number], { dataDir: string; databaseUrl?: string | undefined }>> = {};
    try {
      for (const side of sides) {
        const store = await ctx.backend.createStore(`fulltext-http-${side}`);
        if (store.databaseUrl) databaseUrls[side] = store.databaseUrl;
        stores[side] = store;
        servers[side] = await startServerProcess({
          dataDir: store.dataDir,
          databaseUrl: store.databaseUrl,
          principalsFile: ctx.principalsFile,
          // The default configuration (on SQLite, batches written on the batch writer thread); index writes off
          // reach that thread too (bench/lib/no-text-index.ts), and the stores are counted after the run.
          ...(side === 'plain' ? { textIndex: false } : {}),
        });
      }
      const headers = { authorization: basic(ADMIN), 'content-type': 'application/json' };
      const spent = { indexed: 0, plain: 0 };
      /** The bench's own CPU (the client: sending the bodies, reading the answers) in each side's rounds, ms. */
      const client = { indexed: 0, plain: 0 };
      const cpu = { indexed: 0, plain: 0 };
      for (const side of sides) await fetch(`${servers[side]?.url}/api/v1/interactions?limit=1`, { headers });
      // PostgreSQL: each server's database backends (its pool's connections), whose CPU is the index's other half.
      const backends = { indexed: [] as number[], plain: [] as number[] };
      for (const side of sides) {
        const url = databaseUrls[side];
        if (!url) continue;
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const db = new URL(url).pathname.slice(1);
          const { rows } = await client.query<{ pid: number }>(
            'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [db],
          );
          backends[side] = rows.map((r) => r.pid);
        } finally {
          await client.end();
        }
      }
      const databaseCpu = (side: (typeof sides)[number]) =>
        backends[side].reduce((sum, pid) => {
          try {
            return sum + cpuMs(pid);
          } catch {
            return sum; // a backend that has gone
          }
        }, 0);
      const dbCpu = { indexed: 0, plain: 0 };
      /** Per thread of each server: CPU ms spent in that side's rounds (which thread bounds the rate). */
      const threads = { indexed: new Map<number, number>(), plain: new Map<number, number>() };
      ctx.log(`fulltext-ingest: ${n} interactions over HTTP into each server, ${BATCH} a request, alternated`);
      // Alternated a round of ROUND batches at a time, IN_FLIGHT requests in flight as the ingest workload sends
      // them: one request's parse overlaps another's write (on SQLite's batch writer thread by default).
      for (let from = 0; from < bodies.length; from += ROUND)
        for (const side of sides) {
          const server = servers[side] as ServerProcess;
          const round = bodies.slice(from, from + ROUND);
          const c0 = cpuMs(server.pid);
          const t0s = threadCpuMs(server.pid);
          const d0 = databaseCpu(side);
          const t0 = performance.now();
          const own0 = process.cpuUsage();
          let next = 0;
          const send = async () => {
            for (let body = round[next++]; body !== undefined; body = round[next++]) {
              const res = await fetch(`${server.url}/api/v1/interactions:batch`, { method: 'POST', headers, body });
              const text = await res.text();
              if (res.status !== 200) throw new Error(`batch (${side}): ${res.status} ${text.slice(0, 300)}`);
            }
          };
          await Promise.all(Array.from({ length: IN_FLIGHT }, send));
          spent[side] += performance.now() - t0;
          const own = process.cpuUsage(own0);
          client[side] += (own.user + own.system) / 1000;
          cpu[side] += cpuMs(server.pid) - c0;
          for (const [tid, ms] of threadCpuMs(server.pid))
            threads[side].set(tid, (threads[side].get(tid) ?? 0) + ms - (t0s.get(tid) ?? 0));
          dbCpu[side] += databaseCpu(side) - d0;
        }
      const withIndex: Figure = { label: 'with index', value: n / (spent.indexed / 1000), unit: 'interactions/s' };
      const without: Figure = { label: 'index writes off', value: n / (spent.plain / 1000), unit: 'interactions/s' };
      const ratio = rateRatio(withIndex, without);
      const row: ResultRow = {
        workload: 'fulltext-ingest',
        case: `ingest over HTTP (native batch API, ${BATCH} a request, ${IN_FLIGHT} in flight), chats with 16 messages, emails, calls`,
        ixvault: withIndex,
        baseline: without,
        ...(ratio !== undefined ? { ratio } : {}),
        targets: [{ text: 'with index ≥ 0.8 × without', met: (ratio ?? 0) >= 0.8 }],
        notes: `server CPU per interaction ${((cpu.indexed * 1000) / n).toFixed(0)} µs with the index, ${((cpu.plain * 1000) / n).toFixed(0)} µs without (the server process, from /proc)${
          databaseUrls.indexed
            ? `; PostgreSQL backends ${((dbCpu.indexed * 1000) / n).toFixed(0)} µs with, ${((dbCpu.plain * 1000) / n).toFixed(0)} µs without`
            : ''
        }; the client ${((client.indexed * 1000) / n).toFixed(0)} / ${((client.plain * 1000) / n).toFixed(0)} µs; ${sides.map((side) => `${side === 'indexed' ? 'with the index' : 'without'}: ${threadSplit(threads[side], servers[side]?.pid ?? 0, n, spent[side])}`).join('; ')}; load average ${loadavg()[0]?.toFixed(1)}`,
      };
      for (const side of sides) await servers[side]?.stop();
      return [row, ...(await checkStores(stores, n))];
    } finally {
      for (const side of sides) await servers[side]?.stop();
    }
  },
};

/**
 * A server's CPU by thread, per interaction and as a share of the side's wall time: the main thread (parse,
 * validation, rows), the busiest other one (SQLite's batch writer thread), and the rest (GC helpers, libuv).
 */
function threadSplit(threads: Map<number, number>, pid: number, n: number, wallMs: number): string {
  const main = threads.get(pid) ?? 0;
  const others = [...threads].filter(([tid]) => tid !== pid).map(([, ms]) => ms);
  const busiest = Math.max(0, ...others);
  const rest = others.reduce((a, b) => a + b, 0) - busiest;
  const figure = (ms: number) => `${((ms * 1000) / n).toFixed(0)} µs (${((100 * ms) / wallMs).toFixed(0)} % busy)`;
  return `main thread ${figure(main)}, busiest other thread ${figure(busiest)}, the rest ${((rest * 1000) / n).toFixed(0)} µs`;
}

/**
 * After the run: the indexed store holds a document for every interaction and the baseline's none (the switch
 * reached every thread that wrote), and the index's size per message of the indexed store.
 */
async function checkStores(
  stores: Partial<Record<'indexed' | 'plain', { dataDir: string; databaseUrl?: string | undefined }>>,
  n: number,
): Promise<ResultRow[]> {
  const counts: Record<string, number> = {};
  let sizes: ResultRow[] = [];
  for (const side of ['indexed', 'plain'] as const) {
    const store = stores[side];
    if (!store) continue;
    const runtime = await textRuntime(store);
    try {
      counts[side] = await countRows(runtime, 'text_docs');
      if (side === 'indexed') sizes = await indexSize(runtime, await countRows(runtime, 'messages'), n);
    } finally {
      await runtime.close();
    }
  }
  if (counts.indexed !== n || counts.plain !== 0)
    throw new Error(
      `index documents after the run: ${counts.indexed} with the index (want ${n}), ${counts.plain} without (want 0)`,
    );
  return sizes.map((r) => ({ ...r, workload: 'fulltext-ingest' }));
}
