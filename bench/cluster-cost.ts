/**
 * What clustering costs (`npm run bench:cluster-cost`): one ixvault node in
 * cluster mode (PostgreSQL, content on S3 — Ceph RGW —, Redis) against one in
 * embedded mode (SQLite, content in files), both running at once on the same
 * dataset, requests alternating between them so that other load on the
 * machine hits both alike:
 * - search: the Vonage page of 100 (and of 1000) in a 7-day window, over HTTP;
 * - ingest: POST /api/v1/interactions:batch of 1000 new records, without and
 *   with chat messages, one batch to each node in turn;
 * - content: a recording uploaded (new bytes each time) and downloaded whole,
 *   and small uploads (64 KiB, a transcript or an email attachment).
 * The ratio is cluster / embedded: above 1 for latencies, below 1 for rates,
 * is what a node pays for being one of many. Both nodes load the same
 * generated contact center through the bare bulk path first (setup, not
 * measured). PostgreSQL runs with its production defaults (fsync and
 * synchronous_commit on); SQLite with ixvault's (WAL, synchronous=NORMAL);
 * RGW keeps its objects in memory (memstore), the file store fsyncs.
 *
 *   npm run bench:cluster-cost -- [--size 100000] [--ingest 20000] [--iterations 200] [--content-mib 64] [--rounds 5]
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import pg from 'pg';
import { writePrincipalsConfig } from '../src/auth/directory.js';
import { Progress } from '../src/cli/progress.js';
import type { InteractionSearch } from '../src/domain/search.js';
import { openBackend, type StoreLocation } from './lib/backend.js';
import { postgresWriter, sqliteWriter } from './lib/bulk.js';
import { generate, WEEK_END_MS, WEEK_START_MS } from './lib/dataset.js';
import { bearerToken, getBytes } from './lib/http.js';
import { loadDataset } from './lib/load.js';
import { REPO_ROOT } from './lib/paths.js';
import { ADMIN, basic, benchPrincipals } from './lib/principals.js';
import { type Figure, latencyRatio, machine, markdownTable, type ResultRow, rateRatio, writeResult } from './lib/results.js';
import { profileFlags, type ServerProcess, startServerProcess } from './lib/server-process.js';
import { type Latency, measureInterleaved } from './lib/stats.js';
import { vonageUrl } from './workloads/vonage-search.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MIB = 1024 * 1024;
const HOUR = 3_600_000;
const BATCH = 1000;
const VONAGE_ACCEPT = 'application/vnd.newvoicemedia.v3+json';
const BUCKET = 'ixvault-cost';

interface Options {
  size: string;
  ingest: string;
  iterations: string;
  contentMib: string;
  rounds: string;
  seed: string;
  workDir: string;
  out: string;
  cpuProf?: string;
}

interface CephS3 {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

type Node = 'embedded' | 'cluster';
const NODES: Node[] = ['embedded', 'cluster'];

const load = () => loadavg().map((l) => Number(l.toFixed(2)));

/** `size` random bytes (incompressible, like audio) in 1 MiB chunks, different for every seed. */
function recording(size: number, seed: number): Readable {
  const chunk = randomBytes(Math.min(size, MIB));
  return Readable.from(
    (function* () {
      for (let sent = 0, i = 0; sent < size; i++) {
        const n = Math.min(chunk.length, size - sent);
        chunk.writeUInt32BE(i, 0);
        chunk.writeUInt32BE(seed, 4);
        sent += n;
        yield Buffer.from(chunk.subarray(0, n));
      }
    })(),
  );
}

async function main(o: Options): Promise<void> {
  const size = Number(o.size);
  const ingestCount = Number(o.ingest);
  const iterations = Number(o.iterations);
  const contentBytes = Number(o.contentMib) * MIB;
  const rounds = Number(o.rounds);
  const seed = Number(o.seed);
  const startedAt = new Date().toISOString();
  const loadAtStart = load();
  const t0 = performance.now();
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const work = mkdtempSync(join(o.workDir || tmpdir(), 'ixvault-cluster-cost-'));
  const durations: Record<string, number> = {};
  const cleanup: (() => Promise<void>)[] = [];
  const rows: ResultRow[] = [];
  try {
    // The cluster's components, as `npm run cluster` starts them, on loopback.
    const { startRedis } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'redis-server.mjs')).href)) as {
      startRedis(o: { log: (m: string) => void }): Promise<{ url: string; stop(): Promise<void> } | undefined>;
    };
    const { startCephS3 } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'ceph-s3.mjs')).href)) as {
      startCephS3(o: { log: (m: string) => void; memstoreBytes: number; buckets: string[] }): Promise<CephS3>;
    };
    const redis = await startRedis({ log });
    if (!redis) throw new Error('redis-server not found (apt-get install redis-server)');
    cleanup.push(() => redis.stop());
    const ceph = await startCephS3({ log, memstoreBytes: 8 * 1024 ** 3, buckets: [BUCKET] });
    cleanup.push(() => ceph.stop());
    const embeddedBackend = await openBackend('sqlite', join(work, 'embedded'), log);
    const clusterBackend = await openBackend('postgres', join(work, 'cluster'), log);
    cleanup.push(() => clusterBackend.close());
    const stores: Record<Node, StoreLocation> = {
      embedded: await embeddedBackend.createStore('cost'),
      cluster: await clusterBackend.createStore('cost'),
    };
    const databaseUrl = stores.cluster.databaseUrl as string;
    await productionDurability(databaseUrl);

    // The same contact center in both (setup, not measured).
    const loadStarted = performance.now();
    for (const node of NODES) {
      log(`loading ${size} interactions into the ${node} node's database`);
      const writer = node === 'cluster' ? await postgresWriter(databaseUrl) : sqliteWriter(stores.embedded.sqliteFile);
      try {
        await loadDataset(writer, seed, size, false);
      } finally {
        await writer.close();
      }
    }
    durations.load = (performance.now() - loadStarted) / 1000;

    const principalsFile = join(work, 'principals.json');
    await writePrincipalsConfig(principalsFile, benchPrincipals(0));
    const flags = { nodeFlags: profileFlags(o.cpuProf) };
    const servers: Record<Node, ServerProcess> = {
      embedded: await startServerProcess({ dataDir: stores.embedded.dataDir, principalsFile }, flags),
      cluster: await startServerProcess(
        {
          dataDir: stores.cluster.dataDir,
          databaseUrl,
          redisUrl: redis.url,
          principalsFile,
          blobStore: {
            kind: 's3',
            bucket: BUCKET,
            prefix: 'vault/',
            endpoint: ceph.endpoint,
            region: ceph.region,
            forcePathStyle: true,
            credentials: { accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey },
          },
        },
        flags,
      ),
    };
    cleanup.unshift(async () => {
      await Promise.all(NODES.map((n) => servers[n].stop()));
    });

    const measured = performance.now();
    rows.push(...(await search(servers, iterations)));
    durations.search = (performance.now() - measured) / 1000;
    const ingestStarted = performance.now();
    rows.push(...(await ingest(servers, ingestCount, seed)));
    durations.ingest = (performance.now() - ingestStarted) / 1000;
    const contentStarted = performance.now();
    rows.push(...(await content(servers, contentBytes, rounds)));
    durations.content = (performance.now() - contentStarted) / 1000;
  } finally {
    for (const step of cleanup) await step().catch((err: Error) => log(`cleanup: ${err.message}`));
    rmSync(work, { recursive: true, force: true });
  }
  durations.total = (performance.now() - t0) / 1000;
  const loadAtEnd = load();
  console.log(`\nload average at start ${loadAtStart.join(' ')}, at end ${loadAtEnd.join(' ')} (${cpus().length} cores)`);
  console.log(`\n${markdownTable(rows)}\n`);
  const path = writeResult(
    o.out,
    {
      run: {
        startedAt,
        backend: 'postgres',
        size,
        seed,
        machine: machine(),
        dataset: {
          interactions: size,
          ingested: ingestCount,
          recordingMiB: contentBytes / MIB,
          cluster: 'PostgreSQL (fsync on) + Ceph RGW memstore + Redis, one node',
          embedded: 'SQLite (WAL, synchronous=NORMAL) + files',
          loadAverageAtStart: loadAtStart.join(' '),
          loadAverageAtEnd: loadAtEnd.join(' '),
        },
        durationsSeconds: durations,
      },
      rows,
    },
    '-cluster-cost',
  );
  console.log(`written ${path}`);
}

/** PostgreSQL's production defaults on the throwaway server (started with fsync off for the test suites). */
async function productionDurability(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const setting of ['fsync', 'full_page_writes', 'synchronous_commit'])
      await client.query(`alter system set ${setting} = on`);
    await client.query('select pg_reload_conf()');
  } finally {
    await client.end();
  }
}

function ms(label: string, l: Latency): Figure {
  return { label, p50: l.p50, p99: l.p99, unit: 'ms' };
}

/** The cluster node's figure against the embedded node's, as one row. */
function latencyRow(workload: string, c: string, r: Record<Node, Latency>): ResultRow {
  const ixvault = ms('cluster node (PostgreSQL, S3, Redis)', r.cluster);
  const baseline = ms('embedded node (SQLite, files)', r.embedded);
  return { workload, case: c, ixvault, baseline, ratio: latencyRatio(ixvault, baseline) };
}

async function search(servers: Record<Node, ServerProcess>, iterations: number): Promise<ResultRow[]> {
  const headers: Record<Node, Record<string, string>> = {
    embedded: { authorization: await bearerToken(servers.embedded.url), accept: VONAGE_ACCEPT },
    cluster: { authorization: await bearerToken(servers.cluster.url), accept: VONAGE_ACCEPT },
  };
  const rows: ResultRow[] = [];
  for (const limit of [100, 1000]) {
    const n = limit >= 1000 ? Math.max(50, Math.round(iterations / 4)) : iterations;
    const query = (i: number): InteractionSearch => {
      // The vonage workload's windows: 7 days from a start moving by 3 hours, so pages differ.
      const fromMs = WEEK_START_MS + (i % 48) * 3 * HOUR;
      return { source: 'main', order: 'asc', limit, fromMs, toMs: fromMs + (WEEK_END_MS - WEEK_START_MS) };
    };
    const fns = Object.fromEntries(
      NODES.map((node) => [
        node,
        (i: number) => getBytes(vonageUrl(`${servers[node].url}/interaction-content/interactions`, query(i)), headers[node]),
      ]),
    ) as Record<Node, (i: number) => Promise<number>>;
    // Both pages must be the same size, or the comparison is not of the same work.
    const [a, b] = await Promise.all(NODES.map((node) => fns[node](0)));
    if (a !== b || !a || a < 1000) throw new Error(`search: the nodes answered ${a} and ${b} bytes`);
    const r = await measureInterleaved(fns, { rounds: 10, perRound: Math.ceil(n / 10), warmup: 10 });
    rows.push(latencyRow('search', `Vonage page of ${limit}, 7-day window (p50 / p99)`, r));
  }
  return rows;
}

async function ingest(servers: Record<Node, ServerProcess>, count: number, seed: number): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const headers = { authorization: basic(ADMIN), 'content-type': 'application/json' };
  for (const [variant, withMessages] of [
    ['without messages', false],
    ['with chat messages', true],
  ] as const) {
    // Request bodies are prepared before the clock starts; new records (another seed) for each variant.
    const bodies: string[] = [];
    let records: Record<string, unknown>[] = [];
    for (const g of generate(seed + (withMessages ? 2 : 1), count)) {
      const { messages, ...rest } = g.record as Record<string, unknown>;
      records.push(withMessages ? { ...rest, messages } : rest);
      if (records.length >= BATCH) {
        bodies.push(JSON.stringify({ records }));
        records = [];
      }
    }
    if (records.length > 0) bodies.push(JSON.stringify({ records }));
    const spent: Record<Node, number> = { embedded: 0, cluster: 0 };
    const progress = new Progress(`ingest ${variant}`, count * 2);
    for (const [i, body] of bodies.entries()) {
      // Alternating which node goes first.
      for (const node of i % 2 === 0 ? NODES : [...NODES].reverse()) {
        const started = performance.now();
        const res = await fetch(`${servers[node].url}/api/v1/interactions:batch`, { method: 'POST', headers, body });
        const text = await res.text();
        spent[node] += performance.now() - started;
        if (res.status !== 200) throw new Error(`batch on the ${node} node: ${res.status} ${text.slice(0, 300)}`);
        progress.tick(BATCH);
      }
    }
    progress.finish();
    const rate = (node: Node, label: string): Figure => ({ label, value: count / (spent[node] / 1000), unit: 'interactions/s' });
    const ixvault = rate('cluster', 'cluster node (PostgreSQL, S3, Redis)');
    const baseline = rate('embedded', 'embedded node (SQLite, files)');
    rows.push({
      workload: 'ingest',
      case: `${count} interactions ${variant}, batches of ${BATCH}, one in flight`,
      ixvault,
      baseline,
      ratio: rateRatio(ixvault, baseline),
    });
  }
  return rows;
}

async function content(servers: Record<Node, ServerProcess>, size: number, rounds: number): Promise<ResultRow[]> {
  const headers = { authorization: basic(ADMIN) };
  const interaction: Record<Node, string> = { embedded: '', cluster: '' };
  for (const node of NODES) {
    const res = await fetch(`${servers[node].url}/api/v1/interactions`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ mediaType: 'call', typeId: 'Inbound', startDate: '2024-06-05T10:00:00Z' }),
    });
    if (res.status !== 201) throw new Error(`interaction on the ${node} node: ${res.status} ${await res.text()}`);
    interaction[node] = ((await res.json()) as { id: string }).id;
  }
  const url = (node: Node, key: string) => `${servers[node].url}/api/v1/interactions/${interaction[node]}/content/${key}`;
  // node:http on both sides: a streamed PUT, and a GET read to the end.
  const put = async (node: Node, key: string, bytes: number, seed: number) => {
    const req = request(`${url(node, key)}?type=callRecording`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'audio/wav', 'content-length': String(bytes) },
    });
    const answered = once(req, 'response') as Promise<[IncomingMessage]>;
    await pipeline(recording(bytes, seed), req);
    const [res] = await answered;
    let text = '';
    for await (const part of res) text += part;
    if (res.statusCode !== 201) throw new Error(`upload on the ${node} node: ${res.statusCode} ${text.slice(0, 300)}`);
  };
  const get = async (node: Node, key: string, bytes: number) => {
    const [res] = (await once(request(url(node, key), { headers }).end(), 'response')) as [IncomingMessage];
    let n = 0;
    for await (const part of res) n += (part as Buffer).length;
    if (res.statusCode !== 200 || n !== bytes) throw new Error(`download on the ${node} node: ${res.statusCode}, ${n} bytes`);
  };
  const mbps = (l: Latency, label: string, bytes: number): Figure => ({
    label,
    value: bytes / 1e6 / (l.p50 / 1000),
    unit: 'MB/s',
  });
  const rows: ResultRow[] = [];
  const both = (fn: (node: Node) => (i: number) => Promise<void>) =>
    Object.fromEntries(NODES.map((node) => [node, fn(node)])) as Record<Node, (i: number) => Promise<void>>;

  const up = await measureInterleaved(
    both((node) => (i) => put(node, `recording${i}`, size, 1000 + i)),
    { rounds, perRound: 1, warmup: 1 },
  );
  const down = await measureInterleaved(
    both((node) => () => get(node, 'recording0', size)),
    { rounds, perRound: 1, warmup: 1 },
  );
  for (const [c, r] of [
    [`upload of ${size / MIB} MiB (p50 of ${rounds})`, up],
    [`download of ${size / MIB} MiB (p50 of ${rounds})`, down],
  ] as const) {
    const ixvault = mbps(r.cluster, 'cluster node (S3 on Ceph RGW)', size);
    const baseline = mbps(r.embedded, 'embedded node (files)', size);
    rows.push({ workload: 'content', case: c, ixvault, baseline, ratio: rateRatio(ixvault, baseline) });
  }
  const small = 64 * 1024;
  const smallUp = await measureInterleaved(
    both((node) => (i) => put(node, `small${i}`, small, 5000 + i)),
    { rounds: 10, perRound: 10, warmup: 10 },
  );
  rows.push(latencyRow('content', 'upload of 64 KiB (p50 / p99)', smallUp));
  return rows;
}

const program = new Command('npm run bench:cluster-cost --')
  .description('one node in cluster mode (PostgreSQL, S3, Redis) against one in embedded mode (SQLite, files), same workload')
  .option('--size <n>', 'interactions loaded into both databases first', '100000')
  .option('--ingest <n>', 'interactions ingested over HTTP per variant', '20000')
  .option('--iterations <n>', 'requests per node for the page of 100 (a quarter for the page of 1000)', '200')
  .option('--content-mib <n>', 'recording size for the upload and download rounds', '64')
  .option('--rounds <n>', 'recording upload and download rounds (interleaved)', '5')
  .option('--seed <n>', 'generator seed', '42')
  .option('--work-dir <dir>', 'where the two nodes keep their data (removed at the end)', tmpdir())
  .option('--out <dir>', 'results directory', join(REPO_ROOT, 'bench', 'results'))
  .option('--cpu-prof <dir>', 'both servers write a V8 CPU profile there when they stop')
  .parse();

main(program.opts<Options>()).catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
