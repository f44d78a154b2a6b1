/** Server settings: command-line flags first, then IXVAULT_* environment variables, then defaults. */
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Principals file (JSON or YAML). */
  configFile?: string;
  /** postgres://… selects PostgreSQL; otherwise embedded SQLite in dataDir. */
  databaseUrl?: string;
  /** Largest accepted content upload, in bytes. */
  maxContentBytes: number;
  /** How long a Genesys result waits for a CometD session of its user. */
  resultTtlMs: number;
  logLevel: string;
  /** false: never change the database schema (`serve --no-migrate`, IXVAULT_NO_MIGRATE=1). */
  migrate: boolean;
  /** `pretty` or `json`; undefined: pretty on a terminal, JSON otherwise. */
  logFormat?: string;
  /** Time budget of a full-text search, milliseconds. */
  searchBudgetMs: number;
  /** Export jobs of embedded mode write under this directory (default DATA/exports). */
  exportDir: string;
  /** Export jobs write to this bucket instead (`--export-target s3://bucket/prefix`, the --s3-* flags' endpoint and keys). */
  exportTarget?: S3Config;
  /** How often a server looks for due export jobs, how long its claim on one lasts, interactions per batch. */
  exportPollMs: number;
  exportLeaseMs: number;
  exportBatchSize: number;
  /** How often `serve` enforces retention policies; 0: never (run `ixvault retention run` instead). */
  retentionIntervalMs: number;
  /** redis://… : what cluster nodes share (sessions' results, referenceIds, rate limits, locks). */
  redisUrl?: string;
  /** A PostgreSQL node without Redis runs only as the one node of its database (`--single-node`). */
  singleNode: boolean;
  /** PostgreSQL connections of this node. */
  poolSize?: number;
  /** Where content bytes live: files under dataDir/blobs (the default) or an S3 bucket. */
  blobStore: BlobStoreConfig;
}

export type BlobStoreConfig =
  | { kind: 'fs' }
  | ({
      kind: 's3';
      /** Downloads answered by a redirect to a presigned S3 URL instead of streamed through the node. */
      downloadRedirect?: boolean;
    } & S3Config);

/** An S3 bucket (Amazon S3 or a compatible server: Ceph RGW, MinIO…), from `--blob-store s3://bucket/prefix`. */
export interface S3Config {
  bucket: string;
  /** Key prefix: '' or ending with '/'. */
  prefix: string;
  /** Custom endpoint (a compatible server); undefined: Amazon S3 of the region. */
  endpoint?: string;
  region: string;
  /** Path-style requests (`endpoint/bucket/key`): what most compatible servers need; default on with an endpoint. */
  forcePathStyle: boolean;
  /** Both or neither; neither: the SDK's default chain (environment, shared files, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** The flags of the blob store; each falls back to the variable in its help text. */
export interface BlobStoreFlags {
  blobStore?: string | undefined;
  exportTarget?: string | undefined;
  s3Endpoint?: string | undefined;
  s3Region?: string | undefined;
  s3PathStyle?: boolean | undefined;
  s3AccessKeyId?: string | undefined;
  s3SecretAccessKey?: string | undefined;
  s3DownloadRedirect?: boolean | undefined;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  maxContentBytes: 4 * 1024 ** 3,
  resultTtlMs: 60_000,
  logLevel: 'info',
  searchBudgetMs: 3000,
  exportPollMs: 5_000,
  exportLeaseMs: 30_000,
  exportBatchSize: 50,
  retentionIntervalMs: 3_600_000,
} as const;

type ScalarKey = Exclude<keyof ServerConfig, 'migrate' | 'singleNode' | 'blobStore'>;
type Flags = Partial<Record<ScalarKey, string | number | undefined>> & {
  migrate?: boolean;
  singleNode?: boolean;
  blob?: BlobStoreFlags;
};

export function resolveConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const pick = (key: ScalarKey, envName: string) => {
    const value = flags[key] ?? env[envName];
    return value === undefined || value === '' ? undefined : String(value);
  };
  const number = (key: ScalarKey, envName: string, fallback: number) => {
    const raw = pick(key, envName);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${key} (${envName}) must be a number, got '${raw}'`);
    return n;
  };
  const config: ServerConfig = {
    host: pick('host', 'IXVAULT_HOST') ?? DEFAULTS.host,
    port: number('port', 'IXVAULT_PORT', DEFAULTS.port),
    dataDir: resolve(pick('dataDir', 'IXVAULT_DATA') ?? DEFAULTS.dataDir),
    maxContentBytes: number('maxContentBytes', 'IXVAULT_MAX_CONTENT_BYTES', DEFAULTS.maxContentBytes),
    resultTtlMs: number('resultTtlMs', 'IXVAULT_RESULT_TTL_MS', DEFAULTS.resultTtlMs),
    logLevel: pick('logLevel', 'IXVAULT_LOG_LEVEL') ?? DEFAULTS.logLevel,
    exportDir: '',
    exportPollMs: number('exportPollMs', 'IXVAULT_EXPORT_POLL_MS', DEFAULTS.exportPollMs),
    exportLeaseMs: number('exportLeaseMs', 'IXVAULT_EXPORT_LEASE_MS', DEFAULTS.exportLeaseMs),
    exportBatchSize: Math.max(1, number('exportBatchSize', 'IXVAULT_EXPORT_BATCH_SIZE', DEFAULTS.exportBatchSize)),
    retentionIntervalMs: number('retentionIntervalMs', 'IXVAULT_RETENTION_INTERVAL_MS', DEFAULTS.retentionIntervalMs),
    searchBudgetMs: number('searchBudgetMs', 'IXVAULT_SEARCH_BUDGET_MS', DEFAULTS.searchBudgetMs),
    migrate: flags.migrate !== false && !isSet(env.IXVAULT_NO_MIGRATE),
    singleNode: flags.singleNode === true || isSet(env.IXVAULT_SINGLE_NODE),
    blobStore: resolveBlobStore(flags.blob ?? {}, env),
  };
  config.exportDir = resolve(pick('exportDir', 'IXVAULT_EXPORT_DIR') ?? join(config.dataDir, 'exports'));
  const exportTarget = flags.blob?.exportTarget ?? (env.IXVAULT_EXPORT_TARGET || undefined);
  if (exportTarget !== undefined)
    config.exportTarget = resolveS3(exportTarget, '--export-target (IXVAULT_EXPORT_TARGET)', flags.blob ?? {}, env);
  const redisUrl = pick('redisUrl', 'IXVAULT_REDIS_URL');
  if (redisUrl) {
    if (!/^rediss?:\/\//.test(redisUrl))
      throw new Error(`--redis-url (IXVAULT_REDIS_URL) must be redis://… or rediss://…, got '${redisUrl}'`);
    config.redisUrl = redisUrl;
  }
  const poolSize = number('poolSize', 'IXVAULT_DB_POOL_SIZE', 0);
  if (poolSize > 0) config.poolSize = poolSize;
  const configFile = pick('configFile', 'IXVAULT_CONFIG');
  if (configFile) config.configFile = resolve(configFile);
  const logFormat = pick('logFormat', 'IXVAULT_LOG_FORMAT');
  if (logFormat) config.logFormat = logFormat;
  const databaseUrl = pick('databaseUrl', 'IXVAULT_DATABASE_URL');
  if (databaseUrl) config.databaseUrl = databaseUrl;
  return config;
}

function isSet(value: string | undefined): boolean {
  return ['1', 'true', 'yes'].includes((value ?? '').toLowerCase());
}

/**
 * How a server runs: alone on embedded SQLite, alone on PostgreSQL, or as a
 * node of a cluster. Several nodes on one PostgreSQL database need Redis:
 * without it each node keeps CometD sessions, held Genesys results,
 * referenceIds and rate limits to itself, and a result computed on one node
 * never reaches a session on another. So a PostgreSQL server without Redis
 * refuses to start unless told it is the only node.
 */
export type Topology = 'embedded' | 'single-node' | 'cluster';

export function topologyOf(config: ServerConfig): Topology {
  if (config.redisUrl) {
    if (!config.databaseUrl)
      throw new Error('--redis-url is for the nodes of a cluster, which share one PostgreSQL database: give --database-url too');
    return 'cluster';
  }
  if (!config.databaseUrl) return 'embedded';
  if (config.singleNode) return 'single-node';
  throw new Error(
    'a server on PostgreSQL (--database-url) may share its database with other ixvault nodes, but without Redis ' +
      'each node keeps CometD sessions, held Genesys results, referenceIds and rate limits to itself: results computed ' +
      'on one node would never reach sessions on another. Give --redis-url redis://HOST:6379 (env IXVAULT_REDIS_URL) ' +
      'for a cluster, or --single-node (env IXVAULT_SINGLE_NODE=1) if this is the only ixvault on this database.',
  );
}

/**
 * `--blob-store` (IXVAULT_BLOB_STORE): absent, the file system under the data
 * directory; `s3://bucket/prefix`, a bucket, configured by the --s3-* flags or
 * the standard AWS variables (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
 * AWS_REGION / AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN; without keys, the SDK's default chain: AWS_PROFILE, shared
 * files, instance roles). IXVAULT_S3_PATH_STYLE=0/1 overrides the path-style default;
 * --s3-download-redirect (IXVAULT_S3_DOWNLOAD_REDIRECT=1) answers downloads with
 * a redirect to a presigned URL of the bucket.
 */
export function resolveBlobStore(flags: BlobStoreFlags, env: NodeJS.ProcessEnv = process.env): BlobStoreConfig {
  const raw = flags.blobStore ?? (env.IXVAULT_BLOB_STORE || undefined);
  if (raw === undefined) return { kind: 'fs' };
  const redirectEnv = env.IXVAULT_S3_DOWNLOAD_REDIRECT?.toLowerCase();
  const downloadRedirect = flags.s3DownloadRedirect ?? (redirectEnv ? ['1', 'true', 'yes', 'on'].includes(redirectEnv) : false);
  return {
    kind: 's3',
    ...resolveS3(raw, '--blob-store (IXVAULT_BLOB_STORE)', flags, env),
    ...(downloadRedirect ? { downloadRedirect } : {}),
  };
}

/** A bucket from `s3://bucket/prefix` (`setting` names the flag in errors), with the --s3-* flags or AWS variables. */
function resolveS3(raw: string, setting: string, flags: BlobStoreFlags, env: NodeJS.ProcessEnv): S3Config {
  const m = /^s3:\/\/([^/?#]+)(?:\/([^?#]*))?$/.exec(raw);
  if (!m?.[1]) throw new Error(`${setting} must be s3://bucket or s3://bucket/prefix, got '${raw}'`);
  const bucket = m[1];
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new Error(`${setting}: '${bucket}' is not a valid bucket name (3-63 lower-case letters, digits, dots, hyphens)`);
  const path = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (path.split('/').some((segment) => segment === '.' || segment === '..'))
    throw new Error(`${setting}: the prefix '${path}' may not hold '.' or '..' segments`);
  const endpoint = flags.s3Endpoint ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined);
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint))
    throw new Error(`--s3-endpoint (AWS_ENDPOINT_URL) must be an http(s) URL, got '${endpoint}'`);
  const pathStyleEnv = env.IXVAULT_S3_PATH_STYLE?.toLowerCase();
  const forcePathStyle =
    flags.s3PathStyle ?? (pathStyleEnv ? ['1', 'true', 'yes', 'on'].includes(pathStyleEnv) : endpoint !== undefined);
  const config: S3Config = {
    bucket,
    prefix: path ? `${path}/` : '',
    region: flags.s3Region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'),
    forcePathStyle,
  };
  if (endpoint !== undefined) config.endpoint = endpoint;
  const accessKeyId = flags.s3AccessKeyId ?? (env.AWS_ACCESS_KEY_ID || undefined);
  const secretAccessKey = flags.s3SecretAccessKey ?? (env.AWS_SECRET_ACCESS_KEY || undefined);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
    throw new Error(
      'S3 credentials need both --s3-access-key-id (AWS_ACCESS_KEY_ID) and --s3-secret-access-key (AWS_SECRET_ACCESS_KEY)',
    );
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    config.credentials = { accessKeyId, secretAccessKey };
    if (env.AWS_SESSION_TOKEN && flags.s3AccessKeyId === undefined) config.credentials.sessionToken = env.AWS_SESSION_TOKEN;
  }
  return config;
}

/**
 * What the HTTP edge bounds: bodies, time, origins, request rates and the
 * memory Genesys results may hold. Every one has a flag and an IXVAULT_*
 * variable (see EDGE_SETTINGS); 0 turns a rate limit off.
 */
export interface EdgeLimits {
  /** Largest parsed (JSON) request body, bytes. Content uploads have maxContentBytes. */
  bodyLimitBytes: number;
  /** Largest Bayeux (CometD) request body, bytes: a message batch is small. */
  bayeuxBodyLimitBytes: number;
  /** CometD sessions one principal may have open at once (each is memory until it times out). */
  bayeuxSessionsPerPrincipal: number;
  /** Grace for a request body: after it, the body must average bodyMinBytesPerSecond (parsed or streamed alike). */
  bodyTimeoutMs: number;
  bodyMinBytesPerSecond: number;
  /** Time allowed to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time allowed to receive a whole request, streamed uploads included. */
  requestTimeoutMs: number;
  /** Origins allowed to call the APIs and the CometD endpoint from a browser (CORS, CSRF check). */
  corsOrigins: string[];
  /** Whether the CometD endpoint answers JSON-P (callback-polling) GETs. */
  jsonp: boolean;
  /**
   * Addresses or CIDR ranges of the load balancers and TLS proxies in front of this node: only a
   * connection from one of them has its X-Forwarded-For/-Proto/-Host believed. Empty: none is.
   */
  trustedProxies: string[];
  /** Requests per minute per authenticated principal; 0: no limit. */
  rateLimitPerMinute: number;
  /** Requests per minute per IP address on routes that need no credentials; 0: no limit. */
  ipRateLimitPerMinute: number;
  /** Milliseconds of text search (q) a principal may spend a minute, charged by elapsed time; 0: no limit. */
  searchTimePerMinuteMs: number;
  /** Genesys searches computing at once, per principal and in all. */
  pendingSearchesPerPrincipal: number;
  pendingSearches: number;
  /** Bytes of Genesys results waiting for a CometD session, per principal and in all. */
  heldBytesPerPrincipal: number;
  heldBytes: number;
  /** Threads that verify passwords (scrypt), and how many checks may wait for one. */
  passwordWorkers: number;
  passwordQueue: number;
}

export const EDGE_DEFAULTS: EdgeLimits = {
  bodyLimitBytes: 64 * 1024 ** 2,
  bayeuxBodyLimitBytes: 256 * 1024,
  bayeuxSessionsPerPrincipal: 32,
  bodyTimeoutMs: 30_000,
  bodyMinBytesPerSecond: 16 * 1024,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 15 * 60_000,
  corsOrigins: [],
  jsonp: false,
  trustedProxies: [],
  rateLimitPerMinute: 60_000,
  ipRateLimitPerMinute: 12_000,
  searchTimePerMinuteMs: 20_000,
  pendingSearchesPerPrincipal: 16,
  pendingSearches: 512,
  heldBytesPerPrincipal: 16 * 1024 ** 2,
  heldBytes: 256 * 1024 ** 2,
  passwordWorkers: 1,
  passwordQueue: 64,
};

/** Each limit's environment variable; the flag is the kebab-case of its name (`--body-limit-bytes`). */
export const EDGE_ENV: Record<keyof EdgeLimits, string> = {
  bodyLimitBytes: 'IXVAULT_BODY_LIMIT_BYTES',
  bayeuxBodyLimitBytes: 'IXVAULT_BAYEUX_BODY_LIMIT_BYTES',
  bayeuxSessionsPerPrincipal: 'IXVAULT_BAYEUX_SESSIONS_PER_PRINCIPAL',
  bodyTimeoutMs: 'IXVAULT_BODY_TIMEOUT_MS',
  bodyMinBytesPerSecond: 'IXVAULT_BODY_MIN_BYTES_PER_SECOND',
  headersTimeoutMs: 'IXVAULT_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'IXVAULT_REQUEST_TIMEOUT_MS',
  corsOrigins: 'IXVAULT_CORS_ORIGIN',
  jsonp: 'IXVAULT_JSONP',
  trustedProxies: 'IXVAULT_TRUSTED_PROXIES',
  rateLimitPerMinute: 'IXVAULT_RATE_LIMIT',
  ipRateLimitPerMinute: 'IXVAULT_IP_RATE_LIMIT',
  searchTimePerMinuteMs: 'IXVAULT_SEARCH_TIME_PER_MINUTE_MS',
  pendingSearchesPerPrincipal: 'IXVAULT_PENDING_SEARCHES_PER_PRINCIPAL',
  pendingSearches: 'IXVAULT_PENDING_SEARCHES',
  heldBytesPerPrincipal: 'IXVAULT_HELD_BYTES_PER_PRINCIPAL',
  heldBytes: 'IXVAULT_HELD_BYTES',
  passwordWorkers: 'IXVAULT_PASSWORD_WORKERS',
  passwordQueue: 'IXVAULT_PASSWORD_QUEUE',
};

/** Flags first, then the environment, then EDGE_DEFAULTS. The lists take a list or a comma-separated string. */
export function resolveEdgeLimits(
  flags: Partial<Record<keyof EdgeLimits, string | number | boolean | string[] | undefined>>,
  env: NodeJS.ProcessEnv = process.env,
): EdgeLimits {
  const limits: EdgeLimits = { ...EDGE_DEFAULTS, corsOrigins: [], trustedProxies: [] };
  for (const key of Object.keys(EDGE_DEFAULTS) as (keyof EdgeLimits)[]) {
    const raw = flags[key] ?? env[EDGE_ENV[key]];
    if (raw === undefined || raw === '') continue;
    if (key === 'corsOrigins') {
      limits.corsOrigins = listOf(raw).map((v) => normalizeOrigin(v, EDGE_ENV[key]));
    } else if (key === 'trustedProxies') {
      limits.trustedProxies = listOf(raw);
      checkProxyAddresses(limits.trustedProxies, EDGE_ENV[key]);
    } else if (key === 'jsonp') {
      limits.jsonp = raw === true || /^(1|true|yes|on)$/i.test(String(raw));
    } else {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${key} (${EDGE_ENV[key]}) must be a whole number ≥ 0, got '${raw}'`);
      limits[key] = n;
    }
  }
  return limits;
}

function listOf(raw: string | number | boolean | string[]): string[] {
  return [raw]
    .flat()
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** The named ranges the proxy check knows besides addresses (client-address.ts compiles the list). */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Every entry an address, a CIDR range (`10.0.0.0/8`, `fd00::/8`) or a named
 * range, checked here with node:net (every command reads this module: the
 * proxy check's own package loads with the server only).
 */
function checkProxyAddresses(list: string[], envName: string): void {
  for (const entry of list) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const valid =
      NAMED_RANGES.has(entry) ||
      (family !== 0 &&
        rest.length === 0 &&
        (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))));
    if (!valid)
      throw new Error(`--trusted-proxies (${envName}) must be IP addresses or CIDR ranges, comma-separated, got '${entry}'`);
  }
}

/** `https://console.example.com` as browsers send it in Origin: scheme, host and port only. */
function normalizeOrigin(value: string, envName: string): string {
  try {
    const url = new URL(value);
    if (url.origin === 'null') throw new Error();
    return url.origin;
  } catch {
    throw new Error(`--cors-origin (${envName}) must be origins like https://host:port, got '${value}'`);
  }
}
