/** Ingestion and retrieval of canonical interaction records. */
import type { FastifyInstance } from 'fastify';
import { toCanonicalJson } from '../../domain/canonical.js';
import { errors } from '../../domain/errors.js';
import type { Source } from '../../domain/search.js';
import { MAX_BATCH, type Vault } from '../../services/vault.js';
import {
  BATCH,
  ID_PARAMS,
  INTERACTION,
  INTERACTION_PATCH,
  INTERACTION_RESPONSE,
  MESSAGES,
  SOURCE,
  UPSERT_RESULT,
} from './schemas.js';

/** Bodies the domain validates (every problem at once, in its own words): the schema documents them and names their fields. */
const VALIDATED_BY_THE_DOMAIN = () => () => true;

/** The body of a single record or a patch: a JSON object, else a 400 naming the body. */
function jsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw errors.invalidRequest([{ field: 'body', message: 'must be a JSON object' }]);
  return body as Record<string, unknown>;
}

const HELD = 'the interaction is under legal hold and the write would change or remove what was said in it';
const CONFLICT = { 409: `The id and guid name two different stored interactions, or would change a stored guid; or ${HELD}` };

export async function interactionRoutes(app: FastifyInstance, { vault }: { vault: Vault }) {
  app.post(
    '/interactions',
    {
      config: { operation: 'interaction.write', docErrors: CONFLICT },
      schema: {
        operationId: 'upsertInteraction',
        summary: 'Create or replace one interaction',
        description:
          'Matched to a stored interaction by id or guid: a match is replaced (its content items are kept, and its messages too when the body has none).',
        tags: ['native'],
        body: INTERACTION,
        response: { 200: UPSERT_RESULT, 201: UPSERT_RESULT },
      },
      validatorCompiler: VALIDATED_BY_THE_DOMAIN,
    },
    async (request, reply) => {
      const outcome = await vault.upsert(request.principal, jsonObject(request.body));
      reply.header('Location', `${app.prefix}/interactions/${outcome.id}`);
      return reply.code(outcome.created ? 201 : 200).send(outcome);
    },
  );

  app.post<{ Body: unknown }>(
    '/interactions::batch',
    {
      config: { operation: 'interaction.write', docErrors: CONFLICT },
      schema: {
        operationId: 'upsertInteractions',
        summary: `Create or replace up to ${MAX_BATCH} interactions, all or nothing`,
        description:
          'Body: `{"records":[…]}` or a bare array. When any record is invalid none is stored, and the answer lists every invalid record with its index.',
        tags: ['native'],
        body: BATCH,
        response: {
          200: { type: 'object', properties: { results: { type: 'array', items: UPSERT_RESULT } } },
        },
      },
      validatorCompiler: VALIDATED_BY_THE_DOMAIN,
    },
    async (request) => {
      const body = request.body;
      const records = Array.isArray(body) ? body : (body as { records?: unknown } | null)?.records;
      if (!Array.isArray(records)) throw errors.invalidField('records', 'must be an array of interactions');
      const results = await vault.upsertBatch(request.principal, records);
      return { results };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { source: Source } }>(
    '/interactions/:id',
    {
      config: { operation: 'interaction.read' },
      schema: {
        operationId: 'getInteraction',
        summary: 'One interaction with its messages and content items',
        tags: ['native'],
        params: ID_PARAMS,
        querystring: { type: 'object', properties: { source: SOURCE }, additionalProperties: false },
        response: { 200: INTERACTION_RESPONSE },
      },
    },
    async (request) => toCanonicalJson(await vault.getWithTranscript(request.principal, request.params.id, request.query.source)),
  );

  app.patch<{ Params: { id: string }; Body: unknown }>(
    '/interactions/:id',
    {
      config: { operation: 'interaction.write', docErrors: CONFLICT },
      schema: {
        operationId: 'patchInteraction',
        summary: 'Partial update (JSON merge patch, RFC 7396)',
        description: 'Fields set to null are removed. id and guid cannot change. Messages are changed through /messages.',
        tags: ['native'],
        params: ID_PARAMS,
        consumes: ['application/merge-patch+json', 'application/json'],
        body: INTERACTION_PATCH,
        response: { 200: UPSERT_RESULT },
      },
      validatorCompiler: VALIDATED_BY_THE_DOMAIN,
    },
    async (request) => {
      const body = jsonObject(request.body);
      if ('messages' in body) throw errors.invalidField('messages', 'append messages with POST …/messages');
      return vault.patch(request.principal, request.params.id, body);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/interactions/:id',
    {
      config: { operation: 'interaction.delete' },
      schema: {
        operationId: 'deleteInteraction',
        summary: 'Delete an interaction with its messages and content',
        tags: ['native'],
        params: ID_PARAMS,
        response: { 204: { type: 'null', description: 'Deleted' } },
      },
    },
    async (request, reply) => {
      await vault.delete(request.principal, request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: string } }>(
    '/interactions/:id/messages',
    {
      config: { operation: 'interaction.write', docErrors: { 409: `An existing index is named and ${HELD}` } },
      schema: {
        operationId: 'appendMessages',
        summary: 'Append messages to a transcript',
        description:
          'Body: `{"messages":[…]}` or a bare array. A message without index is numbered after the last one; an existing index is replaced.',
        tags: ['native'],
        params: ID_PARAMS,
        body: MESSAGES,
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, indexes: { type: 'array', items: { type: 'integer' } } } },
        },
      },
      validatorCompiler: VALIDATED_BY_THE_DOMAIN,
    },
    async (request) => vault.appendMessages(request.principal, request.params.id, request.body),
  );
}
