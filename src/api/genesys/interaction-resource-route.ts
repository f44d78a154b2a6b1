/**
 * `GET /api/v2/interactions/{id}`: where the `uri` of every interaction
 * resource points (seeds 000 to 003 print `http://host/api/v2/interactions/{id}`,
 * outside `/ucs`). Web Services answer a GET on a resource with the return
 * value and the resource under its singular name, as `GET /me/interactions`
 * answers `{"statusCode":0,"interactions":[…]}`: here
 * `{"statusCode":0,"interaction":{…}}`, the resource as GetInteractionContent
 * delivers it. Same credentials, rights and feature gates as the UCS
 * operations; errors are Web Services return values.
 */
import type { FastifyInstance } from 'fastify';
import { GENESYS_STATUS } from '../../domain/errors.js';
import type { Source } from '../../domain/search.js';
import type { Runtime } from '../../runtime.js';
import { assertMediaAllowed } from './features.js';
import { interactionContentResource, resourceContext } from './resources.js';
import { EMAIL_RESOURCE_PROPERTIES, ERROR_RESPONSES, INTERACTION_RESOURCE } from './schemas.js';
import { genesysScope } from './scope.js';

/** Attached data, as GetInteractionContent delivers it. */
const USER_DATA = { type: 'object', additionalProperties: true } as const;

/** Registered with the prefix `/api/v2/interactions`, beside the UCS facade. */
export async function genesysInteractionResource(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  genesysScope(app, runtime);
  const { vault } = runtime;

  app.get<{ Params: { id: string }; Querystring: { source?: Source } }>(
    '/:id',
    {
      schema: {
        operationId: 'ucsGetInteractionResource',
        summary: 'One interaction resource, where its `uri` points',
        tags: ['genesys'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, description: 'the interaction id (or guid)' } },
        },
        querystring: {
          type: 'object',
          properties: { source: { type: 'string', enum: ['main', 'archive'], description: 'the UCS database; main by default' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['statusCode', 'interaction'],
            properties: {
              statusCode: { type: 'integer', enum: [0] },
              interaction: {
                ...INTERACTION_RESOURCE,
                properties: { ...INTERACTION_RESOURCE.properties, userData: USER_DATA, ...EMAIL_RESOURCE_PROPERTIES },
              },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
      config: { operation: 'interaction.read' },
    },
    async (request) => {
      const { principal } = request;
      const record = await vault.get(principal, request.params.id, request.query.source ?? 'main');
      assertMediaAllowed(principal.tenant, record.mediaType, 'id');
      return { statusCode: GENESYS_STATUS.ok, interaction: interactionContentResource(record, resourceContext(request)) };
    },
  );
}
