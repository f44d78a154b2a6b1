/** Listening and graceful shutdown: in-flight requests and uploads finish before the database closes. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { EdgeLimits } from './config.js';
import type { Runtime } from './runtime.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

export async function startServer(
  runtime: Runtime,
  options: {
    host: string;
    port: number;
    logLevel?: string;
    quiet?: boolean;
    resultTtlMs?: number;
    limits?: Partial<EdgeLimits>;
  },
): Promise<RunningServer> {
  const app = await buildApp(runtime, {
    logger: options.quiet
      ? false
      : { level: options.logLevel ?? 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] },
    resultTtlMs: options.resultTtlMs,
    limits: options.limits,
  });
  let closing = false;
  // Keep-alive connections busy when shutdown starts would otherwise hold app.close() until their
  // idle timeout: their last response tells the client to close.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      closing = true;
      await app.close();
      await runtime.close();
    })();
    return stopping;
  };
  return { app, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, stop };
}
