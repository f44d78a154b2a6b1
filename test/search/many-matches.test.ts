/**
 * A word in thousands of interactions: SQLite then walks the time index and
 * asks FTS5 about each row (fulltext-engines.ts); the pages must be exactly
 * those of a search without the word among interactions that hold it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

const COUNT = 6000;

describe(`a word in thousands of interactions (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const idOf = (i: number) => `MANY-${String(i).padStart(5, '0')}`;

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    const records = Array.from({ length: COUNT }, (_, i) =>
      chatRecord({
        id: idOf(i),
        startDate: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
        endDate: undefined,
        state: 'New',
        // Every interaction says "often"; one in three also "third"; agents alternate.
        subject: `often ${i % 3 === 0 ? 'third' : 'other'}`,
        ownerInformation: { id: i % 2 === 0 ? 'agent-1' : 'agent-2' },
        handlingAgents: [{ id: i % 2 === 0 ? 'agent-1' : 'agent-2' }],
        messages: [],
      }),
    );
    for (let i = 0; i < COUNT; i += 1000) {
      const res = await call(`${server.url}/api/v1/interactions:batch`, {
        method: 'POST',
        headers: { authorization: admin },
        json: records.slice(i, i + 1000),
      });
      expect(res.status).toBe(200);
    }
    // PostgreSQL: with the lexeme statistics the engine chooses its plan by (a word missing from them is rare).
    if (server.databaseUrl) {
      const client = new pg.Client({ connectionString: server.databaseUrl });
      await client.connect();
      try {
        await client.query('analyze');
      } finally {
        await client.end();
      }
    }
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const page = async (query: string) => {
    const res = await call(`${server.url}/api/v1/interactions?${query}`, { headers: { authorization: admin } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { items: { id: string; matches: unknown[] }[]; nextCursor: string | null };
  };

  it('pages in time order through a common word, alone and with filters', async () => {
    const first = await page('q=often&limit=100');
    expect(first.items.map((i) => i.id)).toEqual(Array.from({ length: 100 }, (_, k) => idOf(COUNT - 1 - k)));
    expect(first.items.every((i) => i.matches.length === 1)).toBe(true);
    // A prefix over thousands of matches reads them once (FTS5 would expand it again for every row probed).
    const prefix = await page('q=oft*&limit=3');
    expect(prefix.items.map((i) => i.id)).toEqual([idOf(COUNT - 1), idOf(COUNT - 2), idOf(COUNT - 3)]);
    const second = await page(`q=often&limit=100&cursor=${encodeURIComponent(first.nextCursor ?? '')}`);
    expect(second.items[0]?.id).toBe(idOf(COUNT - 101));
    const agent = await page('q=often&handlingAgentId=agent-2&limit=50&sort=asc');
    expect(agent.items.map((i) => i.id)).toEqual(Array.from({ length: 50 }, (_, k) => idOf(1 + 2 * k)));
    // Fewer matches (2000): the other way round, the same answer.
    const fewer = await page('q=often+third&handlingAgentId=agent-2&limit=50&sort=asc');
    // i odd and divisible by 3: 3, 9, 15, …
    expect(fewer.items.map((i) => i.id)).toEqual(Array.from({ length: 50 }, (_, k) => idOf(3 + 6 * k)));
    const excluding = await page(
      `q=often+-nothing&from=${new Date(Date.UTC(2025, 0, 1) + 600 * 60_000).toISOString()}&limit=3&sort=asc`,
    );
    expect(excluding.items.map((i) => i.id)).toEqual([idOf(600), idOf(601), idOf(602)]);
    const window = await page(
      `q=often+-third&from=${new Date(Date.UTC(2025, 0, 1) + 600 * 60_000).toISOString()}&limit=5&sort=asc`,
    );
    expect(window.items.map((i) => i.id)).toEqual([idOf(601), idOf(602), idOf(604), idOf(605), idOf(607)]);
  });

  it('reads matches in time order from the index: exact at a millisecond shared by many, and when a filter rejects most', async () => {
    // 1200 interactions starting in the same millisecond (more than the first slice of matches read),
    // stored in an order unrelated to their ids; 3 of another agent, older than everything else.
    const tieMs = Date.UTC(2025, 0, 1) + 3000.5 * 60_000;
    const ties = Array.from({ length: 1200 }, (_, i) => `TIE-${String((i * 7919) % 1200).padStart(4, '0')}`);
    const lonely = ['LONE-1', 'LONE-2', 'LONE-3'];
    const records = [
      ...ties.map((id) => ({ id, at: tieMs, agent: 'agent-1' })),
      ...lonely.map((id, k) => ({ id, at: Date.UTC(2024, 0, 1) + k * 60_000, agent: 'agent-9' })),
    ].map(({ id, at, agent }) =>
      chatRecord({
        id,
        startDate: new Date(at).toISOString(),
        endDate: undefined,
        state: 'New',
        subject: 'often tied',
        ownerInformation: { id: agent },
        handlingAgents: [{ id: agent }],
        messages: [],
      }),
    );
    for (let i = 0; i < records.length; i += 1000) {
      const res = await call(`${server.url}/api/v1/interactions:batch`, {
        method: 'POST',
        headers: { authorization: admin },
        json: records.slice(i, i + 1000),
      });
      expect(res.status).toBe(200);
    }
    const byIdDesc = [...ties].sort().reverse();
    const to = new Date(tieMs + 1).toISOString();
    const first = await page(`q=often&to=${encodeURIComponent(to)}&limit=100`);
    expect(first.items.map((i) => i.id)).toEqual(byIdDesc.slice(0, 100));
    const second = await page(
      `q=often&to=${encodeURIComponent(to)}&limit=100&cursor=${encodeURIComponent(first.nextCursor ?? '')}`,
    );
    expect(second.items.map((i) => i.id)).toEqual(byIdDesc.slice(100, 200));
    // The other agent's three are the oldest of ~7000 matches: the search reads on until it has them.
    const other = await page('q=often&handlingAgentId=agent-9&limit=10');
    expect(other.items.map((i) => i.id)).toEqual([...lonely].reverse());
    expect(other.nextCursor).toBeNull();
    const newestTied = await page('q=tied&limit=2&sort=asc');
    expect(newestTied.items.map((i) => i.id)).toEqual(lonely.slice(0, 2));
  });
});
