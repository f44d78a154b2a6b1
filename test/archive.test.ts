import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePrincipalsConfig } from '../src/auth/directory.js';
import { connect, type StoreConnection } from '../src/store/database.js';
import { build } from './helpers/app.js';
import { runCli, startCli, storeArgs } from './helpers/cli.js';
import { callRecord, chatRecord } from './helpers/fixtures.js';
import { BACKEND, call, PRINCIPALS, removeTestData, send, type TestServer } from './helpers/server.js';

const OLD = 1200;
const RECENT = 30;

describe(`archive (${BACKEND})`, () => {
  let server: TestServer;
  let store: StoreConnection;
  const oldIds = Array.from({ length: OLD }, (_, i) => `OLD${String(i).padStart(13, '0')}`);

  const idsIn = async (source: 'main' | 'archive') =>
    (await store.in(source).selectFrom('interactions').select('id').where('tenant_id', '=', 'acme').execute()).map((r) => r.id);
  const count = async (
    source: 'main' | 'archive',
    table: 'messages' | 'content_items' | 'interaction_agents' | 'custom_attributes',
  ) =>
    Number(
      (
        await store
          .in(source)
          .selectFrom(table)
          .select(sql<number>`count(*)`.as('n'))
          .where('tenant_id', '=', 'acme')
          .executeTakeFirst()
      )?.n,
    );

  // The tenants to archive come from the principals file (or --tenant), never from a scan of the data.
  const principalsFile = () => join(server.dataDir, 'principals.json');

  beforeAll(async () => {
    server = await build();
    const admin = server.basic('admin1');
    const old = oldIds.map((id, i) =>
      i % 2 === 0
        ? { ...chatRecord(), id, startDate: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(), endDate: undefined }
        : {
            ...callRecord(),
            id,
            guid: undefined,
            startDate: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
            endDate: undefined,
          },
    );
    for (let i = 0; i < old.length; i += 1000) {
      const res = await call(`${server.url}/api/v1/interactions:batch`, {
        method: 'POST',
        headers: { authorization: admin },
        json: old.slice(i, i + 1000),
      });
      expect(res.status).toBe(200);
    }
    const recent = Array.from({ length: RECENT }, () => ({
      ...callRecord(),
      startDate: new Date().toISOString(),
      endDate: undefined,
    }));
    await call(`${server.url}/api/v1/interactions:batch`, { method: 'POST', headers: { authorization: admin }, json: recent });
    await call(`${server.url}/api/v1/interactions/${oldIds[0]}/content/chatTranscript`, {
      method: 'PUT',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: '{"lines":[]}',
    });
    await server.stop();
    await writePrincipalsConfig(principalsFile(), PRINCIPALS);
    store = connect({ dataDir: server.dataDir, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}) });
  });
  afterAll(async () => {
    await store.close();
    await removeTestData(server);
  });

  it('moves old interactions with their rows, surviving kills midway', async () => {
    const messagesBefore = await count('main', 'messages');
    const attributesBefore = await count('main', 'custom_attributes');
    let killedMidway = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const child = startCli([
        'archive',
        '--older-than',
        '30',
        '--batch-size',
        '3',
        '--config',
        principalsFile(),
        ...storeArgs(server),
      ]);
      let running = true;
      const exited = new Promise((resolve) => child.on('exit', resolve)).then(() => {
        running = false;
      });
      // Kill as soon as the move is under way (however long the CLI takes to start on a busy machine).
      while (running) {
        const archived = (await idsIn('archive')).length;
        if (archived > 0 && archived < OLD) {
          child.kill('SIGKILL');
          killedMidway++;
          break;
        }
        if (archived >= OLD) break;
        await new Promise((r) => setImmediate(r));
      }
      await exited;
      // Whatever happened, nothing is lost: every old interaction is in one store or the other.
      const union = new Set([...(await idsIn('main')), ...(await idsIn('archive'))]);
      expect(oldIds.every((id) => union.has(id))).toBe(true);
    }
    expect(killedMidway).toBeGreaterThan(0);

    const finish = await runCli(['archive', '--older-than', '30', '--tenant', 'acme', ...storeArgs(server)]);
    expect(finish.code, finish.stderr).toBe(0);
    expect(finish.stdout).toMatch(/moved \d+ interactions/);
    const main = await idsIn('main');
    const archive = await idsIn('archive');
    expect(main).toHaveLength(RECENT);
    expect(archive.sort()).toEqual([...oldIds].sort());
    expect(await count('archive', 'messages')).toBe(messagesBefore);
    expect(await count('main', 'messages')).toBe(0);
    expect((await count('archive', 'custom_attributes')) + (await count('main', 'custom_attributes'))).toBe(attributesBefore);
    expect(await count('archive', 'content_items')).toBe(1);
    expect(await count('archive', 'interaction_agents')).toBe(OLD);

    const again = await runCli(['archive', '--older-than', '30', '--config', principalsFile(), ...storeArgs(server)]);
    expect(again.stdout).toMatch(/moved 0 interactions/);
    const noTenants = await runCli(['archive', '--older-than', '30', ...storeArgs(server)]);
    expect(noTenants.code).toBe(1);
    expect(noTenants.stderr).toMatch(
      /no tenants to archive: give the principals file \(--config FILE, or IXVAULT_CONFIG\) or --tenant ID/,
    );
  }, 120_000);

  it('serves archived interactions and their content through source=archive', async () => {
    const restarted = await build({
      reuse: { dataDir: server.dataDir, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}) },
    });
    try {
      const auth = restarted.basic('admin1');
      const id = oldIds[0] ?? '';
      // Without source=archive: a 404 whose detail says where the record is, to those who may see it.
      const hinted = await call(`${restarted.url}/api/v1/interactions/${id}`, { headers: { authorization: auth } });
      expect(hinted.status).toBe(404);
      expect(hinted.body).toMatchObject({ code: 'IXV_INTERACTION_ARCHIVED', field: 'id', source: 'archive' });
      expect(hinted.body.detail).toContain('?source=archive');
      const hintedContent = await call(`${restarted.url}/api/v1/interactions/${id}/content/chatTranscript`, {
        headers: { authorization: auth },
      });
      expect(hintedContent.body.code).toBe('IXV_INTERACTION_ARCHIVED');
      for (const stranger of ['agent2', 'gadmin']) {
        const plain = await call(`${restarted.url}/api/v1/interactions/${id}`, {
          headers: { authorization: restarted.basic(stranger) },
        });
        expect(plain.status, stranger).toBe(404);
        expect(plain.body.code, stranger).toBe('IXV_INTERACTION_NOT_FOUND');
      }
      const archived = await call(`${restarted.url}/api/v1/interactions/${id}?source=archive`, {
        headers: { authorization: auth },
      });
      expect(archived.status).toBe(200);
      expect(archived.body.messages).toHaveLength(2);
      const content = await send(`${restarted.url}/api/v1/interactions/${id}/content/chatTranscript?source=archive`, {
        headers: { authorization: auth },
      });
      expect(await content.text()).toBe('{"lines":[]}');
      const page = await call(`${restarted.url}/api/v1/interactions?source=archive&limit=10&sort=asc`, {
        headers: { authorization: auth },
      });
      expect(page.body.items.map((i: { id: string }) => i.id)).toEqual(oldIds.slice(0, 10));
    } finally {
      await restarted.stop();
    }
  });

  it('explains bad arguments', async () => {
    const res = await runCli(['archive', '--older-than', 'soon', ...storeArgs(server)]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('--older-than');
  });
});
