/** The static-bytes baseline (bench/static-bytes-server.ts): the same response bytes from a bare server in its own process. */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getBytes } from './http.js';
import { type Figure, latencyRatio, type ResultRow } from './results.js';
import type { Latency } from './stats.js';

export interface StaticBytes {
  pid: number;
  /** Stores the bytes to answer for `key` (outside the clock). */
  put(key: string, body: Uint8Array): Promise<void>;
  /** GET of the stored bytes, body read whole as the ixvault side reads it; returns the byte count. */
  get(key: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startStaticBytes(): Promise<StaticBytes> {
  const entry = fileURLToPath(new URL('../static-bytes-server.js', import.meta.url));
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await once(child, 'message')) as [{ url: string }];
  const url = message.url;
  return {
    pid: child.pid ?? 0,
    async put(key, body) {
      const res = await fetch(`${url}/${encodeURIComponent(key)}`, { method: 'PUT', body });
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`static bytes: PUT ${res.status}`);
    },
    get: (key) => getBytes(`${url}/${encodeURIComponent(key)}`, {}),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send('stop');
      await exited;
    },
  };
}

/** The run's load average (1, 5, 15 min) for the notes beside every figure: the machine is shared. */
export function loadAverage(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** Fetches the API's answer to queries 0…count-1 and gives each to the static-bytes server; returns the median size. */
export async function putResponses(
  staticBytes: StaticBytes,
  name: string,
  count: number,
  urlOf: (i: number) => string,
  headers: Record<string, string>,
): Promise<number> {
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(urlOf(i), { headers });
    const body = new Uint8Array(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
    await staticBytes.put(`${name}/${i}`, body);
    sizes.push(body.byteLength);
  }
  sizes.sort((a, b) => a - b);
  return sizes[Math.floor(sizes.length / 2)] ?? 0;
}

/** The API beside the same bytes from a bare server: issue 15's targets (p50 ≤ 3× for 100, ≤ 4× for 1000; p99 ≤ 3× p50). */
export function staticBytesRow(
  workload: string,
  name: string,
  limit: number,
  api: Figure,
  staticLatency: Latency,
  bytes: number,
): ResultRow {
  const baseline = ms('same bytes, bare node:http server', staticLatency);
  const ratio = latencyRatio(api, baseline);
  const bound = limit >= 1000 ? 4 : 3;
  return {
    workload,
    case: `${name} (API vs static bytes)`,
    ixvault: api,
    baseline,
    ratio,
    targets: [
      { text: `p50 ≤ ${bound} × static bytes`, met: (ratio ?? Number.POSITIVE_INFINITY) <= bound },
      { text: 'p99 ≤ 3 × p50', met: (api.p99 ?? Number.POSITIVE_INFINITY) <= 3 * (api.p50 ?? 0) },
    ],
    notes: `median response ${(bytes / 1024).toFixed(1)} KB; ${loadAverage()}`,
  };
}

export function ms(label: string, l: Latency): Figure {
  return { label, p50: l.p50, p99: l.p99, unit: 'ms' };
}

/**
 * CPU time a process has used so far (user + system, ms; Linux /proc). Per
 * request it is the figure a loaded machine does not distort: waiting for a
 * core is not in it, so it compares ixvault with the static-bytes server
 * where latencies on shared cores cannot.
 */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), the 12th and 13th after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Ten of /proc's 10 ms ticks: below that, a side's CPU total is mostly rounding. */
const MIN_MEASURED_CPU_MS = 100;

/** Server CPU per request of each side, measured over an interleaved run in which each process served only its side. */
export function cpuRow(
  workload: string,
  name: string,
  api: { ms: number; n: number },
  bare: { ms: number; n: number },
  per: 'page' | 'request' = 'page',
): ResultRow {
  const ixvault: Figure = { label: `ixvault server CPU per ${per}`, value: api.ms / api.n, unit: 'ms' };
  const baseline: Figure = { label: `static-bytes server CPU per ${per}`, value: bare.ms / bare.n, unit: 'ms' };
  return {
    workload,
    case: `${name}: server CPU per ${per}`,
    ixvault,
    baseline,
    // A side that used fewer than ten of /proc's 10 ms ticks in all is not measured finely enough to divide by
    // (a bare side of 0 ticks printed a ratio in the hundreds of millions).
    ratio: bare.ms >= MIN_MEASURED_CPU_MS ? (ixvault.value ?? 0) / (baseline.value ?? 1) : undefined,
    notes: `/proc utime+stime over ${api.n} and ${bare.n} requests (10 ms ticks)${
      bare.ms < MIN_MEASURED_CPU_MS ? `; the static side used ${bare.ms} ms in all, too few ticks for a ratio` : ''
    }; waiting for a core is not in it`,
  };
}
