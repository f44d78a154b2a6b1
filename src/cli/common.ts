/**
 * Options every command that opens the store shares, and opening it. The
 * runtime (database drivers, blob store) is imported only when a command
 * opens it, so `--help` and the principals commands answer at once.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import type { PrincipalsConfig } from '../auth/directory.js';
import { resolveConfig, type ServerConfig } from '../config.js';
import type { Runtime, RuntimeOptions } from '../runtime.js';

export interface StoreFlags {
  data?: string;
  config?: string;
  databaseUrl?: string;
  /** false with `serve --no-migrate`. */
  migrate?: boolean;
  exportDir?: string;
  /** `serve` only. */
  redisUrl?: string;
  singleNode?: boolean;
  dbPoolSize?: string;
  blobStore?: string;
  exportTarget?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  s3AccessKeyId?: string;
  s3SecretAccessKey?: string;
  s3DownloadRedirect?: boolean;
}

export function addStoreOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data directory: SQLite files, blobs, secret (env IXVAULT_DATA)', undefined)
    .option('--config <file>', 'principals file, JSON or YAML (env IXVAULT_CONFIG)')
    .option('--database-url <url>', 'PostgreSQL URL instead of embedded SQLite (env IXVAULT_DATABASE_URL)')
    .option('--export-dir <dir>', 'where export jobs write in embedded mode (env IXVAULT_EXPORT_DIR; default DATA/exports)')
    .option(
      '--blob-store <url>',
      'content in an S3 bucket, s3://bucket/prefix, instead of files under DATA/blobs (env IXVAULT_BLOB_STORE)',
    )
    .option(
      '--export-target <url>',
      'export jobs write to an S3 bucket, s3://bucket/prefix, instead of --export-dir (env IXVAULT_EXPORT_TARGET; same --s3-* settings)',
    )
    .option(
      '--s3-endpoint <url>',
      'S3-compatible endpoint, e.g. http://127.0.0.1:7480 (env AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)',
    )
    .option('--s3-region <region>', 'S3 region (env AWS_REGION, AWS_DEFAULT_REGION; default us-east-1)')
    .option(
      '--s3-path-style',
      'path-style S3 requests, endpoint/bucket/key (env IXVAULT_S3_PATH_STYLE=1; default with --s3-endpoint)',
    )
    .option('--no-s3-path-style', 'virtual-hosted S3 requests, bucket.endpoint/key (env IXVAULT_S3_PATH_STYLE=0)')
    .option('--s3-access-key-id <id>', 'S3 access key (env AWS_ACCESS_KEY_ID; without keys: the AWS default chain)')
    .option(
      '--s3-secret-access-key <secret>',
      'S3 secret key (env AWS_SECRET_ACCESS_KEY, preferred: a flag shows in the process list)',
    )
    .option(
      '--s3-download-redirect',
      'answer content downloads with a redirect to a presigned S3 URL, valid 60 s, after the read is authorised and audited (env IXVAULT_S3_DOWNLOAD_REDIRECT=1)',
    );
}

export function configOf(
  flags: StoreFlags & {
    port?: string;
    host?: string;
    maxContentBytes?: string;
    resultTtlMs?: string;
    retentionIntervalMs?: string;
    searchBudgetMs?: string;
  },
): ServerConfig {
  return resolveConfig({
    dataDir: flags.data,
    configFile: flags.config,
    databaseUrl: flags.databaseUrl,
    port: flags.port,
    host: flags.host,
    maxContentBytes: flags.maxContentBytes,
    resultTtlMs: flags.resultTtlMs,
    retentionIntervalMs: flags.retentionIntervalMs,
    searchBudgetMs: flags.searchBudgetMs,
    migrate: flags.migrate,
    exportDir: flags.exportDir,
    redisUrl: flags.redisUrl,
    singleNode: flags.singleNode,
    poolSize: flags.dbPoolSize,
    blob: {
      blobStore: flags.blobStore,
      exportTarget: flags.exportTarget,
      s3Endpoint: flags.s3Endpoint,
      s3Region: flags.s3Region,
      s3PathStyle: flags.s3PathStyle,
      s3AccessKeyId: flags.s3AccessKeyId,
      s3SecretAccessKey: flags.s3SecretAccessKey,
      s3DownloadRedirect: flags.s3DownloadRedirect,
    },
  });
}

/** Where `serve --demo` keeps the demo principals. */
export function demoPrincipalsFile(config: ServerConfig): string {
  return join(config.dataDir, 'demo-principals.json');
}

/**
 * The principals file a command uses: --config (or IXVAULT_CONFIG), else the
 * demo principals in the data directory when `serve --demo` has written them.
 */
export function principalsFileOf(config: ServerConfig): string | undefined {
  if (config.configFile) return config.configFile;
  const demo = demoPrincipalsFile(config);
  return existsSync(demo) ? demo : undefined;
}

/** A path as a person would type it: relative to the working directory when inside it. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export async function loadPrincipals(config: ServerConfig): Promise<PrincipalsConfig> {
  if (!config.configFile) return { tenants: [] };
  if (!existsSync(config.configFile)) throw new Error(`config file ${config.configFile} does not exist`);
  const { readPrincipalsConfig } = await import('../auth/directory.js');
  return readPrincipalsConfig(config.configFile);
}

export async function openFromFlags(
  flags: StoreFlags,
  principals?: PrincipalsConfig,
  extra: Pick<RuntimeOptions, 'retention'> = {},
): Promise<{ runtime: Runtime; config: ServerConfig }> {
  const config = configOf(flags);
  const { openRuntime } = await import('../runtime.js');
  const runtime = await openRuntime({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    principals: principals ?? (await loadPrincipals(config)),
    maxContentBytes: config.maxContentBytes,
    searchBudgetMs: config.searchBudgetMs,
    blobStore: config.blobStore,
    secret: process.env.IXVAULT_SECRET,
    migrate: config.migrate,
    exports: {
      root: config.exportDir,
      ...(config.exportTarget ? { target: config.exportTarget } : {}),
      pollMs: config.exportPollMs,
      leaseMs: config.exportLeaseMs,
      batchSize: config.exportBatchSize,
    },
    redisUrl: config.redisUrl,
    ...(config.poolSize ? { poolSize: config.poolSize } : {}),
    ...extra,
  });
  return { runtime, config };
}
