/**
 * What a request to the CometD endpoint must pass before faye sees it (issue
 * 8, findings 7 and 8). faye reads a POST body whole into memory, with no
 * limit and no deadline, answers any Origin with credentials allowed, serves
 * JSON-P to script tags, and binds an EventSource to whatever clientId its URL
 * names. So: a small body within a deadline, only as JSON, only from allowed
 * origins, the security headers every ixvault answer carries, and no
 * EventSource; JSON-P only when configured. No body in a Content-Encoding
 * either: nothing in ixvault decodes one (src/api/shared/content-encoding.ts).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { isIdentityCoding } from '../domain/content.js';

export interface HttpGateOptions {
  bodyLimitBytes: number;
  /** Starts the deadline on a request's body (the same as every other route's). */
  watchBody(request: IncomingMessage, response: ServerResponse): void;
  jsonp: boolean;
  /** Whether a browser page of this origin may use the endpoint (its own, or configured). */
  isAllowedOrigin(origin: string, headers: IncomingHttpHeaders): boolean;
  /** Whether this origin is configured for cross-origin use (CORS preflight). */
  isCorsOrigin(origin: string): boolean;
}

/** Headers on every answer of the endpoint: Bayeux replies are JSON for scripts, never documents. */
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  Vary: 'Origin',
};

/** Passes the request to `next` (faye) once it is acceptable; otherwise answers it. */
export function gateRequest(request: IncomingMessage, response: ServerResponse, options: HttpGateOptions, next: () => void) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  const origin = request.headers.origin;
  if (origin !== undefined && !options.isAllowedOrigin(origin, request.headers))
    return refuse(request, response, 403, `origin ${origin} may not use this endpoint`);
  if (request.method === 'OPTIONS') return preflight(request, response, options);
  if (request.method === 'GET') {
    if ((request.headers.accept ?? '').includes('text/event-stream'))
      return refuse(request, response, 400, 'EventSource is not supported; use websocket or long-polling');
    if (!options.jsonp)
      return refuse(request, response, 400, 'JSON-P (callback-polling) is disabled; use websocket or long-polling');
    return next();
  }
  if (request.method !== 'POST') return refuse(request, response, 405, 'use POST (long-polling) or a websocket');
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return refuse(request, response, 415, 'Content-Type must be application/json');
  const coding = request.headers['content-encoding'];
  if (!isIdentityCoding(coding))
    return refuse(
      request,
      response,
      415,
      `Content-Encoding: '${String(coding).slice(0, 64)}' is not accepted; send the body uncompressed`,
    );
  const declared = Number(request.headers['content-length']);
  if (declared > options.bodyLimitBytes) return tooLarge(request, response, options.bodyLimitBytes);
  limitBody(request, response, options);
  next();
}

/** Counts the body as it arrives (beside faye's own reader) and cuts it off past the limit; the deadline is watchBody's. */
function limitBody(request: IncomingMessage, response: ServerResponse, options: HttpGateOptions): void {
  let received = 0;
  options.watchBody(request, response);
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > options.bodyLimitBytes) tooLarge(request, response, options.bodyLimitBytes);
  });
}

function preflight(request: IncomingMessage, response: ServerResponse, options: HttpGateOptions): void {
  const origin = request.headers.origin;
  if (origin === undefined || !options.isCorsOrigin(origin)) {
    refuse(request, response, 403, 'cross-origin requests are not allowed from this origin');
    return;
  }
  response.writeHead(204, {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Allow-Methods': 'POST',
    'Access-Control-Max-Age': '600',
  });
  response.end();
}

function tooLarge(request: IncomingMessage, response: ServerResponse, limit: number): void {
  refuse(request, response, 413, `a Bayeux request body may not exceed ${limit} bytes`);
}

/**
 * Answers and closes the connection: the rest of a refused body is never
 * read. Each stream stops being read and faye, which may hold the request,
 * never sees its end.
 */
function refuse(request: IncomingMessage, response: ServerResponse, status: number, message: string): void {
  request.pause();
  if (response.headersSent || response.writableEnded) {
    request.socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  response.end(body, () => request.socket.destroy());
}
