/** Export jobs (admins), in the manner of Vonage's Interaction Content Export API. */
import type { FastifyInstance } from 'fastify';
import { checkExportSpec, EXPORT_SCHEDULES, type ExportSpecInput } from '../../domain/export.js';
import { CONTENT_TYPES, MEDIA_TYPES } from '../../domain/interaction.js';
import type { ExportService } from '../../services/exports.js';
import { instantParam } from '../shared/params.js';

const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const instant = { type: 'string', maxLength: 64, description: 'ISO 8601 instant, inclusive' } as const;
const list = (values: readonly string[]) =>
  ({ type: 'array', maxItems: values.length, items: { type: 'string', maxLength: 64 }, description: values.join(', ') }) as const;

/** A job as the API shows it (ExportJobView); every field is kept. */
const JOB = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'scheduled', 'done', 'failed', 'cancelled'] },
    run: { type: 'integer' },
    progress: { type: 'object', additionalProperties: true },
    errors: { type: 'array', items: { type: 'object', additionalProperties: true } },
    location: { type: 'string' },
  },
} as const;

export async function exportRoutes(app: FastifyInstance, { exports }: { exports: ExportService }) {
  app.post<{ Body: ExportSpecInput }>(
    '/exports',
    {
      config: { operation: 'export.manage' },
      schema: {
        operationId: 'createExportJob',
        summary: 'Create an export job: one-off over a time range, or recurring (hourly, daily)',
        description:
          'Writes the content of the interactions that started in the range (a recurring job: since its previous run and ' +
          'more than `delayMinutes` ago, default 12 hours) with a manifest per run: `run-N/manifest.jsonl`, one JSON line ' +
          'per file with its metadata and SHA-256. Empty filter lists export everything. A job resumes after a crash ' +
          'without duplicating or skipping a file.',
        tags: ['native'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['startDate'],
          properties: {
            startDate: instant,
            endDate: instant,
            schedule: { type: 'string', enum: [...EXPORT_SCHEDULES] },
            delayMinutes: { type: 'integer', minimum: 0, maximum: 525_600 },
            filters: {
              type: 'object',
              additionalProperties: false,
              properties: {
                contentTypes: list(CONTENT_TYPES),
                initialDirection: list(['inbound', 'outbound']),
                mediaTypes: list(MEDIA_TYPES),
              },
            },
          },
          examples: [
            {
              startDate: '2025-03-01T00:00:00Z',
              endDate: '2025-04-01T00:00:00Z',
              filters: { contentTypes: ['callRecording'], mediaTypes: ['call'] },
            },
          ],
        },
        response: { 201: JOB },
      },
    },
    async (request, reply) => {
      const job = await exports.create(request.principal, checkExportSpec(request.body, instantParam));
      // This server starts on it at once; any server sharing the database would within its poll interval.
      exports.poke().catch((err: Error) => request.log.error({ err }, 'export failed'));
      reply.header('Location', `${app.prefix}/exports/${job.id}`);
      return reply.code(201).send(job);
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    '/exports',
    {
      config: { operation: 'export.manage' },
      schema: {
        operationId: 'listExportJobs',
        summary: 'Export jobs, newest first',
        tags: ['native'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: JOB } } } },
      },
    },
    async (request) => ({ items: await exports.list(request.principal, request.query.limit) }),
  );

  app.get<{ Params: { id: string } }>(
    '/exports/:id',
    {
      config: { operation: 'export.manage' },
      schema: {
        operationId: 'getExportJob',
        summary: 'An export job: status, progress, counts, errors',
        tags: ['native'],
        params: ID_PARAMS,
        response: { 200: JOB },
      },
    },
    async (request) => exports.get(request.principal, request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/exports/:id/cancel',
    {
      config: { operation: 'export.manage' },
      schema: {
        operationId: 'cancelExportJob',
        summary: 'Cancel an export job (a batch under way is not committed); an ended job is answered as it is',
        tags: ['native'],
        params: ID_PARAMS,
        response: { 200: JOB },
      },
    },
    async (request) => exports.cancel(request.principal, request.params.id),
  );
}
