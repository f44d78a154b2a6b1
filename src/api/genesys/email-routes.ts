/**
 * `GET /api/v2/emails/{id}/attachments/{attachmentId}`: the bytes of an email
 * interaction's attachment, where the `uri` of each attachment of the email
 * resource points (Web Services' GetAttachment: the raw data, with its MIME
 * type). Same credentials and visibility as the interaction itself; the
 * attachment id is the content item's key.
 */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.js';
import type { Vault } from '../../services/vault.js';
import { DOWNLOAD_ERRORS, DOWNLOAD_HEADERS, DOWNLOAD_RESPONSES, sendContent } from '../shared/content-response.js';
import { assertFeature, assertMediaAllowed } from './features.js';
import { ERROR_RESPONSES } from './schemas.js';

const key = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** Registered with the prefix `/api/v2/emails`. */
export async function emailRoutes(app: FastifyInstance, { vault }: { vault: Vault }) {
  app.get<{ Params: { id: string; attachmentId: string } }>(
    '/:id/attachments/:attachmentId',
    {
      schema: {
        operationId: 'genesysGetEmailAttachment',
        summary: "GetAttachment: an email interaction's attachment, raw (Range and conditional requests supported)",
        tags: ['genesys'],
        params: {
          type: 'object',
          required: ['id', 'attachmentId'],
          properties: { id: { ...key, description: 'the email interaction' }, attachmentId: { ...key, description: 'its id' } },
        },
        headers: { type: 'object', properties: DOWNLOAD_HEADERS },
        response: ERROR_RESPONSES,
      },
      config: { operation: 'content.read', docResponses: DOWNLOAD_RESPONSES, docErrors: DOWNLOAD_ERRORS },
    },
    async (request, reply) => {
      const { principal } = request;
      const { id, attachmentId } = request.params;
      assertFeature(principal.tenant, 'api-multimedia', 'id');
      const email = await vault.get(principal, id);
      if (email.mediaType !== 'email') throw errors.notFound(`interaction ${id} is not an email`);
      assertMediaAllowed(principal.tenant, email.mediaType, 'id');
      const content = await vault.openContent(principal, id, attachmentId);
      if (content.item.type !== 'attachment') throw errors.contentNotFound(id, attachmentId);
      return sendContent(request, reply, content);
    },
  );
}
