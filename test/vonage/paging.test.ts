import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';
import { ingest, searchPath, vonage } from './helpers.js';

const WINDOW_START = '2025-05-05T00:00:00Z';
const WINDOW_END = '2025-05-11T23:59:59Z';
const ORIGINALS = 27;

interface Page {
  items: { guid: string; start: string }[];
  meta: { nextContinuationToken: string | null };
}

describe(`Vonage continuation tokens (${BACKEND})`, () => {
  let server: TestServer;
  let reader: string;
  let writer: string;
  const originals: string[] = [];

  beforeAll(async () => {
    server = await build();
    reader = await server.bearer('acme-reader');
    writer = await server.bearer('acme-writer');
    for (let i = 0; i < ORIGINALS; i++) {
      // Three at each instant, so pages end in the middle of ties and the id breaks them.
      const start = new Date(Date.parse('2025-05-06T08:00:00Z') + Math.floor(i / 3) * 3_600_000).toISOString();
      originals.push((await ingest(server, writer, { startDate: start, connectFrom: `0800${i}` })).guid);
      if (i % 5 === 0) await ingest(server, writer, { startDate: start }, []);
    }
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  async function walk(limit: number, between?: () => Promise<void>) {
    const guids: string[] = [];
    const starts: string[] = [];
    const pageGuids: string[][] = [];
    let token: string | null = null;
    do {
      const params: Record<string, string> = { limit: String(limit) };
      if (token) params.continuationToken = token;
      const res = await vonage<Page>(server, searchPath(WINDOW_START, WINDOW_END, params), reader);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(limit);
      for (const item of res.body.items) {
        guids.push(item.guid);
        starts.push(item.start);
      }
      pageGuids.push(res.body.items.map((item) => item.guid));
      token = res.body.meta.nextContinuationToken;
      await between?.();
    } while (token);
    return { guids, starts, pages: pageGuids.length, pageGuids };
  }

  const ascending = (starts: string[]) => starts.every((s, i) => i === 0 || Date.parse(starts[i - 1] ?? s) <= Date.parse(s));

  it('walks a multi-page result returning every match exactly once, in order', async () => {
    const { guids, starts, pages } = await walk(4);
    expect(pages).toBe(Math.ceil(ORIGINALS / 4));
    expect(guids).toHaveLength(ORIGINALS);
    expect(new Set(guids)).toEqual(new Set(originals));
    expect(ascending(starts)).toBe(true);
    const whole = await walk(1000);
    expect(whole.guids).toEqual(guids);
    expect(whole.pages).toBe(1);
  });

  it('says null on a last page that is exactly full', async () => {
    const { pages, guids } = await walk(ORIGINALS);
    expect(pages).toBe(1);
    expect(guids).toHaveLength(ORIGINALS);
    const byThree = await walk(3);
    expect(byThree.pages).toBe(ORIGINALS / 3);
  });

  it('stays exact-once while new interactions are ingested concurrently', async () => {
    const late: string[] = [];
    const early: string[] = [];
    let walking = true;
    // Between two pages the walk waits for the next ingested pair (or the end of ingestion): however
    // fast pages are, interactions arrive during the walk, on both sides of where it stands.
    let wakeWalk: (() => void) | undefined;
    let ingestionOver = false;
    const ingesting = (async () => {
      for (let i = 0; walking && i < 12; i++) {
        // Late ones start after every original (ahead of the walk); early ones before all of them (behind it).
        const lateStart = new Date(Date.parse('2025-05-10T00:00:00Z') + i * 1000).toISOString();
        late.push((await ingest(server, writer, { startDate: lateStart })).guid);
        early.push((await ingest(server, writer, { startDate: '2025-05-05T01:00:00Z' })).guid);
        wakeWalk?.();
      }
      ingestionOver = true;
      wakeWalk?.();
    })();
    let pairsSeen = 0;
    const nextPair = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          wakeWalk = undefined;
          pairsSeen = late.length;
          resolve();
        };
        if (ingestionOver || late.length > pairsSeen) done();
        else wakeWalk = done;
      });
    const walked = await walk(2, nextPair);
    const ingestedDuringWalk = late.length;
    walking = false;
    await ingesting;
    expect(ingestedDuringWalk).toBeGreaterThan(0);

    expect(new Set(walked.guids).size).toBe(walked.guids.length);
    expect(walked.guids.filter((g) => originals.includes(g))).toHaveLength(ORIGINALS);
    expect(ascending(walked.starts)).toBe(true);
    // Those stored behind where the walk stands are not picked up after its first page.
    expect(
      walked.pageGuids
        .slice(1)
        .flat()
        .filter((g) => early.includes(g)),
    ).toEqual([]);
    const after = await walk(5);
    expect(new Set(after.guids)).toEqual(new Set([...originals, ...late, ...early]));
    expect(after.guids).toHaveLength(ORIGINALS + late.length + early.length);
  });

  it('keeps paging when only the page size changes, and gives the same page for the same token', async () => {
    const first = await vonage<Page>(server, searchPath(WINDOW_START, WINDOW_END, { limit: '5' }), reader);
    const token = first.body.meta.nextContinuationToken ?? '';
    const again = await vonage<Page>(
      server,
      searchPath(WINDOW_START, WINDOW_END, { limit: '5', continuationToken: token }),
      reader,
    );
    const replay = await vonage<Page>(
      server,
      searchPath(WINDOW_START, WINDOW_END, { limit: '5', continuationToken: token }),
      reader,
    );
    expect(replay.body).toEqual(again.body);
    const bigger = await vonage<Page>(
      server,
      searchPath(WINDOW_START, WINDOW_END, { limit: '7', continuationToken: token }),
      reader,
    );
    expect(bigger.status).toBe(200);
    expect(bigger.body.items.slice(0, 5)).toEqual(again.body.items);
    expect(first.body.items.map((i) => i.guid)).not.toContain(bigger.body.items[0]?.guid);
  });

  it('accepts the same window written with another offset', async () => {
    const first = await vonage<Page>(server, searchPath(WINDOW_START, WINDOW_END, { limit: '2' }), reader);
    const token = first.body.meta.nextContinuationToken ?? '';
    const next = await vonage<Page>(
      server,
      searchPath('2025-05-05T02:00:00+02:00', '2025-05-11T23:59:59.000Z', { limit: '2', continuationToken: token }),
      reader,
    );
    expect(next.status).toBe(200);
    expect(next.body.items).toHaveLength(2);
  });

  describe('refuses with a 400, never a 500 or other data', () => {
    let token: string;
    beforeAll(async () => {
      const res = await vonage<Page>(server, searchPath(WINDOW_START, WINDOW_END, { limit: '2' }), reader);
      token = res.body.meta.nextContinuationToken ?? '';
      expect(token).not.toBe('');
    });

    async function expectRefused(params: Record<string, string>, auth = reader) {
      const res = await vonage(server, searchPath(WINDOW_START, WINDOW_END, { limit: '2', ...params }), auth);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body)).toEqual(['message']);
      expect(res.body.message).toContain('continuationToken');
    }

    it('a token in the style of Vonage samples (not one of ours)', async () => {
      await expectRefused({ continuationToken: 'MjAyMS0wMi0xNVQwNzo1MzoxM1pfMQ==' });
    });

    it('an altered token: one character of its body or signature changed, or cut short', async () => {
      const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
      await expectRefused({ continuationToken: flip(token, 3) });
      await expectRefused({ continuationToken: flip(token, token.length - 2) });
      await expectRefused({ continuationToken: token.slice(0, -4) });
      await expectRefused({ continuationToken: `${token}x` });
      await expectRefused({ continuationToken: 'garbage' });
      await expectRefused({ continuationToken: '' });
    });

    it('a forged token with a re-encoded position', async () => {
      const [body = '', mac = ''] = token.split('.');
      const [fingerprint] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as [string];
      const forged = Buffer.from(JSON.stringify([fingerprint, 0, ''])).toString('base64url');
      await expectRefused({ continuationToken: `${forged}.${mac}` });
    });

    it('a token from another query', async () => {
      await expectRefused({ continuationToken: token, connectFrom: '0800' });
      await expectRefused({ continuationToken: token, direction: 'inbound' });
      const other = await vonage(
        server,
        searchPath('2025-05-05T00:00:01Z', WINDOW_END, { limit: '2', continuationToken: token }),
        reader,
      );
      expect(other.status).toBe(400);
    });

    it('a token from another caller of the same tenant, or of another tenant', async () => {
      await expectRefused({ continuationToken: token }, await server.bearer('acme-qa'));
      await expectRefused({ continuationToken: token }, await server.bearer('globex-qa'));
      await expectRefused({ continuationToken: token }, server.basic('super1'));
    });
  });
});
