/**
 * A principal's text searches are limited by the time they take, not only by
 * their number (session 5). A text search may run for its whole budget (3 s
 * by default) and on SQLite holds the main thread all that while, so 60 000
 * requests a minute let one principal take the server from everyone. Now each
 * principal has an allowance of search time a minute; spent, its text searches
 * get a 429 naming `q` with Retry-After, in each API's format, while others'
 * searches and its own searches without `q` go on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_DEFAULTS } from '../../src/config.js';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

describe(`text searches are charged with their time (${BACKEND})`, () => {
  let server: TestServer;
  const search = (query: string, who: string) =>
    call<{ items?: unknown[]; code?: string; field?: string; status?: number }>(`${server.url}/api/v1/interactions?${query}`, {
      headers: { authorization: server.basic(who) },
    });

  beforeAll(async () => {
    // One millisecond a minute: any few searches spend it, however fast the machine; the refill (1 ms a minute)
    // cannot bring it back within the test.
    server = await build({ limits: { searchTimePerMinuteMs: 1 } });
    for (let i = 0; i < 20; i++) {
      const res = await call(`${server.url}/api/v1/interactions`, {
        method: 'POST',
        headers: { authorization: server.basic('admin1') },
        json: callRecord({ subject: `billing question ${i} about a refund` }),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('is on by default, bounded, and reserves a search budget at most a few times over', () => {
    expect(EDGE_DEFAULTS.searchTimePerMinuteMs).toBeGreaterThan(0);
    expect(EDGE_DEFAULTS.searchTimePerMinuteMs).toBeLessThanOrEqual(30_000);
  });

  it('refuses a principal whose searches spent their time, naming q, with Retry-After; others and searches without q go on', async () => {
    let refused: Awaited<ReturnType<typeof search>> | undefined;
    let granted = 0;
    for (let i = 0; i < 1000 && refused === undefined; i++) {
      const res = await search('q=refund', 'super1');
      if (res.status === 429) refused = res;
      else {
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.items?.length).toBe(20);
        granted++;
      }
    }
    expect(granted).toBeGreaterThanOrEqual(1);
    expect(refused, 'no search was refused').toBeDefined();
    const problem = refused as Awaited<ReturnType<typeof search>>;
    expect(problem.headers.get('content-type')).toContain('application/problem+json');
    expect(problem.body.code).toBe('IXV_SEARCH_TIME_SPENT');
    expect(problem.body.field).toBe('q');
    expect(Number(problem.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Refused again at once, without running the search.
    expect((await search('q=billing', 'super1')).status).toBe(429);
    // The same principal's searches without a text query are not charged.
    const listing = await search('limit=5', 'super1');
    expect(listing.status).toBe(200);
    expect(listing.body.items?.length).toBe(5);
    // Another principal has its own allowance.
    const other = await search('q=refund', 'admin1');
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    expect(other.body.items?.length).toBe(20);
  });
});
