/** One interaction by GUID: read it (in the search's item shape), or delete it with all its content. */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.js';
import { toVonageItem } from '../../domain/vonage-item.js';
import type { Vault } from '../../services/vault.js';
import { GUID_PARAM, parseGuid } from './guid.js';
import { ITEM, vonageSchema } from './schemas.js';

const PARAMS = { type: 'object', required: ['guid'], properties: { guid: GUID_PARAM } } as const;

type Params = { guid: string };

export async function interactionRoutes(app: FastifyInstance, { vault }: { vault: Vault }) {
  app.get<{ Params: Params }>(
    '/interactions/:guid',
    {
      schema: vonageSchema('vonageGetInteraction', 'Get one interaction with its content list', {
        description: 'As in the search, only an interaction with at least one content item is found.',
        params: PARAMS,
        response: { 200: ITEM },
      }),
      config: { operation: 'content.read' },
    },
    async (request) => {
      const guid = parseGuid(request.params.guid);
      const interaction = await vault.get(request.principal, guid);
      if (interaction.content.length === 0) throw errors.interactionNotFound(guid);
      return toVonageItem(interaction, interaction.content);
    },
  );

  app.delete<{ Params: Params }>(
    '/interactions/:guid',
    {
      schema: vonageSchema('vonageDeleteInteraction', 'Delete one interaction and all its content', {
        description: 'Answers 200 with an empty JSON object, as Vonage does. The deletion is audited.',
        params: PARAMS,
        response: { 200: { type: 'object', additionalProperties: false } },
      }),
      config: { operation: 'interaction.delete' },
    },
    async (request) => {
      await vault.delete(request.principal, parseGuid(request.params.guid));
      return {};
    },
  );
}
