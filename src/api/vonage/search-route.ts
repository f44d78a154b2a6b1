/**
 * `GET /interactions` (seed 004): interactions with content in a window of at
 * most 7 days, oldest first, keyset-paged with a signed continuation token
 * bound to the query and the caller.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { decodeCursor, encodeCursor, queryFingerprint } from '../../domain/cursor.js';
import { errors } from '../../domain/errors.js';
import type { Direction } from '../../domain/interaction.js';
import { describePrincipal } from '../../domain/principal.js';
import { type InteractionSearch, MAX_PAGE_SIZE } from '../../domain/search.js';
import type { Vault } from '../../services/vault.js';
import { instantParam } from '../shared/params.js';
import { warnUnencodedPlus } from '../shared/plus-warning.js';
import { SEARCH_RESULT, vonageSchema } from './schemas.js';

const MAX_WINDOW_MS = 7 * 24 * 3600_000;

export interface SearchQuery {
  start: string;
  end: string;
  handlingAgentId?: string;
  connectFrom?: string;
  connectTo?: string;
  direction?: Direction;
  continuationToken?: string;
  limit: number;
}

const PARAMETERS: readonly (keyof SearchQuery)[] = [
  'start',
  'end',
  'handlingAgentId',
  'connectFrom',
  'connectTo',
  'direction',
  'continuationToken',
  'limit',
];
const BY_LOWER_CASE = new Map(PARAMETERS.map((name) => [name.toLowerCase(), name]));

/**
 * Vonage binds parameter names case-insensitively (its own sample sends
 * `connectfrom`). A name given twice in different cases becomes a list, which
 * validation then refuses like any repeated parameter.
 */
function canonicalParameterNames(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  const named: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) {
    const name = BY_LOWER_CASE.get(key.toLowerCase()) ?? key;
    named[name] = name in named ? [named[name], value].flat() : value;
  }
  request.query = named;
  done();
}

const prefix = (what: string) =>
  ({ type: 'string', minLength: 1, maxLength: 50, description: `${what}; "starts with", case-sensitive` }) as const;

export async function searchRoute(app: FastifyInstance, { vault, cursorKey }: { vault: Vault; cursorKey: Uint8Array }) {
  app.get<{ Querystring: SearchQuery }>(
    '/interactions',
    {
      schema: vonageSchema('vonageSearchInteractions', 'Search interactions with content', {
        description:
          'Only interactions with at least one content item, oldest first. Parameter names are matched case-insensitively; unknown parameters are ignored.',
        querystring: {
          type: 'object',
          required: ['start', 'end'],
          properties: {
            start: { type: 'string', maxLength: 64, description: 'ISO 8601, inclusive', examples: ['2021-12-01T14:18:23.857Z'] },
            end: { type: 'string', maxLength: 64, description: 'ISO 8601, inclusive; at most 7 days after start' },
            handlingAgentId: { type: 'string', minLength: 1, maxLength: 256 },
            connectFrom: prefix('the address of the party that initiated the interaction'),
            connectTo: prefix('the address of the party that received the interaction'),
            direction: { type: 'string', enum: ['inbound', 'outbound'] },
            continuationToken: { type: 'string', maxLength: 512, description: 'meta.nextContinuationToken of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: MAX_PAGE_SIZE },
          },
        },
        response: { 200: SEARCH_RESULT },
      }),
      config: { operation: 'content.read' },
      preValidation: canonicalParameterNames,
    },
    async (request, reply) => {
      const q = request.query;
      warnUnencodedPlus(reply, { connectFrom: q.connectFrom, connectTo: q.connectTo });
      const fromMs = instantParam('start', q.start);
      const toMs = instantParam('end', q.end);
      if (toMs < fromMs) throw errors.invalidField('end', 'must not be before start');
      if (toMs - fromMs > MAX_WINDOW_MS) throw errors.invalidField('end', 'must be at most 7 days after start');

      const search: InteractionSearch = { source: 'main', order: 'asc', limit: q.limit, withContentOnly: true, fromMs, toMs };
      if (q.handlingAgentId !== undefined) search.handlingAgentId = q.handlingAgentId;
      if (q.connectFrom !== undefined) search.connectFromPrefix = q.connectFrom;
      if (q.connectTo !== undefined) search.connectToPrefix = q.connectTo;
      if (q.direction !== undefined) search.direction = q.direction;

      // The page size may change between pages; everything that selects rows may not. Computed only where a token
      // is read or written (a one-page answer needs none).
      let print: string | undefined;
      const fingerprint = () =>
        (print ??= queryFingerprint({
          api: 'vonage',
          who: describePrincipal(request.principal),
          filters: {
            fromMs,
            toMs,
            handlingAgentId: q.handlingAgentId,
            connectFrom: q.connectFrom,
            connectTo: q.connectTo,
            direction: q.direction,
          },
        }));
      if (q.continuationToken !== undefined) {
        const after = decodeCursor(cursorKey, fingerprint(), q.continuationToken);
        if (!after) throw errors.invalidField('continuationToken', 'is malformed, altered, or belongs to another query');
        search.after = after;
      }

      // Each item is kept whole by the database and the page is one statement (SearchRepository.vonagePage): it is
      // handed to the socket as one Buffer of known length, never serialized.
      const page = await vault.vonagePage(request.principal, search);
      const token = page.next ? encodeCursor(cursorKey, fingerprint(), page.next) : null;
      reply.type('application/json; charset=utf-8');
      return pageBytes(page.items, token);
    },
  );
}

const PAGE_START = Buffer.from('{"items":[');
const COMMA = 0x2c;

/**
 * The response body as one Buffer: the items (JSON texts, joined by commas) between the page's opening and its
 * meta, each written once, in place (a string body costs the server three times as much to send: docs/BENCHMARKS.md,
 * "Vonage pages as one statement"; building one string first and encoding it cost a fifth more than writing the
 * parts: "Pages, session 4").
 */
function pageBytes(items: readonly (string | Uint8Array)[], token: string | null): Buffer {
  const end = `],"meta":{"nextContinuationToken":${JSON.stringify(token)}}}`;
  let length = PAGE_START.length + Buffer.byteLength(end) + Math.max(items.length - 1, 0);
  for (const item of items) length += typeof item === 'string' ? Buffer.byteLength(item) : item.byteLength;
  const body = Buffer.allocUnsafe(length);
  let at = PAGE_START.copy(body, 0);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) body[at++] = COMMA;
    const item = items[i] as string | Uint8Array;
    if (typeof item === 'string') at += body.write(item, at);
    else {
      body.set(item, at);
      at += item.byteLength;
    }
  }
  body.write(end, at);
  return body;
}
