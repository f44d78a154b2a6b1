/**
 * Workload: small uploads (issue 15 item 4). The outside shape: a 2 KB
 * `callRecording` PUT to every fifth of 5×n interactions, four uploads in
 * flight. Two baselines, interleaved with it in rounds in the same run, on
 * the same disk and database engine, with the same four in flight:
 * - the bare durable loop (the target's baseline), in this process: write the
 *   bytes to a temporary file, fsync it, rename it to its hash, fsync the
 *   folder, insert one row in a committed transaction that is durable (SQLite
 *   in WAL mode with synchronous=FULL; PostgreSQL with fsync and
 *   synchronous_commit on: this workload starts its own durable cluster, the
 *   other workloads' cluster runs with fsync off);
 * - the same loop behind a bare node:http server in its own process
 *   (bench/bare-upload-server.ts): what HTTP and a second process cost on this
 *   machine, nothing of ixvault.
 * Reported beside each: latency per upload, CPU per upload (server from /proc,
 * client from this process) and the load average.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { openBackend } from '../lib/backend.js';
import { openBareLoop } from '../lib/bare-durable.js';
import { startBareServer } from '../lib/bare-server.js';
import type { Workload } from '../lib/context.js';
import { ADMIN, basic } from '../lib/principals.js';
import { type Figure, type ResultRow, rateRatio } from '../lib/results.js';
import { profileFlags, startServerProcess } from '../lib/server-process.js';
import { summarize } from '../lib/stats.js';

const SIZE = 2048;
const IN_FLIGHT = 4;
const SEED_BATCH = 1000;
const ROUNDS = 8;
const WARMUP = 100;

export const uploads: Workload = {
  name: 'uploads',
  description: `Small uploads: ${SIZE} B callRecording on every fifth interaction, ${IN_FLIGHT} in flight (--uploads); baselines a bare durable loop (temp file, fsync, rename, folder fsync, one-row durable commit) in process and behind a bare HTTP server, interleaved`,
  needsDataset: false,
  async run(ctx) {
    const count = ctx.options.uploadCount;
    // PostgreSQL: a cluster of its own that flushes commits, for ixvault and the baselines alike.
    const backend =
      ctx.options.backend === 'postgres'
        ? await openBackend('postgres', ctx.options.workDir, ctx.log, { durable: true })
        : ctx.backend;
    const load0 = loadavg();
    const stores = [
      await backend.createStore('uploads'),
      await backend.createStore('uploads-bare'),
      await backend.createStore('uploads-bare-http'),
    ] as const;
    const [store, bareStore, bareHttpStore] = stores;
    const server = await startServerProcess(
      { dataDir: store.dataDir, databaseUrl: store.databaseUrl, principalsFile: ctx.principalsFile },
      { nodeFlags: profileFlags(ctx.options.cpuProf) },
    );
    const bare = await openBareLoop(bareStore, IN_FLIGHT);
    const bareHttp = await startBareServer('bare-upload-server.js', {
      IXVAULT_BENCH_BARE: JSON.stringify({ dataDir: bareHttpStore.dataDir, databaseUrl: bareHttpStore.databaseUrl }),
      IXVAULT_BENCH_IN_FLIGHT: String(IN_FLIGHT),
    });
    try {
      const headers = { authorization: basic(ADMIN) };
      const interactions = count * 5;
      ctx.log(`uploads: seeding ${interactions} interactions`);
      await seed(server.url, headers, interactions);
      const body = (i: number) => {
        const bytes = Buffer.alloc(SIZE, i % 251);
        bytes.writeUInt32BE(i, 0);
        return bytes;
      };
      const put = async (url: string, bytes: Buffer, extra: Record<string, string> = {}) => {
        const res = await fetch(url, { method: 'PUT', headers: { ...extra, 'content-type': 'audio/wav' }, body: bytes });
        const text = await res.text();
        if (res.status !== 201) throw new Error(`upload ${url}: ${res.status} ${text}`);
      };
      // Upload i goes to interaction 5i (every fifth); warm-up uploads use other keys of the first ones.
      const ixvaultUrl = (i: number, warm: boolean) =>
        warm
          ? `${server.url}/api/v1/interactions/${interactionId(5 * (i % 50))}/content/warmup${i}?type=callRecording`
          : `${server.url}/api/v1/interactions/${interactionId(5 * i)}/content/callRecording`;
      const sides = {
        ixvault: (i: number, warm = false) => put(ixvaultUrl(i, warm), body(i), headers),
        bareHttp: (i: number) => put(`${bareHttp.url}/${i}`, body(i)),
        bare: (i: number) => bare.upload(i, body(i)),
      };
      type Side = keyof typeof sides;
      const names = Object.keys(sides) as Side[];
      ctx.log(`uploads: warming up (${WARMUP} each)`);
      await inFlight(WARMUP, (i) => sides.ixvault(count + i, true));
      await inFlight(WARMUP, (i) => sides.bareHttp(count + i));
      await inFlight(WARMUP, (i) => sides.bare(count + i));

      const per = Math.ceil(count / ROUNDS);
      const spent = { ixvault: 0, bareHttp: 0, bare: 0 };
      const latency = { ixvault: [] as number[], bareHttp: [] as number[], bare: [] as number[] };
      // CPU time (ms) used during each side's turns: its server's (if any) and this process's (the HTTP client, or the bare loop).
      const cpu = { ixvault: { server: 0, own: 0 }, bareHttp: { server: 0, own: 0 }, bare: { server: 0, own: 0 } };
      // The whole machine's busy CPU time (ms) during each side's turns: the database's share is the rest of it.
      const machine = { ixvault: 0, bareHttp: 0, bare: 0 };
      const serverPid = { ixvault: server.pid, bareHttp: bareHttp.pid, bare: 0 };
      for (let round = 0, from = 0; from < count; round++, from += per) {
        const n = Math.min(per, count - from);
        // Rotate which goes first, so none always follows another's writeback.
        const order = names.map((_, k) => names[(k + round) % names.length] as Side);
        for (const side of order) {
          const t0 = performance.now();
          const server0 = processCpuMs(serverPid[side]);
          const own0 = process.cpuUsage();
          const machine0 = machineBusyMs();
          await inFlight(n, async (k) => {
            const s0 = performance.now();
            await sides[side](from + k);
            latency[side].push(performance.now() - s0);
          });
          spent[side] += performance.now() - t0;
          const own = process.cpuUsage(own0);
          cpu[side].own += (own.user + own.system) / 1000;
          cpu[side].server += processCpuMs(serverPid[side]) - server0;
          machine[side] += machineBusyMs() - machine0;
        }
        ctx.log(`uploads: round ${round + 1}, ${from + n}/${count} each`);
      }
      const load1 = loadavg();
      const rate = (side: Side, label: string): Figure => ({ label, value: count / (spent[side] / 1000), unit: 'uploads/s' });
      const ix = rate('ixvault', 'PUT …/content/callRecording');
      const base = rate('bare', 'bare durable loop');
      const baseHttp = rate('bareHttp', 'bare node:http server + the same loop');
      const describe = (side: Side) => {
        const l = summarize(latency[side]);
        const c = cpu[side];
        const cpuText =
          side === 'bare'
            ? `${(c.own / count).toFixed(2)} ms`
            : `${(c.server / count).toFixed(2)} ms server + ${(c.own / count).toFixed(2)} ms client`;
        const rest = (machine[side] - c.server - c.own) / count;
        return `${side}: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, CPU ${cpuText} + ${rest.toFixed(2)} ms the rest of the machine (the database, the kernel's threads) per upload`;
      };
      const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
      const notes = `${names.map(describe).join('; ')}; load average ${fmt(load0)} at start, ${fmt(load1)} at end`;
      const ratio = rateRatio(ix, base);
      const caseName = `${count} uploads of ${SIZE} B, ${IN_FLIGHT} in flight`;
      return [
        {
          workload: 'uploads',
          case: caseName,
          ixvault: ix,
          baseline: base,
          ratio,
          targets: [{ text: '≥ 0.5× the bare durable loop', met: (ratio ?? 0) >= 0.5 }],
          notes,
        },
        {
          workload: 'uploads',
          case: `${caseName}, against a bare HTTP server`,
          ixvault: ix,
          baseline: baseHttp,
          ratio: rateRatio(ix, baseHttp),
        },
      ] satisfies ResultRow[];
    } finally {
      await bare.close();
      await bareHttp.stop();
      await server.stop();
      for (const s of stores) await backend.dropStore(s);
      if (backend !== ctx.backend) await backend.close();
    }
  },
};

/** CPU time (user + system) a process has used, in ms, from /proc (Linux); 0 elsewhere. */
function processCpuMs(pid: number): number {
  if (pid === 0) return 0;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU time (ms) the machine's every core has spent busy, from /proc/stat (Linux); 0 elsewhere. */
function machineBusyMs(): number {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + Number(t)), 0);
    return (busy * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Linux's USER_HZ. */
const CLOCK_TICKS = 100;

const interactionId = (n: number) => `up${String(n).padStart(8, '0')}`;

/** Runs `count` tasks with IN_FLIGHT of them at a time. */
async function inFlight(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

/** The interactions, through the batch API (1000 a request, two in flight), as the outside run stored them. */
async function seed(url: string, headers: Record<string, string>, total: number): Promise<void> {
  const batches = Math.ceil(total / SEED_BATCH);
  let next = 0;
  const lane = async () => {
    while (next < batches) {
      const b = next++;
      const records = Array.from({ length: Math.min(SEED_BATCH, total - b * SEED_BATCH) }, (_, k) => {
        const n = b * SEED_BATCH + k;
        return {
          id: interactionId(n),
          mediaType: 'call',
          typeId: 'Inbound',
          startDate: new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString(),
          connectFrom: `+1415${String(n).padStart(7, '0')}`,
          ownerInformation: { id: `agent${n % 50}` },
          handlingAgents: [{ id: `agent${n % 50}` }],
          customAttributes: { queue: `q${n % 7}`, region: `r${n % 3}` },
        };
      });
      const res = await fetch(`${url}/api/v1/interactions:batch`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(records),
      });
      if (res.status !== 200) throw new Error(`seed batch ${b}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all([lane(), lane()]);
}
