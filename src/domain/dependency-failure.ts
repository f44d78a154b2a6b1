/**
 * Whether an error says that something ixvault depends on failed (the
 * database, the blob store's disk or bucket, Redis), rather than that ixvault
 * itself is wrong: such a request is answered 503 with Retry-After
 * (`errors.unavailable`), since the same request succeeds once the dependency
 * is back; every other unexpected error stays a 500. Read from the error's
 * shape (its code, name, or, where a driver gives nothing else, its fixed
 * message), along its `cause` chain; no I/O.
 */

/** Node's system errors of a connection or of a disk that cannot take more. */
const SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  // A disk that is full, over quota, read-only or failing (the blob directory, the data directory).
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EIO',
]);

/**
 * PostgreSQL's SQLSTATEs of a server that cannot serve now: class 08 (connection exception), 53 (insufficient
 * resources: disk full, out of memory, too many connections), 57P01–57P03 (shutting down, crashed, starting),
 * 58030 (I/O error).
 */
const POSTGRES_STATES = /^(08...|53...|57P0[1-3]|58030)$/;

/** SQLite's result codes (better-sqlite3's `code`) of a database file that cannot be written or read now. */
const SQLITE_CODES = /^SQLITE_(FULL|IOERR(_\w+)?|CANTOPEN(_\w+)?|BUSY(_\w+)?|READONLY(_\w+)?|NOMEM)$/;

/**
 * The messages pg and pg-pool give a connection that ended or could not be made in time: errors with no code,
 * so their fixed texts are all there is to read.
 */
const POSTGRES_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  // A new connection not made within its connectionTimeoutMillis.
  'timeout expired',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/** ioredis: a command given up after its retries, a command sent on a closed connection, a command timed out. */
const REDIS_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const REDIS_MESSAGES = [
  'Connection is closed.',
  'Command timed out',
  "Stream isn't writeable and enableOfflineQueue options is false",
];
/** Redis's own replies of a server that cannot serve now (loading its data, a replica without its primary). */
const REDIS_REPLIES = /^(LOADING|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|BUSY)\b/;

/** The AWS SDK's (smithy's) names of a request that timed out or could not reach the endpoint. */
const S3_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function isDependencyFailure(err: unknown): boolean {
  const seen = new Set<unknown>();
  const check = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return false;
    seen.add(value);
    const e = value as ErrorShape;
    const code = typeof e.code === 'string' ? e.code : undefined;
    const name = typeof e.name === 'string' ? e.name : undefined;
    const message = typeof e.message === 'string' ? e.message : '';
    if (code !== undefined && (SYSTEM_CODES.has(code) || POSTGRES_STATES.test(code) || SQLITE_CODES.test(code))) return true;
    if (POSTGRES_MESSAGES.includes(message)) return true;
    if ((name !== undefined && REDIS_NAMES.has(name)) || REDIS_MESSAGES.includes(message)) return true;
    if (name === 'ReplyError' && REDIS_REPLIES.test(message)) return true;
    if (name !== undefined && S3_NAMES.has(name)) return true;
    // An S3 answer of a server that failed or is overloaded (500 InternalError, 503 SlowDown, 502/504 on the way).
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === 'number' && [500, 502, 503, 504].includes(status)) return true;
    if (Array.isArray(e.errors) && e.errors.some(check)) return true;
    return check(e.cause);
  };
  return check(err);
}
