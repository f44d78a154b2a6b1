/** Contacts (`/api/v1/contacts`): create, read, merge-patch, and look up by email address or phone number. */
import type { FastifyInstance } from 'fastify';
import type { Contact } from '../../domain/contact.js';
import type { Vault } from '../../services/vault.js';
import { CONTACT, CONTACT_INPUT, CONTACT_PATCH } from './schemas.js';

const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, description: 'the contact id' } },
} as const;

/** The contact as the native API prints it. */
function contactJson(contact: Contact) {
  return {
    id: contact.id,
    firstName: contact.firstName,
    lastName: contact.lastName,
    emailAddresses: contact.emailAddresses,
    phoneNumbers: contact.phoneNumbers,
    attributes: contact.attributes,
    created: new Date(contact.createdMs).toISOString(),
    updated: new Date(contact.updatedMs).toISOString(),
  };
}

export async function contactRoutes(app: FastifyInstance, { vault }: { vault: Vault }) {
  const contacts = vault.contacts;

  app.post(
    '/contacts',
    {
      config: { operation: 'contact.write' },
      schema: {
        operationId: 'createContact',
        summary: 'Create a contact',
        description: 'Email addresses and phone numbers are kept as given and looked up in their normal form.',
        tags: ['native'],
        body: CONTACT_INPUT,
        response: { 201: CONTACT },
      },
    },
    async (request, reply) => {
      const created = await contacts.create(request.principal, request.body);
      reply.header('Location', `${app.prefix}/contacts/${created.id}`);
      return reply.code(201).send(contactJson(created));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/contacts/:id',
    {
      config: { operation: 'contact.read' },
      schema: {
        operationId: 'getContact',
        summary: 'One contact',
        tags: ['native'],
        params: ID_PARAMS,
        response: { 200: CONTACT },
      },
    },
    async (request) => contactJson(await contacts.get(request.principal, request.params.id)),
  );

  app.patch<{ Params: { id: string } }>(
    '/contacts/:id',
    {
      config: { operation: 'contact.write' },
      schema: {
        operationId: 'patchContact',
        summary: 'Partial update of a contact (JSON merge patch, RFC 7396)',
        description:
          'Fields set to null are removed; a list or the attributes given replace the stored ones. The id cannot change.',
        tags: ['native'],
        params: ID_PARAMS,
        body: CONTACT_PATCH,
        response: { 200: CONTACT },
      },
    },
    async (request) => contactJson(await contacts.patch(request.principal, request.params.id, request.body)),
  );

  app.get<{ Querystring: { email?: string; phone?: string } }>(
    '/contacts',
    {
      config: { operation: 'contact.read' },
      schema: {
        operationId: 'findContacts',
        summary: 'Look contacts up by email address or phone number',
        description:
          'Either or both (then a contact matching either is listed). Emails compare without case; phone numbers by their digits (`+1 (323) 234-2342` = `13232342342`). Oldest first, at most 100.',
        tags: ['native'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            email: { type: 'string', minLength: 1, maxLength: 320 },
            phone: { type: 'string', minLength: 1, maxLength: 320 },
          },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: CONTACT } } } },
      },
    },
    async (request) => {
      const { email, phone } = request.query;
      const found = await contacts.find(
        request.principal,
        { ...(email !== undefined ? { emailAddress: email } : {}), ...(phone !== undefined ? { phoneNumber: phone } : {}) },
        { email: 'email', phone: 'phone' },
      );
      return { items: found.map(contactJson) };
    },
  );
}
