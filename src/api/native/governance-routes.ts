/**
 * Governance for a tenant's admins: legal holds, retention policies (with the
 * dry run of what they remove) and the report of card numbers masked on ingest.
 */
import type { FastifyInstance } from 'fastify';
import { decodeCursor, encodeCursor, queryFingerprint } from '../../domain/cursor.js';
import { errors } from '../../domain/errors.js';
import type { LegalHold } from '../../domain/holds.js';
import type { Principal } from '../../domain/principal.js';
import { MAX_AGE_DAYS } from '../../domain/retention.js';
import { MAX_PAGE_SIZE } from '../../domain/search.js';
import type { RetentionService } from '../../services/retention.js';
import type { Vault } from '../../services/vault.js';
import type { Policies, StoredPolicy } from '../../store/retention-repository.js';

const iso = (ms: number) => new Date(ms).toISOString();

function holdJson(hold: LegalHold) {
  const { createdMs, releasedMs, query, ...rest } = hold;
  return {
    ...rest,
    ...(query ? { query: { ...omit(query, ['fromMs', 'toMs']), from: iso(query.fromMs), to: iso(query.toMs) } } : {}),
    created: iso(createdMs),
    ...(releasedMs !== undefined ? { released: iso(releasedMs) } : {}),
  };
}

function omit<T extends object, K extends keyof T>(value: T, keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

function policyJson(policy: StoredPolicy | undefined) {
  if (!policy) return null;
  return { rules: policy.rules, setBy: policy.setBy, set: iso(policy.setMs), effective: iso(policy.effectiveMs) };
}

const policiesJson = (p: Policies, graceMs: number) => ({
  active: policyJson(p.active),
  pending: policyJson(p.pending),
  graceDays: graceMs / 86_400_000,
});

/** Answers are built by the handlers below; the schemas document them without dropping fields. */
const FREE = { type: 'object', additionalProperties: true } as const;
const HOLD = {
  type: 'object',
  additionalProperties: true,
  properties: { id: { type: 'string' }, name: { type: 'string' }, reason: { type: 'string' }, kind: { type: 'string' } },
} as const;
const POLICIES = {
  type: 'object',
  additionalProperties: true,
  properties: { graceDays: { type: 'number' } },
} as const;

const HOLD_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    reason: { type: 'string' },
    interactionIds: { type: 'array', items: { type: 'string' } },
    contactId: { type: 'string' },
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        from: { type: 'string' },
        to: { type: 'string' },
        mediaTypes: { type: 'array', items: { type: 'string' } },
        agentId: { type: 'string' },
        customAttributes: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
  examples: [{ name: 'Case 42', reason: 'litigation: preserve all contact with this customer', contactId: 'contact-1' }],
} as const;

const POLICY_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rules: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          store: { type: 'string' },
          mediaType: { type: 'string' },
          contentType: { type: 'string' },
          maxAgeDays: { type: 'number', minimum: 0, maximum: MAX_AGE_DAYS },
        },
      },
    },
  },
  examples: [{ rules: [{ mediaType: 'call', contentType: 'callRecording', maxAgeDays: 90 }, { maxAgeDays: 2555 }] }],
} as const;

const LIMIT = { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 100 } as const;
const CURSOR = { type: 'string', maxLength: 512, description: 'the `nextCursor` of the previous page' } as const;

const HOLD_ID = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 256 } } } as const;

export async function governanceRoutes(
  app: FastifyInstance,
  { vault, retention, cursorKey }: { vault: Vault; retention: RetentionService; cursorKey: Uint8Array },
) {
  // A cursor is signed for the listing, the caller and its filters: another's, an altered one, or one of another list is a 400.
  const pageFingerprint = (principal: Principal, listing: Record<string, unknown>) =>
    queryFingerprint({ api: 'native', tenant: principal.tenant.id, who: principal.id, ...listing });
  const positionOf = (fingerprint: string, cursor: string) => {
    const position = decodeCursor(cursorKey, fingerprint, cursor);
    if (!position) throw errors.invalidField('cursor', 'is malformed, altered, or belongs to another listing');
    return position;
  };

  app.post(
    '/holds',
    {
      config: { operation: 'hold.manage' },
      schema: {
        operationId: 'createHold',
        summary: 'Place a legal hold (admins)',
        description:
          'Body: `name`, `reason` and exactly one of `interactionIds` (ids or guids, any number), `contactId` (every interaction ' +
          'of the contact, present and future) or `query` (`from`, `to`, optional `mediaTypes`, `agentId`, `customAttributes`). ' +
          'While the hold is active no path deletes what it covers (409; the refusal is audited).',
        tags: ['native'],
        body: HOLD_BODY,
        response: { 201: HOLD },
      },
    },
    async (request, reply) => {
      const hold = await vault.createHold(request.principal, request.body);
      reply.header('Location', `${app.prefix}/holds/${hold.id}`);
      return reply.code(201).send(holdJson(hold));
    },
  );

  app.get<{ Querystring: { includeReleased: boolean; limit: number; cursor?: string } }>(
    '/holds',
    {
      config: { operation: 'hold.manage' },
      schema: {
        operationId: 'listHolds',
        summary: "The tenant's legal holds, newest first, a page at a time (admins); released ones with includeReleased=true",
        response: {
          200: {
            type: 'object',
            properties: { holds: { type: 'array', items: HOLD }, nextCursor: { type: ['string', 'null'] } },
          },
        },
        tags: ['native'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { includeReleased: { type: 'boolean', default: false }, limit: LIMIT, cursor: CURSOR },
        },
      },
    },
    async (request) => {
      const { includeReleased, limit, cursor } = request.query;
      const fingerprint = pageFingerprint(request.principal, { list: 'holds', includeReleased });
      const page = await vault.listHolds(request.principal, {
        includeReleased,
        limit,
        ...(cursor !== undefined ? { after: positionOf(fingerprint, cursor) } : {}),
      });
      return {
        holds: page.holds.map(holdJson),
        nextCursor: page.next ? encodeCursor(cursorKey, fingerprint, page.next) : null,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/holds/:id',
    {
      config: { operation: 'hold.manage' },
      schema: {
        operationId: 'getHold',
        summary: 'One legal hold, with the first 1000 interactions it lists and how many there are',
        description:
          '`interactionIds` (a hold on named interactions) or `pinnedInteractionIds` (a hold on a contact or a query: those a ' +
          'change pinned to it) list the first 1000 by id; `interactionCount` says how many there are, and ' +
          '`interactionsNextCursor`, when more follow, reads the rest from GET /holds/{id}/interactions.',
        tags: ['native'],
        params: HOLD_ID,
        response: { 200: HOLD },
      },
    },
    async (request) => {
      const { nextInteractionId, ...hold } = await vault.getHold(request.principal, request.params.id);
      const fingerprint = pageFingerprint(request.principal, { list: 'hold-interactions', hold: hold.id });
      return {
        ...holdJson(hold),
        interactionsNextCursor:
          nextInteractionId !== undefined ? encodeCursor(cursorKey, fingerprint, { startMs: 0, id: nextInteractionId }) : null,
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>(
    '/holds/:id/interactions',
    {
      config: { operation: 'hold.manage' },
      schema: {
        operationId: 'listHoldInteractions',
        summary: 'The interactions a legal hold lists (named by it, or pinned to it by a change), by id, a page at a time',
        tags: ['native'],
        params: HOLD_ID,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: LIMIT, cursor: CURSOR },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              interactionIds: { type: 'array', items: { type: 'string' } },
              nextCursor: { type: ['string', 'null'] },
            },
          },
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const fingerprint = pageFingerprint(request.principal, { list: 'hold-interactions', hold: request.params.id });
      const page = await vault.holdInteractions(request.principal, request.params.id, {
        limit,
        ...(cursor !== undefined ? { after: positionOf(fingerprint, cursor).id } : {}),
      });
      return {
        interactionIds: page.ids,
        nextCursor: page.next !== undefined ? encodeCursor(cursorKey, fingerprint, { startMs: 0, id: page.next }) : null,
      };
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/holds/:id/release',
    {
      config: { operation: 'hold.manage' },
      schema: {
        operationId: 'releaseHold',
        summary: 'Release a legal hold (admins; audited)',
        response: { 200: HOLD },
        tags: ['native'],
        params: HOLD_ID,
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: { reason: { type: 'string', minLength: 1, maxLength: 4096 } },
          examples: [{ reason: 'case closed' }],
        },
      },
    },
    async (request) => holdJson(await vault.releaseHold(request.principal, request.params.id, request.body.reason)),
  );

  app.get(
    '/retention',
    {
      config: { operation: 'retention.manage' },
      schema: {
        operationId: 'getRetention',
        summary: "The tenant's retention policy: the active one, and a pending change with the time it takes effect",
        response: { 200: POLICIES },
        tags: ['native'],
      },
    },
    async (request) => policiesJson(await retention.show(request.principal), retention.graceMs(request.principal.tenant.id)),
  );

  app.put(
    '/retention',
    {
      config: { operation: 'retention.manage' },
      schema: {
        operationId: 'setRetention',
        summary: 'Set the retention policy (admins)',
        response: { 200: POLICIES },
        description:
          'Body: `{"rules":[{"mediaType":"call","contentType":"callRecording","maxAgeDays":90}, {"maxAgeDays":2555}, …]}`. A rule ' +
          'without contentType removes whole interactions; `store: "archive"` rules govern the archive. A change that would ' +
          'remove anything the active policy keeps becomes `pending` for the grace period (its dry run: GET /retention/preview?policy=pending).',
        tags: ['native'],
        body: POLICY_BODY,
      },
    },
    async (request) =>
      policiesJson(await retention.set(request.principal, request.body), retention.graceMs(request.principal.tenant.id)),
  );

  app.get<{ Querystring: { policy: 'active' | 'pending' } }>(
    '/retention/preview',
    {
      config: { operation: 'retention.manage' },
      schema: {
        operationId: 'previewRetention',
        summary: 'Dry run: what the active (or pending) policy would remove now, and what holds keep',
        response: { 200: FREE },
        tags: ['native'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { policy: { type: 'string', enum: ['active', 'pending'], default: 'active' } },
        },
      },
    },
    async (request) => retention.preview(request.principal, request.query.policy),
  );

  app.get(
    '/redactions',
    {
      config: { operation: 'redaction.report' },
      schema: {
        operationId: 'getRedactionReport',
        summary: 'How many card numbers were masked on ingest, in records and in content (admins)',
        tags: ['native'],
        response: { 200: FREE },
      },
    },
    async (request) => vault.redactionReport(request.principal),
  );
}
