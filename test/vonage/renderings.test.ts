/**
 * Vonage pages are concatenated from renderings kept on write
 * (interactions.vonage_head, content_items.vonage_json; migration 008). These
 * tests hold them to the rendering they replaced — the page built from row
 * objects by toVonageItem and written by Fastify's serializer with the route's
 * response schema — byte for byte, for the seed's example, for generated
 * records, and after every write that changes an item; the whole items the
 * database keeps (interactions.vonage_item, migration 010) against the parts.
 */

import fc from 'fast-check';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_RESULT } from '../../src/api/vonage/schemas.js';
import { decodeCursor, queryFingerprint } from '../../src/domain/cursor.js';
import type { InteractionSearch } from '../../src/domain/search.js';
import { toVonageItem } from '../../src/domain/vonage-item.js';
import { renderStoredRows } from '../../src/store/migrations/008-vonage-renderings.js';
import { vonageItemSql } from '../../src/store/vonage-items.js';
import { build } from '../helpers/app.js';
import { BACKEND, call, removeTestData, send, type TestServer } from '../helpers/server.js';
import { type ContentUpload, ingest, searchPath, V3 } from './helpers.js';

const WINDOW_START = '2025-05-01T00:00:00Z';
const FROM_MS = Date.parse(WINDOW_START);
const WEEK_MS = 7 * 24 * 3600_000;

/** The page as the route wrote it before renderings were kept: row objects through the schema's serializer. */
async function oldRendering(server: TestServer, q: InteractionSearch, token: string | null): Promise<string> {
  const page = await server.runtime.vault.searches.search({ tenantId: 'acme' }, q, { withContent: true, summary: true });
  const reference = Fastify();
  reference.get('/', { schema: { response: { 200: SEARCH_RESULT } } }, async () => ({
    items: page.items.map((item) => toVonageItem(item, page.content.get(item.id) ?? [])),
    meta: { nextContinuationToken: token },
  }));
  const res = await reference.inject({ method: 'GET', url: '/' });
  await reference.close();
  return res.body;
}

/** The search's filters, as the route's parameters name them. */
interface PageFilters {
  handlingAgentId?: string;
  connectFrom?: string;
  direction?: 'inbound' | 'outbound';
}

/** Every page of the window, as bytes, with the query each page answered (the old rendering needs it). */
async function pagesOf(
  server: TestServer,
  auth: string,
  limit: number,
  fromMs = FROM_MS,
  toMs = FROM_MS + WEEK_MS,
  filters: PageFilters = {},
) {
  const pages: { body: string; query: InteractionSearch; token: string | null }[] = [];
  const base: InteractionSearch = { source: 'main', order: 'asc', limit, withContentOnly: true, fromMs, toMs };
  if (filters.handlingAgentId !== undefined) base.handlingAgentId = filters.handlingAgentId;
  if (filters.connectFrom !== undefined) base.connectFromPrefix = filters.connectFrom;
  if (filters.direction !== undefined) base.direction = filters.direction;
  let query = base;
  let continuation: string | undefined;
  for (;;) {
    const params: Record<string, string> = { limit: String(limit), ...filters };
    if (continuation) params.continuationToken = continuation;
    const path = searchPath(new Date(fromMs).toISOString(), new Date(toMs).toISOString(), params);
    const res = await send(`${server.url}/interaction-content${path}`, {
      method: 'GET',
      headers: { accept: V3, authorization: auth },
    });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const token = (JSON.parse(body) as { meta: { nextContinuationToken: string | null } }).meta.nextContinuationToken;
    pages.push({ body, query, token });
    if (!token) return pages;
    const fingerprint = queryFingerprint({
      api: 'vonage',
      who: 'client:acme/acme-reader',
      filters: {
        fromMs,
        toMs,
        handlingAgentId: filters.handlingAgentId,
        connectFrom: filters.connectFrom,
        connectTo: undefined,
        direction: filters.direction,
      },
    });
    const after = decodeCursor(server.runtime.keys.cursor, fingerprint, token);
    if (!after) throw new Error('the continuation token does not decode');
    query = { ...base, after };
    continuation = token;
  }
}

async function expectSameAsOld(
  server: TestServer,
  auth: string,
  limit: number,
  fromMs?: number,
  toMs?: number,
  filters?: PageFilters,
) {
  const pages = await pagesOf(server, auth, limit, fromMs, toMs, filters);
  for (const page of pages) expect(page.body).toBe(await oldRendering(server, page.query, page.token));
  return pages;
}

const items = (body: string) =>
  (JSON.parse(body) as { items: { guid: string; connectFrom: string | null; content: unknown[] }[] }).items;

describe(`Vonage renderings kept on write (${BACKEND})`, () => {
  let server: TestServer;
  let reader: string;
  let writer: string;
  let qa: string;

  beforeAll(async () => {
    server = await build();
    reader = await server.bearer('acme-reader');
    writer = await server.bearer('acme-writer');
    qa = await server.bearer('acme-qa');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('prints the seed example and every optional field byte for byte as the serializer did', async () => {
    await ingest(
      server,
      writer,
      {
        typeId: 'Inbound',
        startDate: '2025-05-01T14:11:56Z',
        connectFrom: '14154204204',
        connectTo: '22222',
        ownerInformation: { id: '1342' },
        handlingAgents: [{ id: 'zed' }, { id: '1342' }, { id: 'abe' }],
      },
      [
        { key: 'callRecording', body: 'RIFF....WAVEfmt ', contentType: 'audio/wav', query: { duration: '180000' } },
        { key: 'vm-1', body: 'voicemail', contentType: 'audio/wav', query: { type: 'voicemail', owningAgent: '1342' } },
        {
          key: 'ivr-1',
          body: 'ivr',
          contentType: 'audio/wav',
          query: { type: 'ivrAudioRecording', owningInteractionPlan: '816f1144-ac27-4bba-a280-cc66' },
        },
        {
          key: 'chat-1',
          body: '{"messages":[]}',
          contentType: 'application/json',
          query: { type: 'chatTranscript', version: '1', duration: '5000' },
        },
      ],
    );
    await ingest(server, writer, {
      startDate: '2025-05-01T15:00:00.250Z',
      typeId: 'Unknown',
      connectFrom: undefined,
      connectTo: 'quote " backslash \\ \u2028 é',
    });
    const [page] = await expectSameAsOld(server, reader, 100);
    expect(items(page?.body ?? '').length).toBe(2);
  });

  it('pages of every size print what the serializer printed, tokens included', async () => {
    for (let k = 0; k < 7; k++)
      await ingest(server, writer, { startDate: `2025-05-0${2 + (k % 5)}T0${k}:00:00Z`, connectFrom: `+1415${k}` });
    for (const limit of [1, 3, 1000]) await expectSameAsOld(server, reader, limit);
  });

  it('pages under every filter, at every edge of a page (full, one short, one over, ties in time), print what the serializer printed', async () => {
    const from = Date.parse('2025-07-01T00:00:00Z');
    const agents = ['agent-1', 'agent-2', 'agent-3'];
    // Two records at each instant: the page's order and its continuation break ties on the key.
    for (let k = 0; k < 12; k++)
      await ingest(server, writer, {
        startDate: new Date(from + Math.floor(k / 2) * 3600_000).toISOString(),
        typeId: k % 2 === 0 ? 'Inbound' : 'Outbound',
        connectFrom: k % 3 === 0 ? `+1415${k}` : `01473${k}`,
        handlingAgents: [{ id: agents[k % 3] }],
      });
    const cases: PageFilters[] = [
      {},
      { handlingAgentId: 'agent-1' },
      { connectFrom: '+1415' },
      { direction: 'outbound' },
      { handlingAgentId: 'agent-2', direction: 'inbound', connectFrom: '0147' },
      { handlingAgentId: 'nobody' },
    ];
    const to = from + WEEK_MS - 1;
    for (const filters of cases) {
      const [whole] = await expectSameAsOld(server, reader, 1000, from, to, filters);
      const n = items(whole?.body ?? '').length;
      if (Object.keys(filters).length === 0) expect(n).toBe(12);
      if (filters.handlingAgentId === 'nobody') expect(n).toBe(0);
      for (const limit of new Set([1, 2, n - 1, n, n + 1].filter((l) => l >= 1))) {
        const pages = await expectSameAsOld(server, reader, limit, from, to, filters);
        expect(pages.flatMap((p) => items(p.body)).length, JSON.stringify({ filters, limit })).toBe(n);
        // A page that ends the window says so: no token to an empty page.
        expect(pages.length, JSON.stringify({ filters, limit })).toBe(Math.max(1, Math.ceil(n / limit)));
      }
    }
  });

  it("never reads a write transaction's rows before they commit (the page's kept statement waits for the connection)", async () => {
    const at = Date.parse('2025-08-01T10:00:00Z');
    const elsewhere = Date.parse('2025-09-01T10:00:00Z');
    const { guid } = await ingest(server, writer, { startDate: new Date(at).toISOString() });
    const store = server.runtime.store;
    const week = (fromMs: number): InteractionSearch => ({
      source: 'main',
      order: 'asc',
      limit: 100,
      withContentOnly: true,
      fromMs,
      toMs: fromMs + WEEK_MS - 1,
    });
    let during: Promise<{ count: number }> | undefined;
    await expect(
      store.write(async (trx) => {
        await sql`update ${store.table('main', 'interactions')} set start_ms = ${elsewhere} where guid = ${guid}`.execute(trx);
        // Asked while the move is written but not committed; it is then rolled back.
        during = server.runtime.vault.searches.vonagePage({ tenantId: 'acme' }, week(elsewhere));
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await during)?.count).toBe(0);
    const [page] = await expectSameAsOld(server, reader, 100, at, at + WEEK_MS - 1);
    expect(items(page?.body ?? '').map((i) => i.guid)).toEqual([guid]);
  });

  it('reflects a PATCH, a content upload, a content deletion and an interaction deletion at once', async () => {
    const window = { fromMs: Date.parse('2025-05-07T00:00:00Z'), toMs: Date.parse('2025-05-07T23:59:59Z') };
    const one = await ingest(server, writer, {
      startDate: '2025-05-07T10:00:00Z',
      connectFrom: 'before',
      handlingAgents: [{ id: 'agent-2' }],
    });
    const pageNow = async () => items((await expectSameAsOld(server, reader, 100, window.fromMs, window.toMs))[0]?.body ?? '');

    const patched = await call(`${server.url}/api/v1/interactions/${one.id}`, {
      method: 'PATCH',
      headers: { authorization: writer, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ connectFrom: 'after', handlingAgents: [{ id: 'agent-2' }, { id: 'agent-1' }] }),
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    let [item] = await pageNow();
    expect(item?.connectFrom).toBe('after');

    const upload: ContentUpload = { key: 'vm-2', body: 'more bytes', contentType: 'audio/wav', query: { type: 'voicemail' } };
    const put = await call(`${server.url}/api/v1/interactions/${one.id}/content/${upload.key}?type=voicemail`, {
      method: 'PUT',
      headers: { authorization: writer, 'content-type': upload.contentType },
      body: upload.body as string,
    });
    expect(put.status).toBe(201);
    [item] = await pageNow();
    expect(item?.content).toHaveLength(2);

    const removed = await call(`${server.url}/interaction-content/interactions/${one.guid}/content/callRecording`, {
      method: 'DELETE',
      headers: { authorization: qa, accept: V3 },
    });
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    [item] = await pageNow();
    expect(item?.content).toEqual([expect.objectContaining({ contentKey: 'vm-2' })]);

    const deleted = await call(`${server.url}/interaction-content/interactions/${one.guid}`, {
      method: 'DELETE',
      headers: { authorization: qa, accept: V3 },
    });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(await pageNow()).toEqual([]);
  });

  it('renders generated records as the serializer did (property)', async () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const address = fc.option(fc.oneof(text, fc.stringMatching(/^\+?\d{1,15}$/)), { nil: undefined });
    const agent = fc.constantFrom('agent-1', 'agent-2', 'a"b', 'Ωmega', '0001');
    const content = fc.record({
      key: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
      type: fc.constantFrom('callRecording', 'voicemail', 'ivrAudioRecording', 'chatTranscript'),
      duration: fc.option(fc.nat({ max: 10_000_000 }), { nil: undefined }),
      version: fc.option(fc.nat({ max: 9 }), { nil: undefined }),
      owningAgent: fc.option(agent, { nil: undefined }),
    });
    let day = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          typeId: fc.constantFrom('Inbound', 'Outbound', 'Internal', 'Unknown'),
          connectFrom: address,
          connectTo: address,
          owner: fc.option(agent, { nil: undefined }),
          agents: fc.uniqueArray(agent, { minLength: 1, maxLength: 4 }),
          startMs: fc.integer({ min: 0, max: 23 * 3600_000 }),
          content: fc.uniqueArray(content, { minLength: 1, maxLength: 3, selector: (c) => c.key }),
        }),
        async (r) => {
          // Each case has its own day, so each page holds exactly that case's record.
          const dayStart = Date.parse('2026-01-01T00:00:00Z') + day++ * 24 * 3600_000;
          const uploads: ContentUpload[] = r.content.map((c) => {
            const query: Record<string, string> = { type: c.type };
            if (c.duration !== undefined) query.duration = String(c.duration);
            if (c.version !== undefined) query.version = String(c.version);
            if (c.owningAgent !== undefined && c.type === 'voicemail') query.owningAgent = c.owningAgent;
            return { key: c.key, body: `bytes of ${c.key}`, contentType: 'audio/wav', query };
          });
          await ingest(
            server,
            writer,
            {
              typeId: r.typeId,
              startDate: new Date(dayStart + r.startMs).toISOString(),
              connectFrom: r.connectFrom,
              connectTo: r.connectTo,
              ownerInformation: r.owner === undefined ? undefined : { id: r.owner },
              handlingAgents: r.agents.map((id) => ({ id })),
            },
            uploads,
          );
          const [page] = await expectSameAsOld(server, reader, 10, dayStart, dayStart + 24 * 3600_000 - 1);
          expect(items(page?.body ?? '')).toHaveLength(1);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('migration 008 renders rows stored before it as the row mappers do', async () => {
    const before = await expectSameAsOld(server, reader, 1000);
    const db = server.runtime.store.in('main');
    await db.updateTable('interactions').set({ vonage_head: '' }).execute();
    await db.updateTable('content_items').set({ vonage_json: '' }).execute();
    await renderStoredRows(db);
    const after = await expectSameAsOld(server, reader, 1000);
    expect(after.map((p) => p.body)).toEqual(before.map((p) => p.body));
  });

  it('keeps each content-bearing item whole after every write (migration 010), and a page without it prints the same bytes', async () => {
    const store = server.runtime.store;
    const interactions = store.table('main', 'interactions');
    const joined = vonageItemSql(store.table('main', 'content_items'));
    const stale = async () =>
      Number(
        (
          await sql<{ n: number }>`select count(*) as n from ${interactions} i
            where i.content_count > 0 and (i.vonage_item is null or i.vonage_item <> ${joined})`.execute(store.db)
        ).rows[0]?.n,
      );
    // Every write of the tests above (ingest, PATCH, uploads, deletions, 008's re-rendering) went through the triggers.
    const kept = Number(
      (await sql<{ n: number }>`select count(*) as n from ${interactions} i where i.vonage_item is not null`.execute(store.db))
        .rows[0]?.n,
    );
    expect(kept).toBeGreaterThan(25);
    expect(await stale()).toBe(0);
    // The weeks the tests above wrote in: 2025-05-01 on, and the property's days from 2026-01-01 on.
    const weeks = [FROM_MS, ...[0, 1, 2, 3].map((k) => Date.parse('2026-01-01T00:00:00Z') + k * WEEK_MS)];
    const everyWeek = async () => {
      const bodies: string[] = [];
      for (const from of weeks)
        bodies.push(...(await expectSameAsOld(server, reader, 1000, from, from + WEEK_MS - 1)).map((p) => p.body));
      return bodies;
    };
    const before = await everyWeek();
    expect(before.join('').length).toBeGreaterThan(10_000);

    // Where no item is kept (a store whose triggers are absent), the page joins the parts: the same bytes.
    await sql`update ${interactions} set vonage_item = null`.execute(store.db);
    expect(await everyWeek()).toEqual(before);

    // A head written again renders its item again.
    await sql`update ${interactions} set vonage_head = vonage_head`.execute(store.db);
    expect(await stale()).toBe(0);
  });
});
