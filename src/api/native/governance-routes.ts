/**
 * Governance for a tenant's admins: legal holds, retention policies (with the
 * dry run of what they remove) and the report of card numbers masked on ingest.
 */
import type { FastifyInstance } from 'fastify';
import type { LegalHold } from '../../domain/holds.js';
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
          maxAgeDays: { type: 'number' },
        },
      },
    },
  },
  examples: [{ rules: [{ mediaType: 'call', contentType: 'callRecording', maxAgeDays: 90 }, { maxAgeDays: 2555 }] }],
} as const;

const HOLD_ID = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 256 } } } as const;

export async function governanceRoutes(
  app: FastifyInstance,
  { vault, retention }: { vault: Vault; retention: RetentionService },
) {
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

  app.get<{ Querystring: { includeReleased: boolean } }>(
    '/holds',
    {
      config: { operation: 'hold.manage' },
      schema: {
        operationId: 'listHolds',
        summary: "The tenant's legal holds (admins); released ones with includeReleased=true",
        response: { 200: { type: 'object', properties: { holds: { type: 'array', items: HOLD } } } },
        tags: ['native'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { includeReleased: { type: 'boolean', default: false } },
        },
      },
    },
    async (request) => ({
      holds: (await vault.listHolds(request.principal, { includeReleased: request.query.includeReleased })).map(holdJson),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/holds/:id',
    {
      config: { operation: 'hold.manage' },
      schema: {
        operationId: 'getHold',
        summary: 'One legal hold, with the interactions it names',
        tags: ['native'],
        params: HOLD_ID,
        response: { 200: HOLD },
      },
    },
    async (request) => holdJson(await vault.getHold(request.principal, request.params.id)),
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
