/**
 * RetrieveInteractionHistory, RetrieveAgentHistory and RetrieveContactHistory
 * (answered at once, the result follows on CometD), and the synchronous GET of
 * the interaction history resource for clients that prefer plain REST.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GENESYS_STATUS } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { Vault } from '../../services/vault.js';
import { type AsyncResults, RESULT_KINDS } from './async-results.js';
import { type FindPhoneCallBody, startFindPhoneCall } from './call-operations.js';
import { type HistoryParams, type HistoryQuery, historyQuery } from './history-query.js';
import { interactionResource, type Resource, type ResourceContext, resourceContext } from './resources.js';
import {
  ACCEPTED,
  ERROR_RESPONSES,
  FIND_PHONE_CALL_PROPERTIES,
  HISTORY_PROPERTIES,
  HISTORY_QUERYSTRING,
  INTERACTION_RESOURCE,
  operationBody,
} from './schemas.js';

type HistoryBody = HistoryParams & {
  operationName: 'RetrieveInteractionHistory' | 'RetrieveAgentHistory' | 'RetrieveContactHistory';
};

type HistoryQueryString = Omit<HistoryParams, 'searchCustomAttributes'> & {
  contactId?: string;
  searchCustomAttributes?: string[];
};

export async function historyRoutes(app: FastifyInstance, { vault, results }: { vault: Vault; results: AsyncResults }) {
  const start = async (request: FastifyRequest, query: HistoryQuery) => ({
    statusCode: GENESYS_STATUS.ok,
    referenceId: await results.start(request.principal, RESULT_KINDS.history, () =>
      history(vault, request.principal, query, resourceContext(request)),
    ),
  });

  app.post<{ Body: HistoryBody | FindPhoneCallBody }>(
    '/interactions',
    {
      schema: {
        operationId: 'ucsRetrieveInteractionHistory',
        summary: 'RetrieveInteractionHistory, RetrieveAgentHistory or FindPhoneCall (result on CometD /v2/ucs/interactions)',
        description: 'FindPhoneCall needs `call.update` (feature api-ucs-voice).',
        tags: ['genesys'],
        body: operationBody(['RetrieveInteractionHistory', 'RetrieveAgentHistory', 'FindPhoneCall'], {
          ...HISTORY_PROPERTIES,
          ...FIND_PHONE_CALL_PROPERTIES,
        }),
        response: { 200: ACCEPTED, ...ERROR_RESPONSES },
      },
      config: { operation: 'interaction.read' },
    },
    async (request) => {
      const { body } = request;
      if (body.operationName === 'FindPhoneCall')
        return { statusCode: GENESYS_STATUS.ok, referenceId: await startFindPhoneCall(request, { vault, results }, body) };
      const agentHistory = body.operationName === 'RetrieveAgentHistory';
      return start(request, historyQuery(request.principal, body, { agentHistory }, Date.now()));
    },
  );

  app.post<{ Body: HistoryBody; Params: { id: string } }>(
    '/contacts/:id/interactions',
    {
      schema: {
        operationId: 'ucsRetrieveContactHistory',
        summary: "RetrieveContactHistory: a contact's interactions (result on CometD /v2/ucs/interactions)",
        tags: ['genesys'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 256 } } },
        body: operationBody(['RetrieveContactHistory'], HISTORY_PROPERTIES),
        response: { 200: ACCEPTED, ...ERROR_RESPONSES },
      },
      config: { operation: 'interaction.read' },
    },
    async (request) => {
      return start(request, historyQuery(request.principal, request.body, { contactId: request.params.id }, Date.now()));
    },
  );

  app.get<{ Querystring: HistoryQueryString }>(
    '/interactions',
    {
      schema: {
        operationId: 'ucsGetInteractionHistory',
        summary: 'The interaction history resource, synchronously (same filters as RetrieveInteractionHistory)',
        tags: ['genesys'],
        querystring: HISTORY_QUERYSTRING,
        response: {
          200: {
            type: 'object',
            properties: { statusCode: { type: 'integer' }, interactions: { type: 'array', items: INTERACTION_RESOURCE } },
          },
          ...ERROR_RESPONSES,
        },
      },
      config: { operation: 'interaction.read' },
    },
    async (request) => {
      const { contactId, customAttributes, searchCustomAttributes, ...rest } = request.query;
      const params: HistoryParams = { ...rest };
      if (customAttributes !== undefined)
        params.customAttributes = customAttributes.flatMap((names) => names.split(',').map((n) => n.trim())).filter(Boolean);
      if (searchCustomAttributes !== undefined)
        params.searchCustomAttributes = Object.fromEntries(
          searchCustomAttributes.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
        );
      const query = historyQuery(request.principal, params, contactId !== undefined ? { contactId } : {}, Date.now());
      return { statusCode: GENESYS_STATUS.ok, ...(await history(vault, request.principal, query, resourceContext(request))) };
    },
  );
}

async function history(vault: Vault, principal: Principal, query: HistoryQuery, context: ResourceContext) {
  const page = await vault.search(principal, query.search);
  const interactions: Resource[] = page.items.map((item) => interactionResource(item, context, query.customAttributes));
  return { interactions };
}
