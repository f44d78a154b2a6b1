/**
 * A deadline on every request body, parsed or streamed (issue 8, finding 7):
 * a body must keep arriving at a minimum average rate after a grace period,
 * so a client trickling one byte a second is cut off, while a large upload
 * on a slow but honest link is not. (Apache's mod_reqtimeout `MinRate` and
 * nginx's `client_body_timeout` do the same.) Progress is read from the
 * socket's byte counter, which leaves the body stream itself untouched for
 * whoever reads it.
 *
 * The clock runs only while the server is reading: time spent before the
 * first read (authentication, a password check queued behind others on a busy
 * machine) is the server's, not the client's, and a body that had fully
 * arrived while the server was busy must not be cut off for it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

export interface BodyDeadlineOptions {
  /** Grace before the rate counts; also the longest a body may take when it arrives at less than the rate. */
  graceMs: number;
  /** Bytes per second a body must average after the grace period; 0: the grace period bounds the whole body. */
  minBytesPerSecond: number;
}

interface Watched {
  request: IncomingMessage;
  response: ServerResponse;
  /** Undefined until the server starts reading the body. */
  startedAt: number | undefined;
  startBytes: number;
}

/** 408 and close: what Node itself answers when its request timeout passes. */
const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

export class BodyDeadlines {
  private readonly watched = new Set<Watched>();
  private readonly pending = new WeakMap<IncomingMessage, Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BodyDeadlineOptions) {}

  /** Starts the deadline on a request's body now: for a reader that starts reading at once. */
  watch(request: IncomingMessage, response: ServerResponse): void {
    this.startClock(this.register(request, response));
  }

  /**
   * Watches a request whose body will be read later: its clock starts at
   * `startReading`, or when the answer is sent without reading (Node then
   * drains the rest, which must not trickle forever either).
   */
  watchFromFirstRead(request: IncomingMessage, response: ServerResponse): void {
    const entry = this.register(request, response);
    if (!entry) return;
    this.pending.set(request, entry);
    response.once('finish', () => this.startReading(request));
  }

  /** The server starts reading the body of a request given to `watchFromFirstRead`. */
  startReading(request: IncomingMessage): void {
    const entry = this.pending.get(request);
    if (!entry) return;
    this.pending.delete(request);
    this.startClock(entry);
  }

  private register(request: IncomingMessage, response: ServerResponse): Watched | undefined {
    // Only a network socket has a byte rate to police (app.inject's stand-in socket counts nothing).
    if (!hasBody(request) || request.complete || !(request.socket instanceof Socket)) return undefined;
    const entry: Watched = { request, response, startedAt: undefined, startBytes: 0 };
    this.watched.add(entry);
    const done = () => {
      this.watched.delete(entry);
      this.pending.delete(request);
    };
    request.once('end', done);
    request.once('close', done);
    return entry;
  }

  private startClock(entry: Watched | undefined): void {
    if (!entry || entry.startedAt !== undefined || !this.watched.has(entry)) return;
    entry.startedAt = Date.now();
    entry.startBytes = entry.request.socket.bytesRead;
    this.timer ??= setInterval(() => this.check(), Math.max(50, Math.min(1000, this.options.graceMs / 4)));
    this.timer.unref();
  }

  /** Stops checking (server closed). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private check(): void {
    const now = Date.now();
    for (const entry of this.watched) {
      const { request, startedAt } = entry;
      if (startedAt === undefined) continue;
      const received = request.socket.bytesRead - entry.startBytes;
      const rate = this.options.minBytesPerSecond;
      // Without a rate, the grace period is the whole time a body may take.
      const allowedMs = this.options.graceMs + (rate > 0 ? (received / rate) * 1000 : 0);
      if (now - startedAt <= allowedMs) continue;
      this.watched.delete(entry);
      const socket = request.socket;
      // The answer may already be under way (a handler that answered before reading): then only close.
      if (entry.response.headersSent) socket.end();
      else socket.end(REQUEST_TIMEOUT);
      setTimeout(() => socket.destroy(), 1000).unref();
    }
    if (![...this.watched].some((entry) => entry.startedAt !== undefined)) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}
