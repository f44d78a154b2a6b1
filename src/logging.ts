/**
 * Log output: JSON lines (pino's own) for machines, or one short readable line
 * per event for a person at a terminal. Requests are logged once each, as a
 * compact access line, in both formats.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loggedUrl } from './domain/logged-url.js';

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** JSON unless the output is a terminal. */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stdout): LogFormat {
  return stream.isTTY ? 'pretty' : 'json';
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every pino line has; the rest is shown as key=value. */
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'access']);
/** An access line's message already says these. */
const ACCESS_FIELDS = new Set(['method', 'url', 'statusCode', 'ms']);

/** Formats one pino JSON line as `HH:MM:SS LEVEL message key=value…` (access lines without the level). */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toTimeString().slice(0, 8);
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const parts = [time];
  if (!entry.access || level !== 30) parts.push((LEVELS[level] ?? String(level)).padEnd(5));
  parts.push(String(entry.msg ?? ''));
  let stack: string | undefined;
  for (const [key, value] of Object.entries(entry)) {
    if (OMITTED.has(key) || value === undefined || (entry.access && ACCESS_FIELDS.has(key))) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: string; stack?: string };
      parts.push(`error=${JSON.stringify(err.message ?? '')}`);
      stack = err.stack;
      continue;
    }
    parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return `${parts.join(' ')}${stack && level >= 50 ? `\n${stack}` : ''}`;
}

/** A destination for pino that writes pretty lines to `out`. */
export function prettyStream(out: NodeJS.WritableStream = process.stdout): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line) out.write(`${prettyLine(line)}\n`);
        newline = pending.indexOf('\n');
      }
      done();
    },
  });
}

/** One access line per request, `GET /path 200 12 ms`, instead of Fastify's two JSON lines. */
export function logAccess(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const ms = Math.round(reply.elapsedTime);
    const status = reply.statusCode;
    const log = status >= 500 ? request.log.error.bind(request.log) : request.log.info.bind(request.log);
    const url = loggedUrl(request.url);
    log({ access: true, method: request.method, url, statusCode: status, ms }, `${request.method} ${url} ${status} ${ms} ms`);
  });
}
