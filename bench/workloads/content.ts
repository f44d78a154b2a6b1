/**
 * Workload 4: content. A 100 MiB recording is uploaded through the native
 * API, then downloaded whole and by 1 MiB ranges at several offsets, from the
 * ixvault server and from a bare node:http server piping the very same blob
 * file (bench/bare-file-server.ts), interleaved so both see the same machine.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Workload } from '../lib/context.js';
import { TENANT } from '../lib/dataset.js';
import { ADMIN, basic } from '../lib/principals.js';
import { type Figure, latencyRatio, type ResultRow, rateRatio } from '../lib/results.js';
import { profileFlags, startServerProcess } from '../lib/server-process.js';
import { measureInterleaved } from '../lib/stats.js';

const MIB = 1024 * 1024;
const SIZE = 100 * MIB;
const FULL_ROUNDS = 6;

export const content: Workload = {
  name: 'content',
  description:
    'Content: 100 MiB recording, full download and 1 MiB Range requests at several offsets; baseline bare http + createReadStream',
  async run(ctx) {
    const store = await ctx.backend.createStore('content');
    const server = await startServerProcess(
      {
        dataDir: store.dataDir,
        databaseUrl: store.databaseUrl,
        principalsFile: ctx.principalsFile,
      },
      { nodeFlags: profileFlags(ctx.options.cpuProf) },
    );
    let bare: Awaited<ReturnType<typeof startBare>> | undefined;
    try {
      const headers = { authorization: basic(ADMIN) };
      const created = await fetch(`${server.url}/api/v1/interactions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          mediaType: 'call',
          typeId: 'Inbound',
          startDate: '2024-06-05T10:00:00Z',
          connectFrom: '+14155550100',
        }),
      });
      const { id } = (await created.json()) as { id: string };
      const url = `${server.url}/api/v1/interactions/${id}/content/callRecording`;
      const upload = await uploadRecording(url, headers);
      bare = await startBare(join(store.dataDir, 'blobs', TENANT, upload.sha256.slice(0, 2), upload.sha256));

      const full = await measureInterleaved(
        { baseline: () => download(bare?.url ?? '', {}), ixvault: () => download(url, headers) },
        { rounds: FULL_ROUNDS, perRound: 1, warmup: 1 },
      );
      const mbps = (ms: number) => SIZE / 1e6 / (ms / 1000);
      const rows: ResultRow[] = [];
      const ixFull: Figure = { label: 'GET …/content/callRecording', value: mbps(full.ixvault.p50), unit: 'MB/s' };
      const bareFull: Figure = { label: 'bare http + createReadStream', value: mbps(full.baseline.p50), unit: 'MB/s' };
      const fullRatio = rateRatio(ixFull, bareFull);
      rows.push({
        workload: 'content',
        case: 'full download of 100 MiB',
        ixvault: ixFull,
        baseline: bareFull,
        ratio: fullRatio,
        targets: [{ text: '≥ 80 % of the bare stream', met: (fullRatio ?? 0) >= 0.8 }],
      });
      rows.push({
        workload: 'content',
        case: 'upload of 100 MiB (streamed PUT, hashed, fsynced)',
        ixvault: { label: 'PUT …/content/callRecording', value: upload.mbps, unit: 'MB/s' },
      });

      const offsets = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.min(SIZE - MIB, Math.floor((f * SIZE) / MIB) * MIB));
      const p50s: number[] = [];
      for (const offset of offsets) {
        const range = { range: `bytes=${offset}-${offset + MIB - 1}` };
        const r = await measureInterleaved(
          { baseline: () => download(bare?.url ?? '', range, MIB), ixvault: () => download(url, { ...headers, ...range }, MIB) },
          { rounds: 10, perRound: 10 },
        );
        const ix: Figure = { label: 'ixvault Range', p50: r.ixvault.p50, p99: r.ixvault.p99, unit: 'ms' };
        const base: Figure = { label: 'bare Range', p50: r.baseline.p50, p99: r.baseline.p99, unit: 'ms' };
        p50s.push(r.ixvault.p50);
        rows.push({
          workload: 'content',
          case: `Range of 1 MiB at ${Math.round(offset / MIB)} MiB`,
          ixvault: ix,
          baseline: base,
          ratio: latencyRatio(ix, base),
        });
      }
      const spread = Math.max(...p50s) / Math.min(...p50s);
      const last = rows[rows.length - 1];
      if (last) last.targets = [{ text: `same cost at any offset (p50 max/min ${spread.toFixed(2)} ≤ 1.5)`, met: spread <= 1.5 }];
      return rows;
    } finally {
      if (bare) await bare.stop();
      await server.stop();
      await ctx.backend.dropStore(store);
    }
  },
};

/** Uploads 100 MiB of random bytes (incompressible, like audio) as a stream of 1 MiB chunks. */
async function uploadRecording(url: string, headers: Record<string, string>): Promise<{ sha256: string; mbps: number }> {
  const chunk = randomBytes(MIB);
  const body = Readable.from(
    (function* () {
      for (let i = 0; i < SIZE / MIB; i++) {
        // Vary each chunk so the file is not 100 copies of one MiB.
        chunk.writeUInt32BE(i, 0);
        yield Buffer.from(chunk);
      }
    })(),
  );
  const t0 = performance.now();
  const res = await fetch(`${url}?duration=6553600`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'audio/wav' },
    body: Readable.toWeb(body) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const seconds = (performance.now() - t0) / 1000;
  const item = (await res.json()) as { sha256?: string };
  if (res.status !== 201 || !item.sha256) throw new Error(`upload: ${res.status} ${JSON.stringify(item)}`);
  return { sha256: item.sha256, mbps: SIZE / 1e6 / seconds };
}

/** Reads a body to the end, counting bytes; checks the length so a short answer cannot look fast. */
async function download(url: string, headers: Record<string, string>, expected = SIZE): Promise<void> {
  const res = await fetch(url, { headers });
  if (!res.body || res.status >= 300) throw new Error(`download ${url}: ${res.status}`);
  let bytes = 0;
  for await (const part of res.body) bytes += (part as Uint8Array).byteLength;
  if (bytes !== expected) throw new Error(`download ${url}: ${bytes} bytes, expected ${expected}`);
}

async function startBare(file: string): Promise<{ url: string; stop(): Promise<void> }> {
  const entry = fileURLToPath(new URL('../bare-file-server.js', import.meta.url));
  const child = fork(entry, [], {
    env: { ...process.env, IXVAULT_BENCH_FILE: file },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await once(child, 'message')) as [{ url: string }];
  return {
    url: message.url,
    async stop() {
      const exited = once(child, 'exit');
      child.send('stop');
      await exited;
    },
  };
}
