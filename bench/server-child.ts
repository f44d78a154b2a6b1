/**
 * An ixvault server in its own process, as deployed: the benchmark's client
 * runs in the parent, so the two share the machine's cores as a real client
 * and server would. Started by bench/lib/server-process.ts over an IPC
 * channel; answers memory probes (after a forced GC) for the session workload.
 */
import { readPrincipalsConfig } from '../src/auth/directory.js';
import type { BlobStoreConfig, EdgeLimits } from '../src/config.js';
import { openRuntime } from '../src/runtime.js';
import { startServer } from '../src/server.js';
import { TextIndex } from '../src/store/text-index.js';
import { BENCH_SECRET } from './lib/dataset-runtime.js';

export interface ServerChildConfig {
  dataDir: string;
  databaseUrl?: string;
  /** A cluster node's Redis (bench/cluster-cost.ts). */
  redisUrl?: string;
  principalsFile: string;
  /** Edge limits other than the defaults (bench/hostile-traffic.ts). */
  limits?: Partial<EdgeLimits>;
  /** Where content lives (bench/s3-content.ts); files under dataDir by default. */
  blobStore?: BlobStoreConfig;
  maxContentBytes?: number;
  /** false: full-text index writes switched off in every thread (bench/workloads/fulltext-ingest.ts: the baseline). */
  textIndex?: false;
  /** SQLite: batches written on the main thread, as before the batch writer thread (bench/workloads/ingest.ts). */
  noBatchThread?: boolean;
}

export type ParentMessage = { kind: 'memory' } | { kind: 'stop' };
export type ChildMessage =
  | { kind: 'ready'; url: string }
  | { kind: 'memory'; rss: number; heapUsed: number; external: number }
  | { kind: 'error'; message: string };

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.IXVAULT_BENCH_SERVER ?? '{}') as ServerChildConfig;
  // Index writes off are preloaded into every thread by server-process.ts (no-text-index.ts); refuse to measure without.
  // (The marker by its global key: importing no-text-index.js here would switch the writes off in every server.)
  const marker = Symbol.for('ixvault.bench.indexWritesOff');
  const indexWritesOff = marker in TextIndex.prototype.writeRecords && marker in TextIndex.documentOfRecord;
  if ((config.textIndex === false) !== indexWritesOff)
    throw new Error('textIndex: false goes with bench/lib/no-text-index.js preloaded (--import), and only it');
  const runtime = await openRuntime({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    principals: await readPrincipalsConfig(config.principalsFile),
    maxContentBytes: config.maxContentBytes ?? 1024 ** 3,
    blobStore: config.blobStore,
    secret: BENCH_SECRET,
    batchThread: config.noBatchThread !== true,
  });
  const server = await startServer(runtime, { host: '127.0.0.1', port: 0, quiet: true, limits: config.limits });
  process.on('message', (message: ParentMessage) => {
    if (message.kind === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      send({ kind: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external });
    } else if (message.kind === 'stop') {
      // Exit from the event loop, so a --cpu-prof profile is written.
      server.stop().finally(() => process.exit(0));
    }
  });
  send({ kind: 'ready', url: server.url });
}

main().catch((err: Error) => {
  send({ kind: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
