/**
 * Content upload and download. Uploads are raw bodies streamed to the blob
 * store: no parser buffers them, so memory stays flat whatever their size.
 */
import type { FastifyInstance } from 'fastify';
import type { Source } from '../../domain/search.js';
import type { ContentUpload, Vault } from '../../services/vault.js';
import { DOWNLOAD_ERRORS, DOWNLOAD_HEADERS, DOWNLOAD_RESPONSES, sendContent } from '../shared/content-response.js';
import { CONTENT_ITEM, SOURCE } from './schemas.js';

const PARAMS = {
  type: 'object',
  required: ['id', 'contentKey'],
  properties: { id: { type: 'string', maxLength: 256 }, contentKey: { type: 'string', maxLength: 256 } },
} as const;

type Params = { id: string; contentKey: string };

export async function contentRoutes(app: FastifyInstance, { vault }: { vault: Vault }) {
  // Leave every body unparsed: the handler streams request.raw itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  app.put<{ Params: Params; Querystring: Omit<ContentUpload, 'contentType'> }>(
    '/interactions/:id/content/:contentKey',
    {
      config: {
        operation: 'interaction.write',
        docBody: {
          consumes: ['*/*'],
          schema: { type: 'string', format: 'binary', description: 'the content, sent with its own Content-Type' },
        },
        docErrors: { 413: 'The content exceeds the configured size limit' },
      },
      schema: {
        operationId: 'uploadContent',
        summary: 'Upload content (raw body, streamed)',
        description:
          'The body is the content itself, with its Content-Type. `type` may be left out when the key is a type name (callRecording, transcript…).',
        tags: ['native'],
        params: PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', maxLength: 64 },
            duration: { type: 'string', pattern: '^\\d+$', maxLength: 15, description: 'milliseconds' },
            version: { type: 'string', pattern: '^\\d+$', maxLength: 15 },
            owningAgent: { type: 'string', maxLength: 256 },
            owningInteractionPlan: { type: 'string', maxLength: 256 },
            fileName: { type: 'string', maxLength: 255, description: 'an attachment: the name it was sent with' },
          },
        },
        response: { 201: CONTENT_ITEM },
      },
    },
    async (request, reply) => {
      const upload: ContentUpload = { ...request.query, contentType: request.headers['content-type'] };
      const item = await vault.putContent(request.principal, request.params.id, request.params.contentKey, request.raw, upload);
      return reply.code(201).send({
        ...item,
        lastModified: new Date(item.lastModifiedMs).toISOString(),
        owningAgent: item.owningAgentId !== undefined ? { id: item.owningAgentId } : undefined,
        owningInteractionPlan: item.owningInteractionPlanId !== undefined ? { id: item.owningInteractionPlanId } : undefined,
      });
    },
  );

  app.get<{ Params: Params; Querystring: { source: Source } }>(
    '/interactions/:id/content/:contentKey',
    {
      config: { operation: 'content.read', docResponses: DOWNLOAD_RESPONSES, docErrors: DOWNLOAD_ERRORS },
      schema: {
        operationId: 'downloadContent',
        summary: 'Download content (Range and conditional requests supported)',
        tags: ['native'],
        params: PARAMS,
        headers: { type: 'object', properties: DOWNLOAD_HEADERS },
        querystring: { type: 'object', additionalProperties: false, properties: { source: SOURCE } },
      },
    },
    async (request, reply) => {
      const content = await vault.openContent(
        request.principal,
        request.params.id,
        request.params.contentKey,
        request.query.source,
      );
      return sendContent(request, reply, content);
    },
  );

  app.delete<{ Params: Params }>(
    '/interactions/:id/content/:contentKey',
    {
      config: { operation: 'content.delete' },
      schema: {
        operationId: 'deleteContent',
        summary: 'Delete one content item',
        tags: ['native'],
        params: PARAMS,
        response: { 204: { type: 'null', description: 'Deleted' } },
      },
    },
    async (request, reply) => {
      await vault.deleteContent(request.principal, request.params.id, request.params.contentKey);
      return reply.code(204).send();
    },
  );
}
