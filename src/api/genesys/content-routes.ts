/**
 * POST /ucs/interactions/{id}: GetInteractionContent (one interaction and, for
 * chat, facebooksession and smssession, its messages in index order; for an
 * email its bodies and attachments), and the voice operations on a call
 * (call-operations.ts).
 */

import type { FastifyInstance } from 'fastify';
import { GENESYS_STATUS } from '../../domain/errors.js';
import { MESSAGE_MEDIA_TYPES } from '../../domain/interaction.js';
import type { Source } from '../../domain/search.js';
import type { Vault } from '../../services/vault.js';
import { type AsyncResults, RESULT_KINDS } from './async-results.js';
import { CALL_UPDATES, type CallUpdateBody, startCallUpdate } from './call-operations.js';
import { assertFeature, assertMediaAllowed } from './features.js';
import { interactionContentResource, messageResource, type Resource, resourceContext } from './resources.js';
import { ACCEPTED, CALL_UPDATE_PROPERTIES, ERROR_RESPONSES, operationBody, SOURCE_PROPERTIES } from './schemas.js';

export async function contentRoutes(app: FastifyInstance, { vault, results }: { vault: Vault; results: AsyncResults }) {
  app.post<{ Body: { operationName: 'GetInteractionContent'; source?: Source } | CallUpdateBody; Params: { id: string } }>(
    '/interactions/:id',
    {
      schema: {
        operationId: 'ucsGetInteractionContent',
        summary: 'GetInteractionContent; SetCallNote, SetCallCompleted, SetCallContact (results on CometD /v2/ucs/interactions)',
        description: 'SetCallNote, SetCallCompleted and SetCallContact need `call.update` (feature api-ucs-voice).',
        tags: ['genesys'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 256, description: 'the interaction id (or guid)' } },
        },
        body: operationBody(['GetInteractionContent', ...CALL_UPDATES], { ...SOURCE_PROPERTIES, ...CALL_UPDATE_PROPERTIES }),
        response: { 200: ACCEPTED, ...ERROR_RESPONSES },
      },
      config: { operation: 'interaction.read' },
    },
    async (request) => {
      const { body } = request;
      if (body.operationName !== 'GetInteractionContent')
        return {
          statusCode: GENESYS_STATUS.ok,
          referenceId: await startCallUpdate(request, { vault, results }, request.params.id, body),
        };
      const { principal } = request;
      assertFeature(principal.tenant, 'api-multimedia', 'operationName');
      const context = resourceContext(request);
      const { id } = request.params;
      const source = body.source ?? 'main';
      const referenceId = await results.start(principal, RESULT_KINDS.content, async () => {
        const record = await vault.getWithTranscript(principal, id, source, (r) =>
          assertMediaAllowed(principal.tenant, r.mediaType, 'id'),
        );
        const result: { interaction: Resource; messages?: Resource[] } = {
          interaction: interactionContentResource(record, context),
        };
        if (MESSAGE_MEDIA_TYPES.has(record.mediaType)) {
          const inOrder = [...record.messages].sort((a, b) => a.index - b.index);
          result.messages = inOrder.map((m) => messageResource(m, context.timeZone));
        }
        return result;
      });
      return { statusCode: GENESYS_STATUS.ok, referenceId };
    },
  );
}
