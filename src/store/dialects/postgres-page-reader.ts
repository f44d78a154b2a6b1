/**
 * A Vonage page's rows read from PostgreSQL's wire bytes, for the one statement
 * that repeats on every page request (StoreDialect.readPage). pg decodes every
 * field of every DataRow to a JavaScript string and builds a message, a
 * fields array and a row array for it; the route then encodes the strings back
 * into the response's bytes. For a page of 1000 that was a quarter of the
 * server's CPU beyond the static-bytes server (docs/BENCHMARKS.md, "Pages on
 * PostgreSQL, session 7"). Here the page's DataRow messages are taken from the
 * connection's socket before pg's parser sees them, and each row's item
 * (UTF-8 JSON kept by the database) stays bytes: moved together with the
 * others in the chunk it came in, handed to the route as runs of items to be
 * copied into the body. Only the position of row `limit` is decoded.
 *
 * Everything else stays pg's: the statement is pg's own Query (named, so the
 * connection keeps its plan), every other message of the exchange (ParseComplete,
 * BindComplete, RowDescription, CommandComplete, ErrorResponse, ReadyForQuery,
 * notices) reaches pg's parser byte for byte in order, so pg runs the query's
 * life — errors, the prepared statement's bookkeeping, the pool — as for any
 * other. Outside such a read, every byte goes to pg's parser as it came.
 */
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import { type PageRows, pageOfRows } from '../page-rows.js';
import { pgModule } from './pg-module.js';

/** A PostgreSQL DataRow message's type byte ('D'). */
const DATA_ROW = 0x44;
/** Type byte and int32 length. */
const HEADER = 5;
const COMMA = 0x2c;

/**
 * Collects a page from its DataRow messages (each a field count, then per field an int32 length and its bytes).
 * The items are moved together inside the socket's own chunk, leftwards over the rows' headers and other fields
 * (bytes nobody else reads: pg's parser never sees them), a comma before each but a run's first: each chunk then
 * holds one run of items ready to be joined, and the route copies the runs into the body. Nothing is made per row:
 * no string (decoding the items and encoding them again into the body was the largest part of pg's parse), no
 * buffer. Only the position of row `limit` is decoded.
 */
export class PageSink {
  private runs: Uint8Array[] = [];
  private chunk: Buffer | undefined;
  private runStart = 0;
  private runEnd = 0;
  private rows = 0;
  private position: [number, string] | undefined;
  private more = false;
  failure: Error | undefined;

  constructor(private readonly limit: number) {}

  /** A row's message whose body starts at `start` of `chunk`; its bytes from `start - 5` on are the sink's to overwrite. */
  row(chunk: Buffer, start: number): void {
    if (this.failure) return;
    this.rows++;
    if (this.rows > this.limit) {
      this.more = true;
      return;
    }
    if (chunk.readUInt16BE(start) !== 3) {
      this.failure = new Error('a page statement answers three columns');
      return;
    }
    let at = start + 2;
    const itemLength = chunk.readInt32BE(at);
    if (itemLength < 0) {
      this.failure = new Error('a page row without its item');
      return;
    }
    at += 4;
    const itemStart = at;
    if (this.rows === this.limit) {
      at += itemLength;
      const startLength = chunk.readInt32BE(at);
      const pageStart = chunk.toString('latin1', at + 4, at + 4 + startLength);
      at += 4 + startLength;
      const keyLength = chunk.readInt32BE(at);
      this.position = [Number(pageStart), chunk.toString('utf8', at + 4, at + 4 + keyLength)];
    }
    if (chunk !== this.chunk) {
      this.close();
      this.chunk = chunk;
      this.runStart = start - HEADER;
      this.runEnd = this.runStart;
    } else chunk[this.runEnd++] = COMMA;
    // Leftwards over this row's own header (11 bytes before the item, a comma needs 1): memmove semantics.
    chunk.copyWithin(this.runEnd, itemStart, itemStart + itemLength);
    this.runEnd += itemLength;
  }

  private close(): void {
    if (this.chunk && this.runEnd > this.runStart) this.runs.push(this.chunk.subarray(this.runStart, this.runEnd));
    this.chunk = undefined;
  }

  result(): PageRows {
    this.close();
    const page: PageRows = { items: this.runs, count: Math.min(this.rows, this.limit) };
    // Handed over, not shared: a sink stays reachable a while after its page (through pg's query object), and one
    // holding the page kept every page alive past the young generation: scavenges promoted them, and mark-compacts
    // followed (docs/BENCHMARKS.md, "Pages on PostgreSQL, session 7").
    this.runs = [];
    if (this.more && this.position) page.more = this.position;
    return page;
  }
}

/**
 * Sits between a connection's socket and pg's parser: passes every byte on, in order, except the DataRow messages
 * of a page being read, which go to its sink whole. It frames messages at all times (a type byte and a length
 * each), so it always knows where the next one starts.
 */
export class RowTap {
  sink: PageSink | undefined;
  /** Bytes left of the message the last chunk ended in, and whether they are a page row's (collected in `partial`). */
  private rest = 0;
  private partial: Buffer | undefined;
  private partialAt = 0;
  /** The start of a message whose header the last chunk cut (fewer than 5 bytes). */
  private carry: Buffer | undefined;

  constructor(private readonly parse: (chunk: Buffer) => void) {}

  chunk(incoming: Buffer): void {
    let chunk = incoming;
    if (this.carry) {
      chunk = Buffer.concat([this.carry, incoming]);
      this.carry = undefined;
    }
    const end = chunk.length;
    let at = 0;
    let passFrom = 0;
    if (this.rest > 0) {
      const n = Math.min(this.rest, end);
      this.rest -= n;
      if (this.partial) {
        this.partialAt += chunk.copy(this.partial, this.partialAt, 0, n);
        passFrom = n;
        if (this.rest === 0) {
          const whole = this.partial;
          this.partial = undefined;
          this.sink?.row(whole, HEADER);
        }
      }
      at = n;
    }
    while (at < end) {
      if (end - at < HEADER) {
        if (passFrom < at) this.parse(chunk.subarray(passFrom, at));
        this.carry = Buffer.from(chunk.subarray(at));
        return;
      }
      const size = 1 + chunk.readUInt32BE(at + 1);
      if (chunk[at] === DATA_ROW && this.sink) {
        if (passFrom < at) this.parse(chunk.subarray(passFrom, at));
        if (at + size <= end) {
          this.sink.row(chunk, at + HEADER);
          at += size;
        } else {
          this.partial = Buffer.allocUnsafe(size);
          this.partialAt = chunk.copy(this.partial, 0, at, end);
          this.rest = size - (end - at);
          at = end;
        }
        passFrom = at;
      } else if (at + size <= end) {
        at += size;
      } else {
        this.rest = size - (end - at);
        at = end;
      }
    }
    if (passFrom < end) this.parse(passFrom === 0 ? chunk : chunk.subarray(passFrom));
  }
}

const taps = new WeakMap<Duplex, RowTap>();

/**
 * Puts a tap between a new connection's socket and pg's parser (the pool's `connect` event: connected, TLS
 * negotiated, authenticated, before any query). pg-protocol reads the socket through one `data` listener; if
 * that is not what this pg does, the connection gets no tap and its pages are read through pg's rows.
 */
export function tapConnection(client: pg.Client): void {
  const stream = client.connection?.stream;
  if (!stream || taps.has(stream)) return;
  const listeners = stream.listeners('data');
  const parse = listeners[0] as ((chunk: Buffer) => void) | undefined;
  if (listeners.length !== 1 || !parse) return;
  const tap = new RowTap(parse);
  stream.removeListener('data', parse);
  stream.on('data', (chunk: Buffer) => {
    try {
      tap.chunk(chunk);
    } catch (err) {
      // A throw here would leave the socket's event unhandled and end the process: the connection ends
      // instead, so the statement on it fails and the pool drops it.
      stream.destroy(err as Error);
    }
  });
  taps.set(stream, tap);
}

/** Whether a connection's pages are read from its bytes (tapConnection took). */
export function isTapped(client: pg.Client): boolean {
  return taps.has(client.connection?.stream);
}

/**
 * Runs a page statement on a client of the pool and reads its rows from the wire (see the file's comment); on a
 * connection without a tap, through pg's rows. `limit`: the page's size (the statement answers up to limit + 1).
 */
export async function readPageRows(client: pg.Client, query: pg.QueryConfig, limit: number): Promise<PageRows> {
  const tap = taps.get(client.connection?.stream);
  if (!tap) return pageOfRows((await client.query({ ...query, rowMode: 'array' })).rows, limit);
  const sink = new PageSink(limit);
  await new Promise<void>((resolve, reject) => {
    const statement = new (pgModule().Query)(query, (err?: Error) => {
      // pg calls back on ReadyForQuery or an error: the exchange is over, later DataRows are none of this page's.
      if (tap.sink === sink) tap.sink = undefined;
      if (err) reject(err);
      else resolve();
    });
    const submit = statement.submit.bind(statement);
    // pg submits a query when the connection is free: the page's rows are the next DataRows on its socket.
    statement.submit = (connection) => {
      tap.sink = sink;
      return submit(connection);
    };
    client.query(statement);
  });
  if (sink.failure) throw sink.failure;
  return sink.result();
}
