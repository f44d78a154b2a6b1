/** The native search: the union of both facades' filters, keyset-paged with an opaque cursor. */
import type { FastifyInstance } from 'fastify';
import { toCanonicalJson } from '../../domain/canonical.js';
import { decodeCursor, encodeCursor, queryFingerprint } from '../../domain/cursor.js';
import { errors } from '../../domain/errors.js';
import { MAX_QUERY_CHARS, parseTextQuery, type TextMatch } from '../../domain/fulltext.js';
import { MEDIA_TYPES } from '../../domain/interaction.js';
import type { InteractionSearch, SortOrder, Source } from '../../domain/search.js';
import { LIMITS, parseMediaType } from '../../domain/validate.js';
import type { Vault } from '../../services/vault.js';
import { instantParam } from '../shared/params.js';
import { warnUnencodedPlus } from '../shared/plus-warning.js';
import { SEARCH_HIT, SOURCE } from './schemas.js';

export interface SearchQuery {
  from?: string;
  to?: string;
  mediaType?: string;
  ownerId?: string;
  handlingAgentId?: string;
  contactId?: string;
  connectFrom?: string;
  connectTo?: string;
  direction?: 'inbound' | 'outbound';
  customAttribute?: string[];
  hasContent?: boolean;
  q?: string;
  sort: SortOrder | 'relevance';
  limit: number;
  cursor?: string;
  source: Source;
}

const id = { type: 'string', minLength: 1, maxLength: 256 } as const;
const prefix = { type: 'string', minLength: 1, maxLength: 256 } as const;
const instant = { type: 'string', maxLength: 64 } as const;

export async function searchRoutes(app: FastifyInstance, { vault, cursorKey }: { vault: Vault; cursorKey: Uint8Array }) {
  app.get<{ Querystring: SearchQuery }>(
    '/interactions',
    {
      config: { operation: 'interaction.read' },
      schema: {
        operationId: 'searchInteractions',
        summary: 'Search interactions',
        tags: ['native'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...instant, description: 'ISO 8601 instant, inclusive' },
            to: { ...instant, description: 'ISO 8601 instant, inclusive' },
            mediaType: { type: 'string', maxLength: 256, description: `comma-separated: ${MEDIA_TYPES.join(', ')}` },
            ownerId: id,
            handlingAgentId: id,
            contactId: id,
            connectFrom: { ...prefix, description: 'starts with' },
            connectTo: { ...prefix, description: 'starts with' },
            direction: { type: 'string', enum: ['inbound', 'outbound'] },
            customAttribute: {
              type: 'array',
              maxItems: LIMITS.searchCustomAttributes,
              items: {
                type: 'string',
                pattern: '^[^=]+=.*$',
                maxLength: LIMITS.customAttributeName + 1 + LIMITS.customAttributeValue,
              },
              description: 'name=value, repeatable; all must match',
            },
            hasContent: { type: 'boolean' },
            q: {
              type: 'string',
              maxLength: MAX_QUERY_CHARS,
              description:
                'full-text query over subject, comment, messages, email bodies, transcripts and file names: ' +
                'words (all must occur), "exact phrases", prefix*, OR, -exclusion, parentheses (docs/SEARCH.md)',
            },
            sort: {
              type: 'string',
              enum: ['asc', 'desc', 'relevance'],
              default: 'desc',
              description: 'by start time; relevance (with q): the best `limit` hits, one page',
            },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', maxLength: 512 },
            source: SOURCE,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                description: 'Listed without their messages (transcripts): GET /interactions/{id} has them.',
                items: SEARCH_HIT,
              },
              nextCursor: { type: ['string', 'null'] },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      warnUnencodedPlus(reply, { connectFrom: q.connectFrom, connectTo: q.connectTo });
      const search: InteractionSearch = {
        source: q.source,
        order: q.sort === 'asc' ? 'asc' : 'desc',
        limit: q.limit,
        withContentOnly: q.hasContent === true,
      };
      if (q.q !== undefined) search.text = parseTextQuery(q.q);
      if (q.sort === 'relevance') {
        if (!search.text) throw errors.invalidField('sort', 'relevance needs a text query (q)');
        if (q.cursor !== undefined) throw errors.invalidField('cursor', 'a relevance search has one page only');
        search.byRelevance = true;
      }
      if (q.from !== undefined) search.fromMs = instantParam('from', q.from);
      if (q.to !== undefined) search.toMs = instantParam('to', q.to);
      if (search.fromMs !== undefined && search.toMs !== undefined && search.toMs < search.fromMs)
        throw errors.invalidField('to', 'must not be before from');
      if (q.mediaType !== undefined) {
        search.mediaTypes = q.mediaType.split(',').map((raw) => {
          const media = parseMediaType(raw.trim());
          if (!media) throw errors.invalidField('mediaType', `'${raw}' is not one of ${MEDIA_TYPES.join(', ')}`);
          return media;
        });
      }
      if (q.ownerId !== undefined) search.ownerId = q.ownerId;
      if (q.handlingAgentId !== undefined) search.handlingAgentId = q.handlingAgentId;
      if (q.contactId !== undefined) search.contactId = q.contactId;
      if (q.connectFrom !== undefined) search.connectFromPrefix = q.connectFrom;
      if (q.connectTo !== undefined) search.connectToPrefix = q.connectTo;
      if (q.direction !== undefined) search.direction = q.direction;
      if (q.customAttribute !== undefined) {
        search.customAttributes = {};
        for (const pair of q.customAttribute) {
          const eq = pair.indexOf('=');
          search.customAttributes[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
      }
      const { cursor, limit: _limit, ...filters } = q;
      const fingerprint = queryFingerprint({
        api: 'native',
        tenant: request.principal.tenant.id,
        who: request.principal.id,
        filters,
      });
      if (cursor !== undefined) {
        const after = decodeCursor(cursorKey, fingerprint, cursor);
        if (!after) throw errors.invalidField('cursor', 'is malformed, altered, or belongs to another query');
        search.after = after;
      }
      const page = await vault.search(request.principal, search, { withContent: true });
      return {
        // A listing leaves out transcripts (messages): GET /interactions/{id} has them.
        items: page.items.map((item) => {
          const { messages: _omitted, ...listed } = toCanonicalJson({
            ...item,
            messages: [],
            content: page.content.get(item.id) ?? [],
            createdMs: 0,
            updatedMs: 0,
          });
          const found = page.matches?.get(item.id);
          return found ? { ...listed, matches: found.matches.map(matchJson), matchedParts: found.total } : listed;
        }),
        nextCursor: page.next ? encodeCursor(cursorKey, fingerprint, page.next) : null,
      };
    },
  );
}

/** A match as the native API prints it. */
function matchJson(m: TextMatch) {
  return {
    in: m.place,
    ...(m.contentKey !== undefined ? { contentKey: m.contentKey } : {}),
    ...(m.place === 'message' ? { messageIndex: m.seq } : {}),
    ...(m.place === 'transcript' ? { segment: m.seq } : {}),
    ...(m.atMs !== undefined ? { startMs: m.atMs } : {}),
    ...(m.speaker !== undefined ? { speaker: m.speaker } : {}),
    snippet: m.snippet,
    highlights: m.highlights,
  };
}
