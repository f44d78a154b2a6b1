/** The audit log (admins): search, export as JSON lines, and verification of the tenant's hash chain. */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AUDIT_ACTIONS, type ChainedAuditEntry } from '../../domain/audit.js';
import { errors } from '../../domain/errors.js';
import type { Vault } from '../../services/vault.js';
import type { AuditFilter } from '../../store/audit-repository.js';
import { instantParam } from '../shared/params.js';

interface FilterQuery {
  principal?: string;
  interactionId?: string;
  action?: string;
  from?: string;
  to?: string;
  /** Before `since` was joined by from/to it was the only filter: kept as a synonym of `from`. */
  since?: string;
}

const text = { type: 'string', minLength: 1, maxLength: 512 } as const;
const instant = { type: 'string', maxLength: 64 } as const;
const FILTER_PROPERTIES = {
  principal: { ...text, description: 'who: `user:<tenant>/<id>` or `client:<tenant>/<clientId>`' },
  interactionId: text,
  action: { ...text, description: AUDIT_ACTIONS.join(', ') },
  from: { ...instant, description: 'ISO 8601 instant, inclusive' },
  to: { ...instant, description: 'ISO 8601 instant, inclusive' },
  since: { ...instant, description: 'same as from' },
} as const;

function filterOf(q: FilterQuery): AuditFilter {
  const filter: AuditFilter = {};
  if (q.principal !== undefined) filter.actor = q.principal;
  if (q.interactionId !== undefined) filter.interactionId = q.interactionId;
  if (q.action !== undefined) filter.action = q.action;
  const from = q.from ?? q.since;
  if (from !== undefined) filter.fromMs = instantParam(q.from !== undefined ? 'from' : 'since', from);
  if (q.to !== undefined) filter.toMs = instantParam('to', q.to);
  if (filter.fromMs !== undefined && filter.toMs !== undefined && filter.toMs < filter.fromMs)
    throw errors.invalidField('to', 'must not be before from');
  return filter;
}

const AUDIT_PAGE = {
  type: 'object',
  properties: {
    entries: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          chainNo: { type: 'integer' },
          at: { type: 'string', format: 'date-time' },
          actor: { type: 'string' },
          action: { type: 'string' },
          interactionId: { type: 'string' },
          contentKey: { type: 'string' },
          detail: { type: 'object', additionalProperties: true },
          prevHash: { type: 'string' },
          hash: { type: 'string' },
        },
      },
    },
    next: { type: ['integer', 'null'], description: 'pass as `before` for the next (older) page' },
  },
} as const;

/** An entry on the wire: the instant as ISO 8601, the chain fields as stored. */
export function auditEntryJson({ atMs, ...rest }: ChainedAuditEntry) {
  return { at: new Date(atMs).toISOString(), ...rest };
}

export async function auditRoutes(app: FastifyInstance, { vault }: { vault: Vault }) {
  app.get<{ Querystring: FilterQuery & { limit: number; before?: number } }>(
    '/audit',
    {
      config: { operation: 'audit.read' },
      schema: {
        operationId: 'getAuditLog',
        summary: 'Search the audit log, newest first (admins)',
        tags: ['native'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...FILTER_PROPERTIES,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            before: {
              type: 'integer',
              minimum: 1,
              // A bigint holds it, on PostgreSQL too (a larger position was a 500 there).
              maximum: Number.MAX_SAFE_INTEGER,
              description: 'the `next` of the previous page',
            },
          },
        },
        response: { 200: AUDIT_PAGE },
      },
    },
    async (request) => {
      const { limit, before, ...q } = request.query;
      const page = await vault.auditSearch(request.principal, filterOf(q), {
        limit,
        ...(before !== undefined ? { beforeChainNo: before } : {}),
      });
      return { entries: page.entries.map(auditEntryJson), next: page.next ?? null };
    },
  );

  app.get<{ Querystring: FilterQuery }>(
    '/audit/export',
    {
      config: { operation: 'audit.read' },
      schema: {
        operationId: 'exportAuditLog',
        summary: 'Export the audit log as JSON lines, oldest first (admins); the export is itself audited',
        tags: ['native'],
        querystring: { type: 'object', additionalProperties: false, properties: FILTER_PROPERTIES },
        response: { 200: { description: 'one entry per line (application/x-ndjson)', type: 'string' } },
      },
    },
    async (request, reply) => {
      const entries = await vault.auditExport(request.principal, filterOf(request.query));
      const lines = async function* () {
        for await (const entry of entries) yield `${JSON.stringify(auditEntryJson(entry))}\n`;
      };
      reply.header('Cache-Control', 'private, no-store');
      return reply.type('application/x-ndjson').send(Readable.from(lines()));
    },
  );

  app.get(
    '/audit/verify',
    {
      config: { operation: 'audit.read' },
      schema: {
        operationId: 'verifyAuditLog',
        summary: "Verify the tenant's audit hash chain; names the first broken entry",
        tags: ['native'],
        response: {
          200: {
            type: 'object',
            additionalProperties: true,
            properties: {
              ok: { type: 'boolean' },
              entries: { type: 'integer' },
              head: { type: 'object', additionalProperties: true },
              broken: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    },
    async (request) => {
      const report = await vault.auditVerify(request.principal);
      return { ok: report.broken === undefined, ...report };
    },
  );
}
