/**
 * Instants in the years 0000–0099 (session 7, redteam). Every instant a
 * client sends is parsed by src/domain/time.ts, which built it with
 * `Date.UTC` — and `Date.UTC` reads a year below 100 as 1900 + year. So a
 * record sent with `startDate: 0050-01-01T00:00:00Z` was acknowledged and
 * stored as 1950 (what was acknowledged was not what was sent), and a search
 * `from=0001-01-01T00:00:00Z&to=0100-01-01T00:00:00Z` was refused as "to
 * must not be before from" (from had become 1901). Every year the format can
 * write now means that year.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDateOnly, parseInstant } from '../../src/domain/time.js';
import { build } from '../helpers/app.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';

describe(`instants of the first century (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('parses every form of such an instant as the year written', () => {
    for (const [text, iso] of [
      ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
      ['0050-01-01T00:00:00.250Z', '0050-01-01T00:00:00.250Z'],
      ['0001-01-01T02:00:00+02:00', '0001-01-01T00:00:00.000Z'],
      ['0099-12-31 23:59:59.999+0000', '0099-12-31T23:59:59.999Z'],
      ['0004-02-29T00:00:00Z', '0004-02-29T00:00:00.000Z'],
      ['0000-02-29T00:00:00Z', '0000-02-29T00:00:00.000Z'],
      ['0100-03-01T00:00:00Z', '0100-03-01T00:00:00.000Z'],
    ] as const)
      expect(new Date(parseInstant(text) ?? Number.NaN).toISOString(), text).toBe(iso);
    // Not leap years: 0001, 0100 (a century), 0003.
    for (const text of ['0001-02-29T00:00:00Z', '0100-02-29T00:00:00Z', '0003-02-29T00:00:00Z'])
      expect(parseInstant(text), text).toBeUndefined();
    expect(new Date(parseDateOnly('0050-06-01') ?? Number.NaN).toISOString()).toBe('0050-06-01T00:00:00.000Z');
  });

  it('stores and finds a record of year 50 as year 50, not 1950', async () => {
    const admin = server.basic('admin1');
    const post = async (startDate: string) => {
      const res = await server.app.inject({
        method: 'POST',
        url: '/api/v1/interactions',
        headers: { authorization: admin, 'content-type': 'application/json' },
        payload: { mediaType: 'chat', startDate },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    const early = await post('0050-01-01T00:00:00Z');
    const later = await post('1950-01-01T00:00:00Z');
    const read = await server.app.inject({
      method: 'GET',
      url: `/api/v1/interactions/${early}`,
      headers: { authorization: admin },
    });
    expect(read.json().startDate).toBe('0050-01-01T00:00:00.000Z');
    const search = await server.app.inject({
      method: 'GET',
      url: '/api/v1/interactions?from=0001-01-01T00:00:00Z&to=0100-01-01T00:00:00Z',
      headers: { authorization: admin },
    });
    expect(search.statusCode, search.body).toBe(200);
    const ids = search.json().items.map((i: { id: string }) => i.id);
    expect(ids).toContain(early);
    expect(ids).not.toContain(later);
  });
});
