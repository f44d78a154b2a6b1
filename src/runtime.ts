/**
 * Everything a running ixvault holds, opened in order (database and
 * migrations, blob store, principals, keys) and closed in reverse. The HTTP
 * app and the CLI commands both start from here.
 */
import { join } from 'node:path';
import { Authenticator } from './auth/authenticator.js';
import { Directory, type PrincipalsConfig } from './auth/directory.js';
import { deriveKeys, type Keys, loadSecret } from './auth/secrets.js';
import type { BlobStore, SweepReport } from './blobs/blob-store.js';
import { openBlobStore, s3ClientOf } from './blobs/open-blob-store.js';
import type { Coordination } from './cluster/coordination.js';
import { LocalCoordination } from './cluster/local.js';
import type { BlobStoreConfig, S3Config } from './config.js';
import { ErasureService } from './services/erasures.js';
import { EXPORT_DEFAULTS, type ExportOptions, ExportService } from './services/exports.js';
import { ResidueScrubber } from './services/residue.js';
import { RetentionService } from './services/retention.js';
import { Vault } from './services/vault.js';
import { connect, type StoreConnection } from './store/database.js';
import { migrate } from './store/migrator.js';
import { SessionRevocationRepository } from './store/session-revocation-repository.js';

export interface RuntimeOptions {
  /** SQLite: write batches of records on a thread of their own (store/sqlite-batch-writer.ts; default on). */
  batchThread?: boolean;
  dataDir: string;
  databaseUrl?: string | undefined;
  /** redis://… : what the nodes of a cluster share (src/cluster); otherwise kept in this process. */
  redisUrl?: string | undefined;
  principals: PrincipalsConfig;
  maxContentBytes: number;
  /** Time budget of a full-text search (DEFAULT_SEARCH_BUDGET_MS when absent). */
  searchBudgetMs?: number;
  /** Where content bytes live; the file system under dataDir/blobs by default. */
  blobStore?: BlobStoreConfig;
  /** Overrides the secret file (IXVAULT_SECRET). */
  secret?: string | undefined;
  poolSize?: number;
  /** false: never change the schema, refuse to start when migrations are pending (`serve --no-migrate`). */
  migrate?: boolean;
  /**
   * Crash hygiene (Vault.sweep): at start, in the background, and then every
   * `intervalMs`; `false` turns it off (tests that sweep explicitly).
   */
  sweep?: false | { intervalMs?: number; tempGraceMs?: number; blobGraceMs?: number };
  /** Export jobs (root: DATA/exports by default). They run in the background once `exports.start()` is called (serve). */
  exports?: Partial<ExportOptions> & { target?: S3Config };
  /**
   * Retention (RetentionService.runAll) every `intervalMs`, first one interval
   * after start; off unless given (`serve` turns it on).
   */
  retention?: false | { intervalMs: number };
  /** Where the runtime reports what it did on its own (adoptions, sweeps); stderr by default. */
  log?: (message: string) => void;
}

/** Temporary files of processes we cannot see are removed once untouched for an hour (no upload idles that long). */
export const SWEEP_DEFAULTS = { intervalMs: 3_600_000, tempGraceMs: 3_600_000, blobGraceMs: 600_000 };

export interface Runtime {
  store: StoreConnection;
  blobs: BlobStore;
  /** Where the blob store keeps the bytes (a folder, or s3://bucket/prefix at an endpoint). */
  blobLocation: string;
  vault: Vault;
  erasures: ErasureService;
  /** Removes what deletions left in the store's files; an erasure asks it, `ixvault scrub` runs it. */
  scrubber: ResidueScrubber;
  exports: ExportService;
  retention: RetentionService;
  auth: Authenticator;
  directory: Directory;
  keys: Keys;
  /** What this node shares with the others of its cluster (in memory when it runs alone). */
  coordination: Coordination;
  migrationsApplied: string[];
  /** Runs the crash-hygiene sweep now (see RuntimeOptions.sweep) and logs what it removed. */
  sweep(options?: Partial<typeof SWEEP_DEFAULTS>): Promise<SweepReport>;
  close(): Promise<void>;
}

export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  // SQLite writes batches of records on a thread of their own (store/sqlite-batch-writer.ts).
  const connectOptions: Parameters<typeof connect>[0] = { dataDir: options.dataDir, batchThread: options.batchThread !== false };
  if (options.databaseUrl) connectOptions.databaseUrl = options.databaseUrl;
  if (options.poolSize) connectOptions.poolSize = options.poolSize;
  const store = connect(connectOptions);
  let coordination: Coordination | undefined;
  let closeBlobs = async () => {};
  try {
    const log = options.log ?? ((message: string) => process.stderr.write(`ixvault: ${message}\n`));
    const migrationsApplied = await migrate(store, { allowDdl: options.migrate !== false, log });
    const adopted = await store.impl.adoptLegacy(store.db);
    if (adopted) log(adopted);
    const opened = await openBlobStore(options.blobStore ?? { kind: 'fs' }, options.dataDir);
    closeBlobs = opened.close;
    const blobs = opened.blobs;
    if (options.maxContentBytes > opened.maxBytes)
      throw new Error(
        `the largest content upload (--max-content-bytes, ${options.maxContentBytes}) exceeds what ${opened.location} can hold (${opened.maxBytes} bytes)`,
      );
    const directory = await Directory.fromConfig(options.principals);
    const keys = deriveKeys(await loadSecret(options.dataDir, options.secret));
    // ioredis loads only for a cluster node.
    coordination = options.redisUrl
      ? await (await import('./cluster/redis.js')).RedisCoordination.connect(options.redisUrl)
      : new LocalCoordination();
    const vault = new Vault(store, blobs, {
      maxContentBytes: options.maxContentBytes,
      blobLock: coordination.locks,
      ...(options.searchBudgetMs !== undefined ? { searchBudgetMs: options.searchBudgetMs } : {}),
    });
    const auth = new Authenticator(directory, keys, undefined, new SessionRevocationRepository(store));
    const scrubber = new ResidueScrubber(store, log);
    const erasures = new ErasureService(vault, keys.receipt, scrubber);
    const { target, ...exportOptions } = options.exports ?? {};
    if (target) {
      const client = await s3ClientOf(target);
      const closeBucket = closeBlobs;
      closeBlobs = async () => {
        client.destroy();
        await closeBucket();
      };
      const { checkBucket } = await import('./blobs/s3-blob-store.js');
      await checkBucket(client, target.bucket).catch((err: Error) => {
        throw new Error(`--export-target: ${err.message}`);
      });
      exportOptions.bucket = { client, bucket: target.bucket, prefix: target.prefix };
    }
    const exports = new ExportService(vault, { root: join(options.dataDir, 'exports'), ...EXPORT_DEFAULTS, ...exportOptions });
    const retention = new RetentionService(vault, directory);
    // The policies of the principals file are proposed like an admin's (a change that removes more waits its grace period).
    if (options.migrate !== false) await retention.syncConfig();
    let running: Promise<SweepReport> | undefined;
    const sweep = (overrides: Partial<typeof SWEEP_DEFAULTS> = {}) => {
      const settings = { ...SWEEP_DEFAULTS, ...(options.sweep || {}), ...overrides };
      // One sweep at a time; a request during a sweep waits for a fresh one.
      const next = (running ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => vault.sweep(settings))
        .then((report) => {
          if (report.tempFiles.length + report.blobs.length + report.restored.length > 0) log(describeSweep(report));
          return report;
        });
      running = next;
      return next;
    };
    let timer: NodeJS.Timeout | undefined;
    if (options.sweep !== false) {
      const background = () => sweep().catch((err: Error) => log(`sweep failed: ${err.message}`));
      void background();
      timer = setInterval(background, options.sweep?.intervalMs ?? SWEEP_DEFAULTS.intervalMs);
      timer.unref();
    }
    let retentionTimer: NodeJS.Timeout | undefined;
    let retentionRun: Promise<unknown> | undefined;
    if (options.retention) {
      const enforce = () => {
        if (retentionRun) return;
        retentionRun = retention
          .runAll()
          .then((reports) => {
            for (const r of reports)
              if (r.interactions.removed + r.content.removed + r.interactions.held + r.content.held > 0)
                log(
                  `retention ${r.tenantId}: removed ${r.interactions.removed} interactions and ${r.content.removed} content items, ` +
                    `kept ${r.interactions.held + r.content.held} under legal hold`,
                );
          })
          .catch((err: Error) => log(`retention failed: ${err.message}`))
          .finally(() => {
            retentionRun = undefined;
          });
      };
      retentionTimer = setInterval(enforce, options.retention.intervalMs);
      retentionTimer.unref();
    }
    const close = async () => {
      if (timer) clearInterval(timer);
      await exports.stop();
      if (retentionTimer) clearInterval(retentionTimer);
      await retentionRun;
      await running?.catch(() => undefined);
      await scrubber.stop();
      await closeBlobs();
      await store.close();
      await coordination?.close();
    };
    return {
      store,
      blobs,
      blobLocation: opened.location,
      vault,
      erasures,
      scrubber,
      exports,
      retention,
      auth,
      directory,
      keys,
      coordination,
      migrationsApplied,
      sweep,
      close,
    };
  } catch (err) {
    await closeBlobs().catch(() => {});
    await store.close().catch(() => {});
    await coordination?.close().catch(() => {});
    throw err;
  }
}

function describeSweep(report: SweepReport): string {
  const parts = [
    `removed ${report.tempFiles.length} temporary upload files (${report.tempBytes} bytes)`,
    `${report.blobs.length} unreferenced blobs (${report.blobBytes} bytes)`,
  ];
  if (report.restored.length > 0) parts.push(`put back ${report.restored.length} referenced blobs a crashed release had taken`);
  const names = [...report.tempFiles.map((f) => `.tmp/${f}`), ...report.blobs].slice(0, 20);
  return `sweep: ${parts.join(', ')}${names.length > 0 ? `: ${names.join(', ')}` : ''}`;
}
