/**
 * A PostgreSQL page read from the connection's bytes (dialects/postgres-page-reader.ts, session 7): pg's parser
 * must receive every byte that is not a page row, in order, however the socket cuts them; the page's rows must
 * give the same body text (items joined by commas), count, position and "more" as pg's own rows do; a failing statement must fail as it does
 * through pg, and leave the connection in step for the next one.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTapped, PageSink, RowTap, readPageRows, tapConnection } from '../../src/store/dialects/postgres-page-reader.js';
import { type PageRows, pageOfRows } from '../../src/store/page-rows.js';
import { BACKEND } from '../helpers/server.js';

/** A page as what the route writes of it: its items joined by commas (runs of items or one each), its count and position. */
function joined(page: PageRows): { text: string; count: number; more: PageRows['more'] } {
  const text = page.items.map((item) => (typeof item === 'string' ? item : Buffer.from(item).toString('utf8'))).join(',');
  return { text, count: page.count, more: page.more };
}

function message(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

function dataRow(fields: string[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(2)];
  (parts[0] as Buffer).writeUInt16BE(fields.length);
  for (const f of fields) {
    const bytes = Buffer.from(f, 'utf8');
    const length = Buffer.alloc(4);
    length.writeInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  return message('D', Buffer.concat(parts));
}

/** The stream cut at the given offsets, each piece a fresh Buffer as a socket gives them. */
function cut(stream: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (stream.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...points, stream.length]) {
    if (p > from) pieces.push(Buffer.from(stream.subarray(from, p)));
    from = p;
  }
  return pieces;
}

const otherMessage = fc
  .record({ type: fc.constantFrom('1', '2', 'T', 'C', 'Z', 'N', 'S', 'n', 'A'), payload: fc.uint8Array({ maxLength: 40 }) })
  .map(({ type, payload }) => message(type, Buffer.from(payload)));
const row = fc.record({
  item: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
  start: fc.integer({ min: 0, max: 2 ** 52 }),
  key: fc.string({ unit: 'grapheme', maxLength: 20 }),
});

describe('a page read from the connection bytes: the tap', () => {
  it("hands pg's parser every byte but the page's rows, in order, and the sink the page pg's rows give, however the bytes are cut", () => {
    fc.assert(
      fc.property(
        fc.array(otherMessage, { maxLength: 4 }),
        fc.array(row, { maxLength: 12 }),
        fc.array(otherMessage, { maxLength: 4 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (before, rows, after, limit, cuts) => {
          const rowMessages = rows.map((r) => dataRow([r.item, String(r.start), r.key]));
          const stream = Buffer.concat([...before, ...rowMessages, ...after]);
          const received: Buffer[] = [];
          const tap = new RowTap((chunk) => received.push(Buffer.from(chunk)));
          const sink = new PageSink(limit);
          tap.sink = sink;
          for (const piece of cut(stream, cuts)) tap.chunk(piece);
          expect(Buffer.concat(received).equals(Buffer.concat([...before, ...after]))).toBe(true);
          expect(sink.failure).toBeUndefined();
          const expected = pageOfRows(
            rows.map((r) => [r.item, r.start, r.key]),
            limit,
          );
          expect(joined(sink.result())).toEqual(joined(expected));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('passes every byte on, rows included, while no page is being read', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            otherMessage,
            row.map((r) => dataRow([r.item, String(r.start), r.key])),
          ),
          { maxLength: 10 },
        ),
        fc.array(fc.nat(), { maxLength: 20 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages);
          const received: Buffer[] = [];
          const tap = new RowTap((chunk) => received.push(Buffer.from(chunk)));
          for (const piece of cut(stream, cuts)) tap.chunk(piece);
          expect(Buffer.concat(received).equals(stream)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hands its page over: a sink kept alive after its page holds none of it', () => {
    const sink = new PageSink(5);
    for (const [i, item] of ['{"a":1}', '{"b":2}'].entries()) sink.row(dataRow([item, String(i), `k${i}`]), 5);
    expect(joined(sink.result()).text).toBe('{"a":1},{"b":2}');
    expect(sink.result().items).toEqual([]);
  });

  it('refuses a row that is not (item, start, key) or has no item', () => {
    const wrong = new PageSink(10);
    wrong.row(dataRow(['a', '1']), 5);
    expect(wrong.failure?.message).toMatch(/three columns/);
    const nullItem = Buffer.concat([dataRow(['x', '1', 'k'])]);
    nullItem.writeInt32BE(-1, 7);
    const empty = new PageSink(10);
    empty.row(nullItem, 5);
    expect(empty.failure?.message).toMatch(/without its item/);
  });

  it('ends the connection, never the process, when reading its bytes throws', () => {
    const stream = new PassThrough();
    stream.on('data', () => {
      throw new Error('a parser that fails');
    });
    const client = { connection: { stream } } as unknown as pg.Client;
    tapConnection(client);
    expect(isTapped(client)).toBe(true);
    let ended: Error | undefined;
    stream.on('error', (err) => {
      ended = err;
    });
    expect(() => stream.write(Buffer.from(message('Z', Buffer.from('I'))))).not.toThrow();
    expect(stream.destroyed).toBe(true);
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => expect(ended?.message).toBe('a parser that fails'));
  });
});

describe.skipIf(BACKEND !== 'postgres')('a page read from the connection bytes (postgres)', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: process.env.IXVAULT_TEST_DATABASE_URL, max: 2 });
    pool.on('connect', (client) => tapConnection(client));
  });
  afterAll(async () => {
    await pool?.end();
  });

  // Items of 1 to ~3000 bytes, some not ASCII, so that rows cross the socket's reads.
  const pageText = `select repeat(case when g % 3 = 0 then 'é€' else 'x' end, (g * 37) % 1000 + 1) || g::text as item,
      (1700000000000 + g)::int8 as start_ms, 'id-' || g as id
    from generate_series(1, $1::int) g order by g`;

  it('answers what pg answers, on a tapped connection, page after page, between other statements', async () => {
    const client = await pool.connect();
    try {
      expect(isTapped(client)).toBe(true);
      for (const [rows, limit] of [
        [0, 10],
        [1, 1],
        [5, 10],
        [11, 10],
        [1001, 1000],
        [3000, 1000],
      ] as const) {
        const query = { name: 'page_reader_test', text: pageText, values: [rows] };
        const read = await readPageRows(client, query, limit);
        const viaPg = pageOfRows((await client.query({ ...query, rowMode: 'array' })).rows, limit);
        expect(joined(read)).toEqual(joined(viaPg));
        expect((await client.query('select 41 + 1 as answer')).rows).toEqual([{ answer: 42 }]);
      }
    } finally {
      client.release();
    }
  });

  it('fails as pg does when the statement fails midway, and the connection serves the next page', async () => {
    const client = await pool.connect();
    try {
      const failing = {
        text: `select case when g = 700 then (1 / (g - 700))::text else repeat('y', 500) end as item, g::int8, 'k' || g
          from generate_series(1, 1001) g order by g`,
        values: [],
      };
      await expect(readPageRows(client, failing, 1000)).rejects.toThrow(/division by zero/);
      const again = await readPageRows(client, { name: 'page_reader_test', text: pageText, values: [20] }, 10);
      expect(again.count).toBe(10);
      expect(again.more).toEqual([1700000000010, 'id-10']);
    } finally {
      client.release();
    }
  });
});
