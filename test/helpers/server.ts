/**
 * Starts a real ixvault on a loopback port for one test file, on the backend
 * the run was started for: embedded SQLite in a temporary directory, or a
 * fresh database on the throwaway PostgreSQL cluster that scripts/test.mjs
 * starts (IXVAULT_TEST_DATABASE_URL). Only tests that need a real socket
 * listen (CometD, shutdown, disconnects, the CLI); the others build the app
 * in-process (test/helpers/app.ts) and reach it through the same `call`/`send`.
 */

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { PrincipalsConfig } from '../../src/auth/directory.js';
import type { BlobStoreConfig, EdgeLimits } from '../../src/config.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { type RunningServer, startServer } from '../../src/server.js';

export const BACKEND: 'sqlite' | 'postgres' = process.env.IXVAULT_TEST_DATABASE_URL ? 'postgres' : 'sqlite';

/** The PostgreSQL under test is a Citus coordinator with these workers (docs/SCALING.md, "The test suite against the coordinator"). */
export const CITUS = Boolean(process.env.IXVAULT_TEST_CITUS_WORKERS);

/** Two tenants, so every read path can be checked for leaks across them. */
export const PRINCIPALS: PrincipalsConfig = {
  tenants: [
    {
      id: 'acme',
      timeZone: 'Europe/Helsinki',
      features: ['api-multimedia', 'api-multimedia-chat', 'api-multimedia-email', 'api-ucs-voice'],
      users: [
        { id: 'agent-1', userName: 'agent1', firstName: 'Ann', lastName: 'Agent', password: 'pw-agent1', role: 'agent' },
        { id: 'agent-2', userName: 'agent2', firstName: 'Bob', lastName: 'Agent', password: 'pw-agent2', role: 'agent' },
        { id: 'super-1', userName: 'super1', password: 'pw-super1', role: 'supervisor' },
        { id: 'admin-1', userName: 'admin1', password: 'pw-admin1', role: 'admin' },
      ],
      clients: [
        {
          clientId: 'acme-qa',
          clientSecret: 'secret-acme-qa',
          scopes: [
            'interactions:read',
            'interaction-content:read',
            'interaction-content:delete',
            'interactions:write',
            'interaction-content:read-sensitive',
          ],
        },
        { clientId: 'acme-reader', clientSecret: 'secret-acme-reader', scopes: ['interaction-content:read'] },
        { clientId: 'acme-writer', clientSecret: 'secret-acme-writer', scopes: ['interactions:write'] },
      ],
    },
    {
      id: 'globex',
      users: [{ id: 'admin-g', userName: 'gadmin', password: 'pw-gadmin', role: 'admin' }],
      clients: [
        {
          clientId: 'globex-qa',
          clientSecret: 'secret-globex-qa',
          scopes: ['interactions:read', 'interaction-content:read', 'interaction-content:delete', 'interactions:write'],
        },
      ],
    },
  ],
};

export interface TestServer {
  url: string;
  /** The Fastify app (in-process or listening). */
  app: FastifyInstance;
  runtime: Runtime;
  dataDir: string;
  databaseUrl?: string;
  /** Authorization header for a user of PRINCIPALS (password pw-<userName>). */
  basic(userName: string): string;
  /** Authorization header with a fresh bearer token for a client of PRINCIPALS. */
  bearer(clientId: string, scope?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  principals?: PrincipalsConfig;
  maxContentBytes?: number;
  /** Reuse the data and database of an earlier server (restart tests). */
  reuse?: { dataDir: string; databaseUrl?: string };
  port?: number;
  /** How long a Genesys result waits for a CometD session (default: the server's). */
  resultTtlMs?: number;
  /** Edge limits; rate limits are off unless given here, so that suites are never throttled. */
  limits?: Partial<EdgeLimits>;
  /** A cluster node: what nodes share goes to this Redis (with `reuse`, several servers form a cluster). */
  redisUrl?: string;
  /** Where content lives (default: files under the data directory). */
  blobStore?: BlobStoreConfig;
}

export async function createTestDatabase(): Promise<string | undefined> {
  const adminUrl = process.env.IXVAULT_TEST_DATABASE_URL;
  if (!adminUrl) return undefined;
  const name = `ixv_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const workers = process.env.IXVAULT_TEST_CITUS_WORKERS;
  if (workers) await makeCitusDatabase(url, name, workers.split(','), adminUrl);
  return url.toString();
}

/**
 * Opt-in (IXVAULT_TEST_CITUS_WORKERS=host:port,…, the admin URL being the
 * coordinator): the database on every node with the citus extension, the
 * workers added, so the migrations distribute the tables (docs/SCALING.md).
 */
async function makeCitusDatabase(url: URL, name: string, workers: string[], adminUrl: string): Promise<void> {
  // Adding a node copies the roles to it (ALTER ROLE on the worker): two test files doing it at once
  // update the same pg_authid row and one fails with "tuple concurrently updated". One file at a
  // time, by a lock held on the coordinator's admin database, which every test process shares.
  const gate = new pg.Client({ connectionString: adminUrl });
  await gate.connect();
  try {
    await gate.query(`select pg_advisory_lock(hashtext('ixvault-test-citus-nodes'))`);
    await distributeDatabase(url, name, workers);
  } finally {
    await gate.end();
  }
}

async function distributeDatabase(url: URL, name: string, workers: string[]): Promise<void> {
  const run = async (target: URL, statements: string[]) => {
    const client = new pg.Client({ connectionString: target.toString() });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  };
  for (const worker of workers) {
    const [host = '', port = ''] = worker.split(':');
    const node = new URL(url);
    node.hostname = host;
    node.port = port;
    const admin = new URL(node);
    admin.pathname = '/postgres';
    await run(admin, [`create database ${name}`]);
    await run(node, ['create extension citus']);
  }
  await run(url, [
    'create extension citus',
    `select citus_set_coordinator_host('${url.hostname}', ${Number(url.port)})`,
    ...workers.map((w) => `select citus_add_node('${w.split(':')[0]}', ${Number(w.split(':')[1])})`),
  ]);
}

/** Apps built in-process (test/helpers/app.ts), by the made-up origin of their `url`. */
export const IN_PROCESS = new Map<string, FastifyInstance>();

export interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | URLSearchParams | null;
}

/**
 * `fetch`, except that a URL of an in-process app goes through `app.inject`
 * and its answer comes back as a standard Response.
 */
export async function send(url: string, init: SendInit = {}): Promise<Response> {
  const target = new URL(url);
  const app = IN_PROCESS.get(target.origin);
  if (!app) return fetch(url, init as RequestInit);
  const headers: Record<string, string> = { host: target.host, ...(init.headers ?? {}) };
  let payload: string | Buffer | undefined;
  if (init.body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    payload = init.body.toString();
  } else if (typeof init.body === 'string') payload = init.body;
  else if (init.body) payload = Buffer.from(init.body.buffer, init.body.byteOffset, init.body.byteLength);
  const res = await app.inject({
    method: (init.method ?? 'GET') as 'GET',
    url: `${target.pathname}${target.search}`,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
  const answer = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) answer.append(name, String(v));
  }
  const noBody = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
  return new Response(noBody ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: answer });
}

/** The helpers every test server has, around its url and runtime. */
export function testServerOf(parts: {
  url: string;
  app: FastifyInstance;
  runtime: Runtime;
  dataDir: string;
  databaseUrl?: string | undefined;
  stop(): Promise<void>;
}): TestServer {
  const result: TestServer = {
    url: parts.url,
    app: parts.app,
    runtime: parts.runtime,
    dataDir: parts.dataDir,
    basic: (userName) => `Basic ${Buffer.from(`${userName}:pw-${userName}`).toString('base64')}`,
    async bearer(clientId, scope) {
      const secret = `secret-${clientId}`;
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
      if (scope) body.set('scope', scope);
      const res = await send(`${parts.url}/oauth2/token`, { method: 'POST', body });
      if (res.status !== 200) throw new Error(`token for ${clientId}: ${res.status} ${await res.text()}`);
      const json = (await res.json()) as { access_token: string };
      return `Bearer ${json.access_token}`;
    },
    stop: parts.stop,
  };
  if (parts.databaseUrl) result.databaseUrl = parts.databaseUrl;
  return result;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.reuse?.dataDir ?? (await mkdtemp(join(tmpdir(), 'ixvault-test-')));
  const databaseUrl = options.reuse ? options.reuse.databaseUrl : await createTestDatabase();
  const runtime = await openRuntime({
    dataDir,
    databaseUrl,
    principals: options.principals ?? PRINCIPALS,
    maxContentBytes: options.maxContentBytes ?? 64 * 1024 * 1024,
    secret: 'test-secret-not-for-production-0123456789',
    poolSize: 4,
    redisUrl: options.redisUrl,
    blobStore: options.blobStore,
  });
  const server: RunningServer = await startServer(runtime, {
    host: '127.0.0.1',
    port: options.port ?? 0,
    quiet: true,
    resultTtlMs: options.resultTtlMs,
    limits: { rateLimitPerMinute: 0, ipRateLimitPerMinute: 0, searchTimePerMinuteMs: 0, ...options.limits },
  });
  return testServerOf({ url: server.url, app: server.app, runtime, dataDir, databaseUrl, stop: () => server.stop() });
}

/** Removes a test server's data directory (the PostgreSQL databases go with the throwaway cluster). */
export async function removeTestData(server: TestServer): Promise<void> {
  await rm(server.dataDir, { recursive: true, force: true });
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch with a JSON body and a parsed JSON answer. */
export async function call<T = any>(
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown; body?: string | Uint8Array } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(init.json);
  }
  const res = await send(url, { method: init.method ?? 'GET', headers, body: body ?? null });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON; keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}
