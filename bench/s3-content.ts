/**
 * Content on S3 (`npm run bench:s3`): ixvault with `--blob-store s3://…` on
 * Ceph RGW (scripts/ceph-s3.mjs, memstore on loopback) against the same
 * endpoint used directly, in the same run, interleaved so both see the same
 * machine:
 * - download: GET of a recording through ixvault vs a GetObject of the very
 *   same object (its content address) from RGW, both read to the end; and
 *   the same GET answered by a redirect to a presigned URL
 *   (--s3-download-redirect, a second server), followed;
 * - upload: a streamed PUT through ixvault (hashed, staged, copied to its
 *   address, recorded) vs a lib-storage multipart upload of the same bytes
 *   with the same part size and concurrency;
 * - memory: the ixvault server's RSS and heap while it takes one large
 *   upload (2 GiB by default), sampled throughout.
 * Figures go to docs/BENCHMARKS.md; the JSON to bench/results/.
 *
 * Both sides use node:http as their client (the SDK's own transport).
 *
 *   npm run bench:s3 -- [--size-mib 256] [--rounds 5] [--big-mib 2048] [--database-url postgres://…]
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Command } from 'commander';
import { writePrincipalsConfig } from '../src/auth/directory.js';
import { TENANT } from './lib/dataset.js';
import { REPO_ROOT } from './lib/paths.js';
import { ADMIN, basic, benchPrincipals } from './lib/principals.js';
import { type Figure, machine, markdownTable, type ResultRow, rateRatio, writeResult } from './lib/results.js';
import { profileFlags, type ServerProcess, startServerProcess } from './lib/server-process.js';
import { measureInterleaved } from './lib/stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MIB = 1024 * 1024;
/** The store's own multipart settings (S3BlobStore defaults), so the direct upload is the same work. */
const PART_SIZE = 8 * MIB;
const QUEUE_SIZE = 4;

interface CephS3 {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

/** One random MiB per run: the same seed gives the same recording within a run. */
const RANDOM_MIB = randomBytes(MIB);

/** `size` bytes of random data (incompressible, like audio), 1 MiB chunks, different for every `seed`. */
function recording(size: number, seed: number): Readable {
  const chunk = Buffer.from(RANDOM_MIB);
  return Readable.from(
    (function* () {
      for (let i = 0; i < size / MIB; i++) {
        chunk.writeUInt32BE(i, 0);
        chunk.writeUInt32BE(seed, 4);
        yield Buffer.from(chunk);
      }
    })(),
  );
}

async function drain(body: AsyncIterable<Uint8Array> | null | undefined, expected: number, what: string): Promise<void> {
  let bytes = 0;
  for await (const part of body ?? []) bytes += part.byteLength;
  if (bytes !== expected) throw new Error(`${what}: ${bytes} bytes, expected ${expected}`);
}

/** A content URL on a server of its own interaction (the redirecting server's). */
async function redirectedContentUrl(server: ServerProcess, headers: Record<string, string>): Promise<string> {
  const created = await fetch(`${server.url}/api/v1/interactions`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ mediaType: 'call', typeId: 'Inbound', startDate: '2024-06-05T10:00:00Z' }),
  });
  const { id } = (await created.json()) as { id: string };
  return `${server.url}/api/v1/interactions/${id}/content/download`;
}

/** A process's CPU time (user + system) in ms, from /proc (Linux). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

async function main(): Promise<void> {
  const o = new Command('npm run bench:s3 --')
    .description('content through ixvault on S3 (Ceph RGW) vs the same S3 endpoint used directly')
    .option('--size-mib <n>', 'recording size for the download and upload rounds', '256')
    .option('--rounds <n>', 'measured rounds (interleaved)', '5')
    .option('--big-mib <n>', 'the large upload whose server memory is sampled (0: skip)', '2048')
    .option('--database-url <url>', 'PostgreSQL for the metadata (default: SQLite)')
    .option('--only <cases>', 'some cases only: download,upload,big', 'download,upload,big')
    .option('--cpu-prof <dir>', 'the server writes a V8 CPU profile there when it stops')
    .option('--out <dir>', 'results directory', join(REPO_ROOT, 'bench', 'results'))
    .parse()
    .opts();
  const size = Number(o.sizeMib) * MIB;
  const rounds = Number(o.rounds);
  const only = new Set(String(o.only).split(','));
  const big = only.has('big') ? Number(o.bigMib) * MIB : 0;
  const startedAt = new Date().toISOString();
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const loadAtStart = load();
  const work = mkdtempSync(join(tmpdir(), 'ixvault-bench-s3-'));
  const { startCephS3 } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'ceph-s3.mjs')).href)) as {
    startCephS3(o: { log: (m: string) => void; memstoreBytes: number; buckets: string[] }): Promise<CephS3>;
  };
  const bucket = 'ixvault-bench';
  const ceph = await startCephS3({ log: (m) => console.log(m), memstoreBytes: 12 * 1024 ** 3, buckets: [bucket] });
  const client = new S3Client({
    endpoint: ceph.endpoint,
    region: ceph.region,
    forcePathStyle: true,
    credentials: { accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey },
  });
  const principalsFile = join(work, 'principals.json');
  await writePrincipalsConfig(principalsFile, benchPrincipals(0));
  const prefix = 'vault/';
  const blobStore = {
    kind: 's3' as const,
    bucket,
    prefix,
    endpoint: ceph.endpoint,
    region: ceph.region,
    forcePathStyle: true,
    credentials: { accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey },
  };
  const server = await startServerProcess(
    { dataDir: work, databaseUrl: o.databaseUrl, principalsFile, maxContentBytes: 4 * 1024 ** 3, blobStore },
    { nodeFlags: profileFlags(o.cpuProf) },
  );
  // The same store with downloads by redirect (--s3-download-redirect), for the download case; its own metadata.
  const redirectDir = join(work, 'redirect');
  mkdirSync(redirectDir);
  const redirecting = only.has('download')
    ? await startServerProcess({ dataDir: redirectDir, principalsFile, blobStore: { ...blobStore, downloadRedirect: true } })
    : undefined;
  const rows: ResultRow[] = [];
  try {
    const headers = { authorization: basic(ADMIN) };
    const created = await fetch(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ mediaType: 'call', typeId: 'Inbound', startDate: '2024-06-05T10:00:00Z' }),
    });
    const { id } = (await created.json()) as { id: string };
    const contentUrl = (key: string) => `${server.url}/api/v1/interactions/${id}/content/${key}`;
    // The client of both sides is node:http (what the SDK uses), so neither pays for a different client.
    const put = async (key: string, bytes: number, seed: number, url = contentUrl(key)) => {
      const req = request(`${url}?type=callRecording`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'audio/wav', 'content-length': String(bytes) },
      });
      const answered = once(req, 'response') as Promise<[IncomingMessage]>;
      await pipeline(recording(bytes, seed), req);
      const [res] = await answered;
      let text = '';
      for await (const part of res) text += part;
      const item = JSON.parse(text) as { sha256?: string };
      if (res.statusCode !== 201 || !item.sha256) throw new Error(`upload: ${res.statusCode} ${text}`);
      return item.sha256;
    };
    const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
    // The server's CPU time per MiB it moves: what the extra hop costs, whatever else runs on the machine.
    const serverCpu = { ms: 0, mib: 0 };
    const counted = async <T>(bytes: number, fn: () => Promise<T>): Promise<T> => {
      const before = cpuMs(server.pid);
      const out = await fn();
      serverCpu.ms += cpuMs(server.pid) - before;
      serverCpu.mib += bytes / MIB;
      return out;
    };
    const cpuNote = () => {
      const note = `ixvault server CPU ${(serverCpu.ms / serverCpu.mib).toFixed(2)} ms per MiB`;
      serverCpu.ms = 0;
      serverCpu.mib = 0;
      return note;
    };

    // Download: the same object, through ixvault and straight from RGW.
    if (only.has('download')) {
      const sha256 = await put('download', size, 1);
      const key = `${prefix}${TENANT}/${sha256.slice(0, 2)}/${sha256}`;
      const redirectUrl = await redirectedContentUrl(redirecting as ServerProcess, headers);
      // The same bytes: the same address in the same bucket, recorded in the second server's metadata too.
      if ((await put('download', size, 1, redirectUrl)) !== sha256) throw new Error('the two uploads differ');
      const down = await measureInterleaved(
        {
          direct: async () => {
            const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            await drain(answer.Body as AsyncIterable<Uint8Array>, size, 'direct GET');
          },
          ixvault: () =>
            counted(size, async () => {
              const [res] = (await once(request(contentUrl('download'), { headers }).end(), 'response')) as [IncomingMessage];
              if (res.statusCode !== 200) throw new Error(`GET: ${res.statusCode}`);
              await drain(res, size, 'ixvault GET');
            }),
          // GET → 302 (authorised, audited) → GET of the presigned URL, both by node:http.
          redirect: async () => {
            const [first] = (await once(request(redirectUrl, { headers }).end(), 'response')) as [IncomingMessage];
            first.resume();
            if (first.statusCode !== 302 || !first.headers.location) throw new Error(`redirect GET: ${first.statusCode}`);
            const [res] = (await once(request(first.headers.location).end(), 'response')) as [IncomingMessage];
            if (res.statusCode !== 200) throw new Error(`presigned GET: ${res.statusCode}`);
            await drain(res, size, 'presigned GET');
          },
        },
        { rounds, perRound: 1, warmup: 1 },
      );
      const ixDown: Figure = { label: 'GET …/content through ixvault', value: mbps(size, down.ixvault.p50), unit: 'MB/s' };
      const directDown: Figure = {
        label: 'GetObject of the same object from RGW',
        value: mbps(size, down.direct.p50),
        unit: 'MB/s',
      };
      const downRatio = rateRatio(ixDown, directDown);
      rows.push({
        workload: 'content-s3',
        case: `download of ${size / MIB} MiB (p50 of ${rounds})`,
        ixvault: ixDown,
        baseline: directDown,
        ratio: downRatio,
        targets: [{ text: '≥ 80 % of a direct GET', met: (downRatio ?? 0) >= 0.8 }],
        notes: cpuNote(),
      });
      const redirectDown: Figure = {
        label: 'GET …/content with --s3-download-redirect: 302, then the presigned GET',
        value: mbps(size, down.redirect.p50),
        unit: 'MB/s',
      };
      const redirectRatio = rateRatio(redirectDown, directDown);
      rows.push({
        workload: 'content-s3',
        case: `download of ${size / MIB} MiB by redirect (p50 of ${rounds})`,
        ixvault: redirectDown,
        baseline: directDown,
        ratio: redirectRatio,
        targets: [{ text: '≥ 80 % of a direct GET', met: (redirectRatio ?? 0) >= 0.8 }],
      });
    }

    // Upload: new bytes every time (no deduplication), through ixvault and as a direct multipart upload.
    if (only.has('upload')) {
      const up = await measureInterleaved(
        {
          direct: async (i) => {
            await new Upload({
              client,
              params: { Bucket: bucket, Key: `direct/upload-${i}`, Body: recording(size, 1000 + i) },
              partSize: PART_SIZE,
              queueSize: QUEUE_SIZE,
            }).done();
          },
          ixvault: (i) => counted(size, () => put(`upload${i}`, size, 2000 + i)),
        },
        { rounds, perRound: 1, warmup: 1 },
      );
      const ixUp: Figure = { label: 'PUT …/content through ixvault', value: mbps(size, up.ixvault.p50), unit: 'MB/s' };
      const directUp: Figure = {
        label: `lib-storage multipart upload to RGW (${PART_SIZE / MIB} MiB parts, ${QUEUE_SIZE} in flight)`,
        value: mbps(size, up.direct.p50),
        unit: 'MB/s',
      };
      const upRatio = rateRatio(ixUp, directUp);
      rows.push({
        workload: 'content-s3',
        case: `upload of ${size / MIB} MiB (p50 of ${rounds})`,
        ixvault: ixUp,
        baseline: directUp,
        ratio: upRatio,
        targets: [{ text: '≥ 80 % of a direct multipart upload', met: (upRatio ?? 0) >= 0.8 }],
        notes: cpuNote(),
      });
    }

    if (big > 0) {
      const before = await server.memory();
      let peakRss = before.rss;
      let peakHeap = before.heapUsed;
      let peakExternal = before.external;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const m = await server.memory();
          peakRss = Math.max(peakRss, m.rss);
          peakHeap = Math.max(peakHeap, m.heapUsed);
          peakExternal = Math.max(peakExternal, m.external);
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const t0 = performance.now();
      await put('big', big, 3);
      const ms = performance.now() - t0;
      sampling = false;
      await sampler;
      const mb = (n: number) => Math.round(n / MIB);
      rows.push({
        workload: 'content-s3',
        case: `upload of ${big / MIB} MiB: server memory (before → peak)`,
        ixvault: { label: 'PUT through ixvault', value: mbps(big, ms), unit: 'MB/s' },
        notes: `RSS ${mb(before.rss)} → ${mb(peakRss)} MiB, heap ${mb(before.heapUsed)} → ${mb(peakHeap)} MiB, external ${mb(before.external)} → ${mb(peakExternal)} MiB`,
        targets: [{ text: 'the heap does not grow with the upload (≤ +64 MiB)', met: peakHeap - before.heapUsed <= 64 * MIB }],
      });
    }
  } finally {
    await redirecting?.stop();
    await server.stop();
    client.destroy();
    await ceph.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const loadAtEnd = load();
  console.log(`\nload average at start ${loadAtStart}, at end ${loadAtEnd} (${cpus().length} cores)`);
  console.log(`\n${markdownTable(rows)}\n`);
  for (const r of rows) if (r.notes) console.log(`${r.case}: ${r.notes}`);
  const path = writeResult(
    o.out,
    {
      run: {
        startedAt,
        backend: o.databaseUrl ? 'postgres' : 'sqlite',
        size: size / MIB,
        seed: 0,
        machine: machine(),
        dataset: {
          recordingMiB: size / MIB,
          bigUploadMiB: big / MIB,
          store: 'Ceph RGW memstore on loopback',
          loadAverageAtStart: loadAtStart,
          loadAverageAtEnd: loadAtEnd,
        },
        durationsSeconds: {},
      },
      rows,
    },
    '-s3-content',
  );
  console.log(`written ${path}`);
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
