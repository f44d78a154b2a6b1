/** GetInteractionContent: one interaction and, for chat, facebooksession and smssession, its messages in index order. */

import type { FastifyInstance } from 'fastify';
import { GENESYS_STATUS } from '../../domain/errors.js';
import { MESSAGE_MEDIA_TYPES } from '../../domain/interaction.js';
import type { Source } from '../../domain/search.js';
import type { Vault } from '../../services/vault.js';
import type { AsyncResults } from './async-results.js';
import { assertFeature, assertMediaAllowed } from './features.js';
import { interactionContentResource, messageResource, type Resource, resourceContext } from './resources.js';
import { ACCEPTED, ERROR_RESPONSES, operationBody } from './schemas.js';

export async function contentRoutes(app: FastifyInstance, { vault, results }: { vault: Vault; results: AsyncResults }) {
  app.post<{ Body: { operationName: string; source?: Source }; Params: { id: string } }>(
    '/interactions/:id',
    {
      schema: {
        summary: 'GetInteractionContent (result on CometD /v2/ucs/interactions)',
        tags: ['genesys'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 256, description: 'the interaction id (or guid)' } },
        },
        body: operationBody(['GetInteractionContent'], false),
        response: { 200: ACCEPTED, ...ERROR_RESPONSES },
      },
      config: { operation: 'interaction.read' },
    },
    async (request) => {
      const { principal } = request;
      assertFeature(principal.tenant, 'api-multimedia', 'operationName');
      const context = resourceContext(request);
      const { id } = request.params;
      const source = request.body.source ?? 'main';
      const referenceId = await results.start(principal, 'GetInteractionContentMessage', async () => {
        const record = await vault.get(principal, id, source);
        assertMediaAllowed(principal.tenant, record.mediaType, 'id');
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
