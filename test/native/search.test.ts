import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

describe(`native search (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  const search = async (query: string, auth = admin) => {
    const res = await call(`${api()}/interactions?${query}`, { headers: { authorization: auth } });
    return res;
  };
  const idsOf = (res: { body: { items: { id: string }[] } }) => res.body.items.map((i) => i.id);

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    // 60 interactions one minute apart, alternating media and agents; a few with equal start times.
    const records = Array.from({ length: 60 }, (_, i) => {
      const start = new Date(Date.UTC(2025, 3, 1, 8, i < 50 ? i : 49)).toISOString();
      const base = i % 2 === 0 ? chatRecord() : callRecord();
      return {
        ...base,
        id: `SEARCH${String(i).padStart(10, '0')}`,
        guid: undefined,
        startDate: start,
        endDate: undefined,
        state: 'New',
        typeId: i % 3 === 0 ? 'Outbound' : 'Inbound',
        contactId: `contact-${i % 4}`,
        connectFrom: i % 5 === 0 ? '+358401234567' : '+14155550100',
        connectTo: i % 7 === 0 ? 'sales' : 'support',
        ownerInformation: { id: i % 2 === 0 ? 'agent-1' : 'agent-2' },
        handlingAgents: i % 10 === 0 ? [{ id: 'agent-9' }] : [],
        customAttributes: { Segment: i % 3 === 0 ? 'gold' : 'silver', Order: `O-${i}` },
      };
    });
    const res = await call(`${api()}/interactions:batch`, { method: 'POST', headers: { authorization: admin }, json: records });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('walks every page exactly once, in order, both ways', async () => {
    for (const sort of ['asc', 'desc']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await search(
          `from=2025-04-01T00:00:00Z&to=2025-04-02T00:00:00Z&limit=7&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(res.status).toBe(200);
        seen.push(...idsOf(res));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(9);
      const expected = Array.from({ length: 60 }, (_, i) => `SEARCH${String(i).padStart(10, '0')}`);
      expect(seen).toEqual(sort === 'asc' ? expected : [...expected].reverse());
    }
  });

  it('filters by every field of the union', async () => {
    const count = async (q: string) => (await search(`limit=1000&${q}`)).body.items.length;
    expect(await count('mediaType=chat')).toBe(30);
    expect(await count('mediaType=CALL,chat')).toBe(60);
    expect(await count('ownerId=agent-1')).toBe(30);
    expect(await count('handlingAgentId=agent-9')).toBe(6);
    expect(await count('handlingAgentId=agent-2')).toBe(30);
    expect(await count('contactId=contact-1')).toBe(15);
    expect(await count('connectFrom=%2B358')).toBe(12);
    expect(await count('connectTo=sal')).toBe(9);
    expect(await count('direction=outbound')).toBe(20);
    expect(await count('customAttribute=Segment%3Dgold')).toBe(20);
    expect(await count('customAttribute=Segment%3Dgold&customAttribute=Order%3DO-3')).toBe(1);
    expect(await count('customAttribute=Segment%3Dgold&handlingAgentId=agent-9')).toBe(2);
    expect(await count('from=2025-04-01T08:10:00Z&to=2025-04-01T08:19:59Z')).toBe(10);
    expect(await count('hasContent=true')).toBe(0);
  });

  it('lists interactions without their messages, which the single read has', async () => {
    const res = await search('from=2025-04-01T00:00:00Z&to=2025-04-02T00:00:00Z&mediaType=chat&limit=3');
    expect(res.body.items).toHaveLength(3);
    for (const item of res.body.items) expect(item).not.toHaveProperty('messages');
    const one = await call(`${api()}/interactions/${res.body.items[0].id}`, { headers: { authorization: admin } });
    expect(one.body.messages).toHaveLength(2);
  });

  it('warns when connectFrom starts with a space, as an unencoded + becomes', async () => {
    const plus = await search('connectFrom=+358');
    expect(plus.status).toBe(200);
    expect(plus.body.items).toEqual([]);
    expect(plus.headers.get('warning')).toBe(
      '199 ixvault "connectFrom starts with a space: a + in a query string means a space; send %2B for a literal +"',
    );
    const encoded = await search('connectFrom=%2B358&limit=1');
    expect(encoded.body.items).toHaveLength(1);
    expect(encoded.headers.get('warning')).toBeNull();
  });

  it('refuses a cursor that was altered, forged or made for another query', async () => {
    const first = await search('limit=5&mediaType=chat');
    const cursor: string = first.body.nextCursor;
    expect(cursor).toBeTruthy();
    const [body = '', mac = ''] = cursor.split('.');
    const altered = `${body.slice(0, -2)}${body.slice(-2) === 'AA' ? 'AB' : 'AA'}.${mac}`;
    for (const bad of [altered, 'garbage', `${body}.${'A'.repeat(mac.length)}`]) {
      const res = await search(`limit=5&mediaType=chat&cursor=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('cursor');
    }
    const otherQuery = await search(`limit=5&mediaType=call&cursor=${encodeURIComponent(cursor)}`);
    expect(otherQuery.status).toBe(400);
    const otherCaller = await search(`limit=5&mediaType=chat&cursor=${encodeURIComponent(cursor)}`, server.basic('super1'));
    expect(otherCaller.status).toBe(400);
    const ok = await search(`limit=5&mediaType=chat&cursor=${encodeURIComponent(cursor)}`);
    expect(ok.status).toBe(200);
  });

  it('validates its parameters, naming them', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['from=yesterday', 'from'],
      ['to=2025-04-01', 'to'],
      ['from=2025-04-02T00:00:00Z&to=2025-04-01T00:00:00Z', 'to'],
      ['mediaType=fax', 'mediaType'],
      ['direction=sideways', 'direction'],
      ['sort=random', 'sort'],
      ['customAttribute=novalue', 'customAttribute.0'],
      ['source=attic', 'source'],
      ['colour=red', 'colour'],
    ];
    for (const [query, field] of cases) {
      const res = await search(query);
      expect(res.status, query).toBe(400);
      expect(res.body.field, query).toBe(field);
    }
  });

  it('searches the archive store separately', async () => {
    const res = await search('source=archive');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
  });
});
