/**
 * PostgreSQL failing under a running server (session 8, "deps"): the link to
 * the database is reset and refused (a restart, a crash), then mended. Every
 * API answers a 503 in its own format with Retry-After and no internals,
 * /ready says the database is unreachable, nothing the server refused is
 * stored, and the server serves again once the database is back.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportService } from '../../src/services/exports.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { V3 } from '../vonage/helpers.js';
import { buildThroughLinks, expectUnavailable, type LinkedServer } from './through-links.js';

describe.skipIf(BACKEND !== 'postgres')('PostgreSQL down under a running server (postgres)', () => {
  let server: LinkedServer;
  let admin: string;
  let stored: { id: string; guid: string };
  beforeAll(async () => {
    server = await buildThroughLinks({ database: true });
    admin = server.basic('admin1');
    const created = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: callRecord({ guid: randomUUID() }),
    });
    expect(created.status).toBe(201);
    stored = created.body;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 503 in each API format while the database is down, and serves again once it is back', async () => {
    const database = server.database;
    if (!database) throw new Error('no link to the database');
    const port = String(database.port);
    await database.down();
    const native = await call(`${server.url}/api/v1/interactions/${stored.id}`, { headers: { authorization: admin } });
    expectUnavailable(native, port);
    expect(native.headers.get('content-type')).toContain('application/problem+json');
    expect(native.body).toMatchObject({ status: 503, code: 'IXV_UNAVAILABLE' });

    const guid = randomUUID();
    const ingest = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: callRecord({ guid }),
    });
    expectUnavailable(ingest, port);

    const vonage = await call(`${server.url}/interaction-content/interactions/${stored.guid}`, {
      headers: { authorization: await server.bearer('acme-qa'), accept: V3 },
    });
    expectUnavailable(vonage, port);
    expect(Object.keys(vonage.body)).toEqual(['message']);

    const genesys = await call(`${server.url}/api/v2/interactions/${stored.id}`, { headers: { authorization: admin } });
    expectUnavailable(genesys, port);
    expect(genesys.body).toMatchObject({ statusCode: expect.any(Number), statusMessage: expect.any(String) });

    const ready = await call(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'unavailable', reason: 'database unreachable' });

    await database.up();
    const again = await call(`${server.url}/api/v1/interactions/${stored.id}`, { headers: { authorization: admin } });
    expect(again.status).toBe(200);
    expect((await call(`${server.url}/ready`)).status).toBe(200);
    // The refused ingest stored nothing.
    const refused = await call(`${server.url}/interaction-content/interactions/${guid}`, {
      headers: { authorization: await server.bearer('acme-qa'), accept: V3 },
    });
    expect(refused.status).toBe(404);
  });

  // A database that stops answering without closing anything (a server stopped with SIGSTOP or wedged on its disk,
  // a partition behind a firewall that drops packets): before, every statement on a pooled connection waited
  // forever, and so did the request, /ready and every later request once the pool was taken.
  it('answers 503 while the database does not answer at all, and serves again once it does', async () => {
    const database = server.database;
    if (!database) throw new Error('no link to the database');
    // Connections opened and idle in the pool: the next statements go to them.
    const warm = await call(`${server.url}/api/v1/interactions/${stored.id}`, { headers: { authorization: admin } });
    expect(warm.status).toBe(200);
    await database.silent();
    const [stalled, ready] = await Promise.all([
      call(`${server.url}/api/v1/interactions/${stored.id}`, { headers: { authorization: admin } }),
      call(`${server.url}/ready`),
    ]);
    expectUnavailable(stalled, String(database.port));
    expect(ready.status).toBe(503);
    // More requests than the pool has connections: those that get a pooled one are ended by the watch, those that
    // need a new one wait at most as long as a connection may take to be made; all are 503s.
    const more = await Promise.all(
      Array.from({ length: 6 }, () =>
        call(`${server.url}/api/v1/interactions/${stored.id}`, { headers: { authorization: admin } }),
      ),
    );
    for (const res of more) expectUnavailable(res, String(database.port));
    await database.up();
    const again = await call(`${server.url}/api/v1/interactions/${stored.id}`, { headers: { authorization: admin } });
    expect(again.status).toBe(200);
  }, 120_000);

  // The other side of the watch: a statement that runs long on a server that answers is left alone.
  it('lets a long statement finish while the database answers', async () => {
    const { rows } = await sql<{ done: string }>`select pg_sleep(8), 'finished' as done`.execute(server.runtime.store.db);
    expect(rows[0]?.done).toBe('finished');
  });

  // The export service polls for due jobs on a timer that nobody awaits: a poll that failed (the database down)
  // was a rejected promise with no handler, which ends a process that has no handler for those (every command
  // but serve), and is logged as a bug by serve's.
  it('polls for export jobs on while the database is down, and takes them again once it is back', async () => {
    const database = server.database;
    if (!database) throw new Error('no link to the database');
    const unhandled: unknown[] = [];
    const heard = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', heard);
    const exports = new ExportService(server.runtime.vault, { root: server.dataDir, pollMs: 20, leaseMs: 30_000, batchSize: 10 });
    let polls = 0;
    const poke = exports.poke.bind(exports);
    exports.poke = () => {
      polls++;
      return poke();
    };
    try {
      await database.down();
      exports.start();
      await waitFor(() => polls >= 5, 'five polls while the database is down');
      // A rejection is reported on a later turn of the event loop: one more poll gives it that turn.
      const seen = polls;
      await waitFor(() => polls > seen, 'one more poll');
      expect(unhandled).toEqual([]);
      await database.up();
      const job = await exports.createFor('acme', 'admin-1', {
        fromMs: Date.parse('2025-01-01T00:00:00Z'),
        toMs: Date.parse('2025-01-02T00:00:00Z'),
        delayMs: 0,
        filters: { contentTypes: [], initialDirection: [], mediaTypes: [] },
      });
      await waitFor(async () => (await exports.getOf('acme', job.id)).status === 'done', 'the job done by the polls');
    } finally {
      await exports.stop();
      process.off('unhandledRejection', heard);
    }
  });
});
