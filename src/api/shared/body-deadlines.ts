/**
 * A deadline on every request body, parsed or streamed (issue 8, finding 7):
 * a body must keep arriving at a minimum average rate after a grace period,
 * so a client trickling one byte a second is cut off, while a large upload
 * on a slow but honest link is not. (Apache's mod_reqtimeout `MinRate` and
 * nginx's `client_body_timeout` do the same.) Progress is read from the
 * socket's byte counter, which leaves the body stream itself untouched for
 * whoever reads it.
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
  startedAt: number;
  startBytes: number;
}

/** 408 and close: what Node itself answers when its request timeout passes. */
const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

export class BodyDeadlines {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BodyDeadlineOptions) {}

  /** Starts watching a request that has a body, until it has been read or the connection closes. */
  watch(request: IncomingMessage, response: ServerResponse): void {
    // Only a network socket has a byte rate to police (app.inject's stand-in socket counts nothing).
    if (!hasBody(request) || request.complete || !(request.socket instanceof Socket)) return;
    const entry: Watched = { request, response, startedAt: Date.now(), startBytes: request.socket.bytesRead };
    this.watched.add(entry);
    const done = () => this.watched.delete(entry);
    request.once('end', done);
    request.once('close', done);
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
      const { request } = entry;
      const received = request.socket.bytesRead - entry.startBytes;
      const rate = this.options.minBytesPerSecond;
      // Without a rate, the grace period is the whole time a body may take.
      const allowedMs = this.options.graceMs + (rate > 0 ? (received / rate) * 1000 : 0);
      if (now - entry.startedAt <= allowedMs) continue;
      this.watched.delete(entry);
      const socket = request.socket;
      // The answer may already be under way (a handler that answered before reading): then only close.
      if (entry.response.headersSent) socket.end();
      else socket.end(REQUEST_TIMEOUT);
      setTimeout(() => socket.destroy(), 1000).unref();
    }
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}
