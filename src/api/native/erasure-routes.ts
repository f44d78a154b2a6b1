/** Erasure by data subject (admins): the answer is a receipt signed with the deployment key. */
import type { FastifyInstance } from 'fastify';
import { checkSubject, MAX_SUBJECT_IDENTIFIERS } from '../../domain/erasure.js';
import type { ErasureService } from '../../services/erasures.js';

interface ErasureBody {
  contactId?: string;
  phoneNumbers?: string[];
  emailAddresses?: string[];
}

const identifier = { type: 'string', minLength: 1, maxLength: 256 } as const;
const list = { type: 'array', maxItems: MAX_SUBJECT_IDENTIFIERS, items: identifier } as const;

const RECEIPT = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['running', 'done'] },
    receipt: {
      type: 'object',
      additionalProperties: true,
      description: 'found, removed, kept: ids, content hashes, counts; contacts: counts',
    },
    signature: { type: 'string', description: 'the receipt as a compact JWS (HS256)' },
    scrub: {
      type: 'object',
      description:
        "The scrub of what the erasure left in the store's files (the full-text index's words, the WAL's older pages), " +
        'which follows it in the background: pending until it ends, done with its end, unavailable where the store has ' +
        'none (PostgreSQL). Not part of the signed receipt.',
      properties: {
        status: { type: 'string', enum: ['pending', 'done', 'unavailable'] },
        at: { type: 'string', format: 'date-time' },
      },
    },
  },
} as const;

export async function erasureRoutes(app: FastifyInstance, { erasures }: { erasures: ErasureService }) {
  app.post<{ Body: ErasureBody }>(
    '/erasures',
    {
      config: { operation: 'erasure.run' },
      schema: {
        operationId: 'createErasure',
        summary: 'Erase a data subject from the main store and the archive',
        description:
          'Finds every interaction where the contact id, a phone number (phoneNumber, connectFrom, connectTo) or an email ' +
          'address (connectFrom, connectTo) appears, or where the subject is a message participant, and deletes each with ' +
          'its messages, content and index entries. An interaction a legal hold protects is kept and reported. The ' +
          "subject's contact records (the contact id, and contacts with one of the phone numbers or email addresses, whose " +
          'interactions are erased too) are removed after them, except one under a legal hold or named by a kept ' +
          'interaction; the receipt counts them (`contacts`). The answer ' +
          'is the receipt (found, removed, kept: ids, content hashes, counts) and its compact JWS signature; the receipt ' +
          'never repeats the identifiers. Asking again for the same subject resumes an erasure that was interrupted.',
        tags: ['native'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { contactId: identifier, phoneNumbers: list, emailAddresses: list },
          examples: [{ phoneNumbers: ['+1 415 555 0100'], emailAddresses: ['kim.lee@example.com'] }],
        },
        response: { 201: RECEIPT },
      },
    },
    async (request, reply) => {
      const result = await erasures.erase(request.principal, checkSubject(request.body ?? {}));
      reply.header('Location', `${app.prefix}/erasures/${result.id}`);
      return reply.code(201).send(result);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/erasures/:id',
    {
      config: { operation: 'erasure.run' },
      schema: {
        operationId: 'getErasure',
        summary: 'An erasure receipt, its signature checked again',
        tags: ['native'],
        response: { 200: RECEIPT },
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
      },
    },
    async (request) => erasures.get(request.principal, request.params.id),
  );
}
