/** Listening and graceful shutdown: in-flight requests and uploads finish before the database closes. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { EdgeLimits } from './config.js';
import { defaultLogFormat, type LogFormat, logAccess, prettyStream } from './logging.js';
import type { Runtime } from './runtime.js';

/** How long a graceful shutdown waits for requests under way before it closes their connections. */
const SHUTDOWN_GRACE_MS = 15_000;

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  host: string;
  port: number;
  logLevel?: string;
  /** `pretty` for a person at a terminal, `json` for machines (the default when stdout is not a terminal). */
  logFormat?: LogFormat;
  quiet?: boolean;
  resultTtlMs?: number;
  limits?: Partial<EdgeLimits>;
}

/** A listen error a person can act on: the port is taken, or the address is not this machine's. */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export function listenHint(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${where} is already in use (another ixvault on that port?): stop it, or choose another port with --port N or IXVAULT_PORT=N`;
    case 'EACCES':
      return `not allowed to listen on ${where} (ports below 1024 need privileges): choose another port with --port N or IXVAULT_PORT=N`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine: choose another with --host ADDR or IXVAULT_HOST`;
    default:
      return `cannot listen on ${where}: ${err.message}`;
  }
}

export async function startServer(runtime: Runtime, options: ServerOptions): Promise<RunningServer> {
  // The batch writer thread (SQLite) loads its modules now, not during the first batch.
  runtime.vault.store.batches?.warm();
  const format = options.logFormat ?? defaultLogFormat();
  const app = await buildApp(runtime, {
    logger: options.quiet
      ? false
      : {
          level: options.logLevel ?? 'info',
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          ...(format === 'pretty' ? { stream: prettyStream() } : {}),
        },
    // One compact access line per request (logAccess) instead of Fastify's "incoming"/"completed" pair.
    disableRequestLogging: true,
    resultTtlMs: options.resultTtlMs,
    limits: options.limits,
  });
  if (!options.quiet) logAccess(app);
  let closing = false;
  // Keep-alive connections busy when shutdown starts would otherwise hold app.close() until their
  // idle timeout: their last response tells the client to close.
  // Synchronous (`done`): no promise on every answer.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close().catch(() => {});
    const errno = err as NodeJS.ErrnoException;
    throw new ListenError(listenHint(errno, options.host, options.port), errno.code);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      closing = true;
      // Requests under way get SHUTDOWN_GRACE_MS to finish; then every connection still open is cut, so
      // that one stuck connection cannot hold the process, and with it the database, open for ever.
      const deadline = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      deadline.unref();
      await app.close();
      clearTimeout(deadline);
      await runtime.close();
    })();
    return stopping;
  };
  return { app, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, stop };
}
