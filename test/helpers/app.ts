/**
 * The real ixvault app built in-process, driven through `app.inject` (no socket,
 * no port): the layer every HTTP test uses unless it needs a real connection
 * (CometD, shutdown, client disconnects, the CLI). It has the same shape as a
 * listening TestServer, so a test reads the same either way: its `url` is a
 * made-up origin that `call` and `send` (test/helpers/server.ts) route to
 * `app.inject`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabase, IN_PROCESS, PRINCIPALS, type TestServer, type TestServerOptions, testServerOf } from './server.js';

let built = 0;

/** Builds the app on the run's backend (a fresh SQLite directory or PostgreSQL database). */
export async function build(options: Omit<TestServerOptions, 'port'> = {}): Promise<TestServer> {
  const dataDir = options.reuse?.dataDir ?? (await mkdtemp(join(tmpdir(), 'ixvault-test-')));
  const databaseUrl = options.reuse ? options.reuse.databaseUrl : await createTestDatabase();
  const runtime = await openRuntime({
    dataDir,
    databaseUrl,
    principals: options.principals ?? PRINCIPALS,
    maxContentBytes: options.maxContentBytes ?? 64 * 1024 * 1024,
    secret: 'test-secret-not-for-production-0123456789',
    poolSize: 4,
    blobStore: options.blobStore,
  });
  return serveInProcess(runtime, {
    dataDir,
    databaseUrl,
    resultTtlMs: options.resultTtlMs,
    limits: options.limits,
    close: () => runtime.close(),
  });
}

/**
 * The app on an open runtime, reachable at a made-up origin through `app.inject`. `close` ends what the caller
 * opened (the runtime, and whatever it stands on) once the app is closed.
 */
export async function serveInProcess(
  runtime: Runtime,
  options: Pick<TestServerOptions, 'resultTtlMs' | 'limits'> & {
    dataDir: string;
    databaseUrl: string | undefined;
    beforeClose?: () => Promise<void>;
    close: () => Promise<void>;
  },
): Promise<TestServer> {
  const app = await buildApp(runtime, {
    resultTtlMs: options.resultTtlMs,
    // Rate limits and the search-time allowance are off unless a test asks for them, as in startTestServer: suites are never throttled.
    limits: { rateLimitPerMinute: 0, ipRateLimitPerMinute: 0, searchTimePerMinuteMs: 0, ...options.limits },
  });
  await app.ready();
  const url = `http://in-process-${process.pid}-${++built}.test`;
  IN_PROCESS.set(url, app);
  return testServerOf({
    url,
    app,
    runtime,
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    async stop() {
      IN_PROCESS.delete(url);
      await options.beforeClose?.();
      await app.close();
      await options.close();
    },
  });
}
