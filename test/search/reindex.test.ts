/**
 * `ixvault reindex`: rebuilds the index from the records (messages, subject,
 * transcripts read back from the blob store) of both stores, as a real
 * process, with progress, while the server's store stays usable.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { runCli, storeArgs } from '../helpers/cli.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

describe(`reindex (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const find = async (q: string, source = 'main') => {
    const res = await call(`${server.url}/api/v1/interactions?q=${encodeURIComponent(q)}&source=${source}&limit=1000`, {
      headers: { authorization: admin },
    });
    expect(res.status).toBe(200);
    return (res.body.items as { id: string }[]).map((i) => i.id).sort();
  };

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    const records = Array.from({ length: 450 }, (_, i) =>
      chatRecord({
        id: `REIDX-${String(i).padStart(4, '0')}`,
        subject: i % 3 === 0 ? 'tangerine' : 'apple',
        startDate: i < 10 ? '2020-01-01T00:00:00Z' : '2025-03-10T09:00:00.000Z',
        endDate: undefined,
        state: 'New',
      }),
    );
    const stored = await call(`${server.url}/api/v1/interactions:batch`, {
      method: 'POST',
      headers: { authorization: admin },
      json: records,
    });
    expect(stored.status).toBe(200);
    const callId = (
      await call(`${server.url}/api/v1/interactions`, {
        method: 'POST',
        headers: { authorization: admin },
        json: callRecord({ id: 'REIDX-CALL' }),
      })
    ).body.id;
    const put = await call(`${server.url}/api/v1/interactions/${callId}/content/transcript`, {
      method: 'PUT',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ segments: [{ speaker: 'customer', start: 3, end: 4, text: 'the pomegranate arrived broken' }] }),
    });
    expect(put.status).toBe(201);
    await server.runtime.vault.archive.moveBatch('acme', Date.UTC(2021, 0, 1), 100);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('answers --help at once', async () => {
    const help = await runCli(['reindex', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--batch-size');
  });

  it('rebuilds an emptied index of both stores from the records and their transcripts', async () => {
    const store = server.runtime.store;
    expect(await find('tangerine')).toHaveLength(146);
    // An index as a database upgraded to 005 has it: empty.
    for (const source of ['main', 'archive'] as const) {
      await sql`delete from ${store.table(source, 'text_parts')}`.execute(store.db);
      if (store.dialect === 'postgres') await sql`delete from ${sql.id(store.schemaOf(source), 'text_docs')}`.execute(store.db);
      else {
        const prefix = source === 'archive' ? 'archive_' : '';
        await sql`delete from ${sql.id(`${prefix}text_fts`)}`.execute(store.db);
        await sql`delete from ${sql.id(`${prefix}text_docs`)}`.execute(store.db);
      }
    }
    expect(await find('tangerine')).toEqual([]);
    const run = await runCli(['reindex', '--tenant', 'acme', '--batch-size', '100', ...storeArgs(server)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('reindexed 451 interactions');
    expect(run.stderr).toMatch(/reindexing acme \(main\).*441/);
    expect(await find('tangerine')).toHaveLength(146);
    expect(await find('tangerine', 'archive')).toHaveLength(4);
    expect(await find('"pomegranate arrived"')).toEqual(['REIDX-CALL']);
    // Run again: the same index, nothing doubled.
    expect((await runCli(['reindex', '--tenant', 'acme', ...storeArgs(server)])).code).toBe(0);
    expect(await find('tangerine OR pomegranate')).toHaveLength(147);
  });
});
