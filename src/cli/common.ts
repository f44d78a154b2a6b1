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
    .option('--data <dir>', 'data directory: SQLite files, blobs, secret (env IXVAULT_DATA; default ./data)', undefined)
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

/** A numeric flag's value, refused with the flag's name when it is not a whole number of at least `min`. */
export function wholeNumber(flag: string, value: string, min = 1): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min)
    throw new Error(`${flag} must be a whole number >= ${min}, got '${value}'`);
  return n;
}

/** `1 interaction`, `2 interactions`: a count with its noun, as a person would write it. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
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

/** The principals of a command that works on what exists: --config (or IXVAULT_CONFIG), else the demo's of DATA. */
export async function principalsOf(flags: StoreFlags): Promise<PrincipalsConfig> {
  const given = configOf(flags);
  return loadPrincipals({ ...given, configFile: principalsFileOf(given) });
}

/**
 * The tenants a maintenance command works on: --tenant, else every tenant of `principalsOf`. None is
 * an error naming what to give: before, `retention run` without --config did nothing and said nothing.
 */
export async function tenantIdsOf(flags: StoreFlags & { tenant?: string[] }, what: string): Promise<string[]> {
  const tenants = flags.tenant ?? (await principalsOf(flags)).tenants.map((t) => t.id);
  if (tenants.length === 0) throw noTenants(what);
  return tenants;
}

export function noTenants(what: string): Error {
  return new Error(`no tenants to ${what}: give the principals file (--config FILE, or IXVAULT_CONFIG) or --tenant ID`);
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
  }).catch((err: unknown) => {
    throw config.databaseUrl ? databaseError(err, config.databaseUrl) : err;
  });
  return { runtime, config };
}

/** What to check when PostgreSQL cannot be reached or refuses, by the error's code (Node's or PostgreSQL's). */
const DATABASE_HINTS: Record<string, string> = {
  ECONNREFUSED: 'is PostgreSQL running and listening there?',
  ENOTFOUND: 'is the host name right?',
  EAI_AGAIN: 'is the host name right?',
  ETIMEDOUT: 'is the host reachable from here (firewall, listen_addresses)?',
  '28P01': 'check the user and password in the URL',
  '28000': 'check pg_hba.conf allows this user from this host',
  '3D000': 'create the database first (createdb), or name an existing one',
};

/**
 * A connection error of --database-url, saying which server (never the password) and what to check:
 * before, a newcomer got `connect ECONNREFUSED 127.0.0.1:5432` with nothing naming the flag.
 */
export function databaseError(err: unknown, databaseUrl: string): unknown {
  const code = (err as { code?: unknown })?.code;
  const hint = typeof code === 'string' ? DATABASE_HINTS[code] : undefined;
  if (!hint) return err;
  let where = 'the --database-url server';
  try {
    const url = new URL(databaseUrl);
    where = `${url.hostname || 'localhost'}:${url.port || 5432}${url.pathname}`;
  } catch {}
  return new Error(
    `cannot open PostgreSQL at ${where} (--database-url or IXVAULT_DATABASE_URL): ${(err as Error).message}; ${hint}`,
  );
}
