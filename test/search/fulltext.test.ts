/**
 * Full-text search through the native API (`q`), on the run's backend:
 * matching, phrases, prefixes, exclusions, accents, numbers, snippets and
 * where a hit matched, visibility, and the index following every write path
 * (patch, appended messages, content upload and deletion, deletion, archive).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

interface Hit {
  id: string;
  matches?: {
    in: string;
    snippet: string;
    highlights: [number, number][];
    messageIndex?: number;
    segment?: number;
    startMs?: number;
    contentKey?: string;
    speaker?: string;
  }[];
  matchedParts?: number;
}

describe(`full-text search (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  const search = (query: string, auth = admin) =>
    call<{ items: Hit[]; nextCursor: string | null; detail?: string; title?: string }>(`${api()}/interactions?${query}`, {
      headers: { authorization: auth },
    });
  const find = async (q: string, extra = '', auth = admin) => {
    const res = await search(`q=${encodeURIComponent(q)}&limit=1000${extra}`, auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items.map((i) => i.id).sort();
  };
  const ingest = async (record: Record<string, unknown>, auth = admin) => {
    const res = await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: auth }, json: record });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body.id as string;
  };
  const message = (index: number, text: string, type = 'Customer') => ({
    index,
    from: { type },
    text,
    visibility: 'All',
    timestamp: '2025-03-10T09:00:00.000Z',
    type: 'Text',
  });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    ids.cancel = await ingest(
      chatRecord({
        id: 'FTS-CANCEL',
        subject: 'Contract question',
        messages: [message(1, 'Hello, I want to cancel my contract today'), message(2, 'Sure, I can help with that', 'Agent')],
      }),
    );
    ids.split = await ingest(
      chatRecord({
        id: 'FTS-SPLIT',
        subject: 'Another chat',
        // The phrase's words, but in two messages: no phrase match.
        messages: [message(1, 'please cancel my'), message(2, 'contract renewal and refund')],
      }),
    );
    ids.accents = await ingest(
      chatRecord({
        id: 'FTS-ACCENTS',
        subject: 'Frau Müller aus der Hauptstraße, Señor Ñandú, Ærø',
        messages: [message(1, 'Grüße aus Köln: 取消合同 bitte')],
      }),
    );
    ids.numbers = await ingest(
      callRecord({
        id: 'FTS-NUMBERS',
        comment: 'Order ORD-48213 shipped; callback on +1 (415) 555-0100, invoice 2024/0077',
        ownerInformation: { id: 'agent-2' },
        handlingAgents: [{ id: 'agent-2' }],
      }),
    );
    ids.agent1 = await ingest(
      chatRecord({
        id: 'FTS-AGENT1',
        subject: 'Zanzibar holiday',
        ownerInformation: { id: 'agent-1' },
        handlingAgents: [{ id: 'agent-1' }],
        messages: [],
      }),
    );
    ids.agent2 = await ingest(
      chatRecord({
        id: 'FTS-AGENT2',
        subject: 'Zanzibar refund',
        ownerInformation: { id: 'agent-2' },
        handlingAgents: [{ id: 'agent-2' }],
        messages: [],
      }),
    );
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('finds words anywhere in a record, all of them, and nothing for a word it does not hold', async () => {
    expect(await find('cancel')).toEqual([ids.cancel, ids.split].sort());
    expect(await find('CANCEL contract today')).toEqual([ids.cancel]);
    // Words of one query may sit in different parts (subject and a message).
    expect(await find('question today')).toEqual([ids.cancel]);
    expect(await find('nonexistentword')).toEqual([]);
    expect(await find('cancel nonexistentword')).toEqual([]);
  });

  it('matches exact phrases within one part only', async () => {
    expect(await find('"cancel my contract"')).toEqual([ids.cancel]);
    expect(await find('"my contract cancel"')).toEqual([]);
  });

  it('matches prefixes, alternatives and exclusions', async () => {
    expect(await find('contr*')).toEqual([ids.cancel, ids.split].sort());
    expect(await find('"cancel my contr"*')).toEqual([ids.cancel]);
    expect(await find('contract -refund')).toEqual([ids.cancel]);
    expect(await find('zanzibar -"refund"')).toEqual([ids.agent1]);
    expect(await find('holiday OR renewal')).toEqual([ids.agent1, ids.split].sort());
    expect(await find('zanzibar (holiday OR refund) -renewal')).toEqual([ids.agent1, ids.agent2].sort());
  });

  it('folds accents and case, and finds CJK words as phrases of characters', async () => {
    for (const q of ['muller', 'MÜLLER', 'Mùller', 'hauptstrasse', 'senor nandu', 'aero', 'grusse koln']) {
      expect(await find(q), q).toEqual([ids.accents]);
    }
    expect(await find('取消合同')).toEqual([ids.accents]);
    expect(await find('合同取消')).toEqual([]);
  });

  it('finds order ids and phone numbers however they are written in the query', async () => {
    for (const q of [
      '48213',
      'ORD-48213',
      'ord 48213',
      '"415 555 0100"',
      '415-555-0100',
      '(415) 555-0100',
      '2024/0077',
      '0077',
    ]) {
      expect(await find(q), q).toEqual([ids.numbers]);
    }
    expect(await find('4155550100')).toEqual([]);
  });

  it('says where each hit matched, with a highlighted snippet', async () => {
    const res = await search(`q=${encodeURIComponent('cancel contract')}`);
    const hit = res.body.items.find((i) => i.id === ids.cancel);
    expect(hit?.matchedParts).toBe(2);
    expect(hit?.matches?.map((m) => m.in)).toEqual(['subject', 'message']);
    const inMessage = hit?.matches?.[1];
    expect(inMessage?.messageIndex).toBe(1);
    expect(inMessage?.snippet).toBe('Hello, I want to cancel my contract today');
    expect(inMessage?.highlights.map(([s, e]) => inMessage.snippet.slice(s, e))).toEqual(['cancel', 'contract']);
    const subject = hit?.matches?.[0];
    expect(subject?.highlights.map(([s, e]) => subject.snippet.slice(s, e))).toEqual(['Contract']);
    // Excluded words are not what a hit is shown for.
    const excluded = await search(`q=${encodeURIComponent('zanzibar -refund')}`);
    expect(excluded.body.items[0]?.matches?.[0]?.highlights).toHaveLength(1);
  });

  it('indexes transcripts in both formats, locating the segment and its start time', async () => {
    const id = await ingest(callRecord({ id: 'FTS-TRANSCRIPT' }));
    const own = {
      version: 1,
      lines: [
        { speaker: 'agent', text: 'Thank you for calling', offsetMs: 0 },
        { speaker: 'customer', text: 'My router keeps blinking orange', offsetMs: 4200 },
      ],
    };
    const segments = {
      segments: [
        { speaker: 'customer', start: 1.5, end: 3, text: 'hello there' },
        { speaker: 'customer', start: 61.25, end: 65, text: 'I would like a wholly different tariff' },
      ],
    };
    const put = (key: string, body: unknown, type = 'transcript') =>
      call(`${api()}/interactions/${id}/content/${key}?type=${type}`, {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put('transcript', own)).status).toBe(201);
    expect((await put('segments-1', segments)).status).toBe(201);
    const blinking = await search(`q=${encodeURIComponent('"blinking orange"')}`);
    expect(blinking.body.items.map((i) => i.id)).toEqual([id]);
    expect(blinking.body.items[0]?.matches?.[0]).toMatchObject({
      in: 'transcript',
      contentKey: 'transcript',
      segment: 1,
      startMs: 4200,
      speaker: 'customer',
    });
    const tariff = await search(`q=${encodeURIComponent('tariff')}`);
    expect(tariff.body.items[0]?.matches?.[0]).toMatchObject({
      in: 'transcript',
      contentKey: 'segments-1',
      segment: 1,
      startMs: 61250,
    });
    // A bare array of segments is read too; other JSON is stored but not indexed.
    expect((await put('segments-2', [{ speaker: 'a', start: 0, end: 1, text: 'quixotic' }])).status).toBe(201);
    expect(await find('quixotic')).toEqual([id]);
    expect((await put('other', { words: 'xylophone' })).status).toBe(201);
    expect(await find('xylophone')).toEqual([]);
    // Replacing or deleting the content removes its words.
    expect((await put('transcript', { version: 1, lines: [{ speaker: 'agent', text: 'all fixed', offsetMs: 0 }] })).status).toBe(
      201,
    );
    expect(await find('blinking')).toEqual([]);
    expect(await find('fixed')).toEqual([id]);
    const del = await call(`${api()}/interactions/${id}/content/segments-1`, {
      method: 'DELETE',
      headers: { authorization: admin },
    });
    expect(del.status).toBeLessThan(300);
    expect(await find('tariff')).toEqual([]);
    expect(await find('quixotic')).toEqual([id]);
  });

  it('indexes email bodies (plain text and the text of HTML) and attachment file names', async () => {
    const id = await ingest(
      chatRecord({
        id: 'FTS-EMAIL',
        mediaType: 'email',
        subject: 'Invoice',
        messages: [],
        email: {
          from: 'kunde@example.org',
          to: ['support@example.com'],
          text: 'Please find the invoice attached',
          html: '<p>Das <b>Rechnungs&shy;datum</b> ist falsch &amp; teuer&#33;</p><script>hiddenscriptword()</script><!-- commentword -->',
        },
      }),
    );
    expect(await find('"invoice attached"')).toEqual([id]);
    expect(await find('"ist falsch"')).toEqual([id]);
    expect(await find('hiddenscriptword')).toEqual([]);
    expect(await find('commentword')).toEqual([]);
    const hit = (await search(`q=${encodeURIComponent('falsch')}`)).body.items[0];
    expect(hit?.matches?.[0]).toMatchObject({ in: 'email' });
    const put = await call(`${api()}/interactions/${id}/content/att-1?type=attachment&fileName=Quarterly-Report_2025.pdf`, {
      method: 'PUT',
      headers: { authorization: admin, 'content-type': 'application/pdf' },
      body: new Uint8Array([37, 80, 68, 70]),
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(await find('"quarterly report"')).toEqual([id]);
    const attachment = (await search(`q=${encodeURIComponent('quarterly')}`)).body.items[0];
    expect(attachment?.matches?.[0]).toMatchObject({
      in: 'attachment',
      contentKey: 'att-1',
      snippet: 'Quarterly-Report_2025.pdf',
    });
    const del = await call(`${api()}/interactions/${id}/content/att-1`, { method: 'DELETE', headers: { authorization: admin } });
    expect(del.status).toBeLessThan(300);
    expect(await find('quarterly')).toEqual([]);
  });

  it('follows patches, appended messages and deletion', async () => {
    const id = await ingest(
      chatRecord({ id: 'FTS-LIFECYCLE', subject: 'marmalade issue', messages: [message(1, 'first words')] }),
    );
    expect(await find('marmalade')).toEqual([id]);
    const patched = await call(`${api()}/interactions/${id}`, {
      method: 'PATCH',
      headers: { authorization: admin, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ subject: 'quince issue' }),
    });
    expect(patched.status, JSON.stringify(patched.body)).toBeLessThan(300);
    expect(await find('marmalade')).toEqual([]);
    expect(await find('quince')).toEqual([id]);
    // Messages were not in the patch: still found.
    expect(await find('"first words"')).toEqual([id]);
    const appended = await call(`${api()}/interactions/${id}/messages`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { messages: [{ ...message(2, 'gooseberry jam'), index: undefined }] },
    });
    expect(appended.status, JSON.stringify(appended.body)).toBeLessThan(300);
    expect(await find('gooseberry')).toEqual([id]);
    // Re-ingesting with other messages replaces theirs.
    await ingest(chatRecord({ id: 'FTS-LIFECYCLE', subject: 'quince issue', messages: [message(1, 'elderflower')] }));
    expect(await find('gooseberry')).toEqual([]);
    expect(await find('first')).toEqual([]);
    expect(await find('elderflower')).toEqual([id]);
    const deleted = await call(`${api()}/interactions/${id}`, { method: 'DELETE', headers: { authorization: admin } });
    expect(deleted.status).toBeLessThan(300);
    expect(await find('elderflower')).toEqual([]);
    expect(await find('quince')).toEqual([]);
  });

  it('never shows an agent another agent’s interaction, nor a tenant another tenant’s', async () => {
    const agent1 = server.basic('agent1');
    expect(await find('zanzibar', '', agent1)).toEqual([ids.agent1]);
    expect(await find('zanzibar refund', '', agent1)).toEqual([]);
    expect(await find('48213', '', agent1)).toEqual([]);
    expect(await find('48213', '', server.basic('agent2'))).toEqual([ids.numbers]);
    const globex = server.basic('gadmin');
    await ingest(chatRecord({ id: 'FTS-GLOBEX', subject: 'Zanzibar globex', messages: [] }), globex);
    expect(await find('zanzibar', '', globex)).toEqual(['FTS-GLOBEX']);
    expect(await find('cancel', '', globex)).toEqual([]);
    expect(await find('zanzibar')).toEqual([ids.agent1, ids.agent2].sort());
  });

  it('combines with every filter and pages by time with a cursor', async () => {
    expect(await find('zanzibar', '&handlingAgentId=agent-2')).toEqual([ids.agent2]);
    expect(await find('cancel OR 48213', '&mediaType=call')).toEqual([ids.numbers]);
    expect(await find('cancel', '&from=2026-01-01T00:00:00Z')).toEqual([]);
    expect(await find('zanzibar', '&customAttribute=SearchId%3D123456')).toEqual([ids.agent1, ids.agent2].sort());
    const batch = Array.from({ length: 25 }, (_, i) =>
      chatRecord({
        id: `FTS-PAGE-${String(i).padStart(2, '0')}`,
        startDate: new Date(Date.UTC(2025, 5, 1, 0, i)).toISOString(),
        endDate: undefined,
        state: 'New',
        subject: `pagination ${i % 2 === 0 ? 'even' : 'odd'}`,
        messages: [],
      }),
    );
    const stored = await call(`${api()}/interactions:batch`, { method: 'POST', headers: { authorization: admin }, json: batch });
    expect(stored.status).toBe(200);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await search(`q=pagination+even&sort=asc&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i) => i.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 13 }, (_, k) => `FTS-PAGE-${String(2 * k).padStart(2, '0')}`));
    // A cursor belongs to its query.
    const first = await search('q=pagination&limit=2');
    const other = await search(`q=even&limit=2&cursor=${encodeURIComponent(first.body.nextCursor ?? '')}`);
    expect(other.status).toBe(400);
  });

  it('sorts by relevance on request, one page', async () => {
    await ingest(chatRecord({ id: 'FTS-REL-1', subject: 'kumquat', messages: [message(1, 'nothing')] }));
    await ingest(chatRecord({ id: 'FTS-REL-2', subject: 'kumquat kumquat kumquat', messages: [message(1, 'kumquat kumquat')] }));
    const res = await search('q=kumquat&sort=relevance&limit=10');
    expect(res.status).toBe(200);
    expect(res.body.items.map((i) => i.id)).toEqual(['FTS-REL-2', 'FTS-REL-1']);
    expect(res.body.nextCursor).toBeNull();
    expect((await search('sort=relevance')).status).toBe(400);
  });

  it('searches the archive after a move, and main no longer', async () => {
    const id = await ingest(
      chatRecord({ id: 'FTS-OLD', startDate: '2020-01-01T00:00:00Z', endDate: undefined, state: 'New', subject: 'persimmon' }),
    );
    expect(await find('persimmon')).toEqual([id]);
    const moved = await server.runtime.vault.archive.moveBatch('acme', Date.UTC(2021, 0, 1), 100);
    expect(moved).toBeGreaterThanOrEqual(1);
    expect(await find('persimmon')).toEqual([]);
    expect(await find('persimmon', '&source=archive')).toEqual([id]);
    const res = await search('q=persimmon&source=archive');
    expect(res.body.items[0]?.matches?.[0]?.in).toBe('subject');
    const del = await call(`${api()}/interactions/${id}?source=archive`, { method: 'DELETE', headers: { authorization: admin } });
    if (del.status < 300) expect(await find('persimmon', '&source=archive')).toEqual([]);
  });

  it('answers bad queries with a 400 naming q', async () => {
    const cases = [
      '"unbalanced',
      'OR',
      '-',
      '*',
      'a*',
      '-word',
      'a OR',
      'OR a',
      '(a',
      'a)',
      '""',
      '!!!',
      'x -',
      Array.from({ length: 10_000 }, (_, i) => `w${i}`)
        .join(' ')
        .slice(0, 999),
      'a '.repeat(33),
    ];
    for (const q of cases) {
      const res = await search(`q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(400);
      expect(JSON.stringify(res.body), q).toMatch(/\bq\b/);
    }
    const long = await search(`q=${'w '.repeat(5000)}`);
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body)).toMatch(/\bq\b/);
  });
});
