/**
 * The real app built in process (as test/helpers/app.ts does) with some of its
 * dependencies reached through a Link each, so a test can take one down, or
 * silent, under the running server and bring it back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { BlobStoreConfig, EdgeLimits } from '../../src/config.js';
import { openRuntime } from '../../src/runtime.js';
import { serveInProcess } from '../helpers/app.js';
import { createTestDatabase, PRINCIPALS, type TestServer } from '../helpers/server.js';
import { Link } from './link.js';

export interface LinkedServer extends TestServer {
  /** The link to PostgreSQL (PostgreSQL backend only). */
  database?: Link;
  redis?: Link;
  s3?: Link;
}

export async function buildThroughLinks(
  options: {
    database?: boolean;
    redisUrl?: string;
    blobStore?: BlobStoreConfig;
    dataDir?: string;
    /** Over no rate limits at all. */
    limits?: Partial<EdgeLimits>;
  } = {},
): Promise<LinkedServer> {
  // A directory the test gives is the test's to remove.
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ixvault-reliability-')));
  const links: { database?: Link; redis?: Link; s3?: Link } = {};
  let databaseUrl = await createTestDatabase();
  if (databaseUrl && options.database) {
    const linked = await Link.forUrl(databaseUrl, 5432);
    links.database = linked.link;
    databaseUrl = linked.url;
  }
  let redisUrl = options.redisUrl;
  if (redisUrl) {
    const linked = await Link.forUrl(redisUrl, 6379);
    links.redis = linked.link;
    redisUrl = linked.url;
  }
  let blobStore = options.blobStore;
  if (blobStore?.kind === 's3' && blobStore.endpoint) {
    const linked = await Link.forUrl(blobStore.endpoint, 80);
    links.s3 = linked.link;
    blobStore = { ...blobStore, endpoint: linked.url.replace(/\/$/, '') };
  }
  const runtime = await openRuntime({
    dataDir,
    databaseUrl,
    redisUrl,
    principals: PRINCIPALS,
    maxContentBytes: 64 * 1024 * 1024,
    secret: 'test-secret-not-for-production-0123456789',
    poolSize: 4,
    blobStore,
    sweep: false,
  });
  const server = await serveInProcess(runtime, {
    dataDir,
    databaseUrl,
    limits: options.limits,
    // Every link up again first, so that closing finds its dependencies.
    beforeClose: async () => {
      await Promise.all(Object.values(links).map((link) => link.up()));
    },
    close: async () => {
      await runtime.close();
      await Promise.all(Object.values(links).map((link) => link.close()));
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  });
  return Object.assign(server, links);
}

/** A 503 that names no internals: no stack, no driver's message, no host or port. */
export function expectUnavailable(res: { status: number; headers: Headers; body: unknown }, ...secrets: string[]): void {
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  const text = JSON.stringify(res.body);
  for (const secret of ['ECONN', 'at ', 'Connection terminated', 'stack', ...secrets]) expect(text).not.toContain(secret);
}
