/** One content item of an interaction: download it (Range, conditional GET) or delete it. */
import type { FastifyInstance } from 'fastify';
import { assertContentKey } from '../../domain/content.js';
import { CODES, isVaultError } from '../../domain/errors.js';
import { CONTENT_TYPES } from '../../domain/interaction.js';
import type { Vault } from '../../services/vault.js';
import { DOWNLOAD_ERRORS, DOWNLOAD_HEADERS, DOWNLOAD_RESPONSES, sendContent } from '../shared/content-response.js';
import { GUID_PARAM, parseGuid } from './guid.js';
import { vonageSchema } from './schemas.js';

const PARAMS = {
  type: 'object',
  required: ['guid', 'contentKey'],
  properties: {
    guid: GUID_PARAM,
    contentKey: {
      type: 'string',
      description:
        "a type name for singletons (callRecording, transcript…) or the item's own key; 1 to 36 of [0-9a-zA-Z!-_.,*'()]",
    },
  },
} as const;

type Params = { guid: string; contentKey: string };

/**
 * Vonage's own samples ask for `…/content/callrecording`: a key that names a
 * content type matches that type's singleton key in any case, when no item
 * has the key exactly as written.
 */
async function withTypeNameFallback<T>(contentKey: string, action: (key: string) => Promise<T>): Promise<T> {
  try {
    return await action(contentKey);
  } catch (err) {
    const typeName = CONTENT_TYPES.find((t) => t.toLowerCase() === contentKey.toLowerCase());
    if (typeName === undefined || typeName === contentKey || !isVaultError(err) || err.code !== CODES.contentNotFound) throw err;
    return action(typeName);
  }
}

export async function contentRoutes(app: FastifyInstance, { vault }: { vault: Vault }) {
  app.get<{ Params: Params }>(
    '/interactions/:guid/content/:contentKey',
    {
      schema: vonageSchema('vonageDownloadContent', 'Download one content item', {
        description:
          'The stored bytes with their Content-Type, Content-Length, ETag and Last-Modified. A single `Range` (also open or suffix) answers 206, an unsatisfiable one 416; If-None-Match / If-Modified-Since answer 304.',
        params: PARAMS,
        headers: { type: 'object', properties: DOWNLOAD_HEADERS },
      }),
      config: { operation: 'content.read', docResponses: DOWNLOAD_RESPONSES, docErrors: DOWNLOAD_ERRORS },
    },
    async (request, reply) => {
      const guid = parseGuid(request.params.guid);
      const { contentKey } = request.params;
      assertContentKey(contentKey);
      const content = await withTypeNameFallback(contentKey, (key) => vault.openContent(request.principal, guid, key));
      return sendContent(request, reply, content);
    },
  );

  app.delete<{ Params: Params }>(
    '/interactions/:guid/content/:contentKey',
    {
      schema: vonageSchema('vonageDeleteContent', 'Delete one content item', {
        description: 'Answers 204. The deletion is audited.',
        params: PARAMS,
        response: { 204: { type: 'null' } },
      }),
      config: { operation: 'content.delete' },
    },
    async (request, reply) => {
      const guid = parseGuid(request.params.guid);
      const { contentKey } = request.params;
      assertContentKey(contentKey);
      await withTypeNameFallback(contentKey, (key) => vault.deleteContent(request.principal, guid, key));
      return reply.code(204).send();
    },
  );
}
