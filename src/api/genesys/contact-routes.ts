/**
 * IdentifyUCSContact (`POST /api/v2/contacts/ucs`): the contact of an email
 * address or phone number, created when none matches and the caller asks
 * for it. The result follows on CometD as `{referenceId, contactId}`, the
 * reference page's shape (it names no messageType).
 */
import type { FastifyInstance } from 'fastify';
import { checkCriteria } from '../../domain/contact.js';
import { errors, GENESYS_STATUS } from '../../domain/errors.js';
import { MEDIA_TYPES } from '../../domain/interaction.js';
import { authorize } from '../../domain/scopes.js';
import { parseMediaType } from '../../domain/validate.js';
import type { Identification } from '../../services/contacts.js';
import type { Vault } from '../../services/vault.js';
import { type AsyncResults, RESULT_KINDS } from './async-results.js';
import { allowedMediaTypes, assertMediaAllowed } from './features.js';
import { ACCEPTED, ERROR_RESPONSES, IDENTIFY_CONTACT_PROPERTIES, operationBody } from './schemas.js';

interface IdentifyBody {
  operationName: 'IdentifyUCSContact';
  emailAddress?: string;
  phoneNumber?: string;
  lastName?: string;
  mediaType?: string;
  createContactEnabled?: boolean;
  userData?: Record<string, unknown>;
}

/** A parameter, or the attached-data key UCS identifies contacts by (EmailAddress, PhoneNumber, FirstName, LastName). */
function detail(body: IdentifyBody, parameter: string | undefined, key: string): string | undefined {
  if (parameter !== undefined && parameter !== '') return parameter;
  const value = body.userData?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Registered with the prefix `/api/v2/contacts`. */
export async function contactRoutes(app: FastifyInstance, { vault, results }: { vault: Vault; results: AsyncResults }) {
  app.post<{ Body: IdentifyBody }>(
    '/ucs',
    {
      schema: {
        operationId: 'ucsIdentifyContact',
        summary: 'IdentifyUCSContact: the contact of an email address or phone number (result on CometD /v2/ucs/interactions)',
        description: 'With createContactEnabled true a contact is created when none matches; that needs `contact.write`.',
        tags: ['genesys'],
        body: operationBody(['IdentifyUCSContact'], IDENTIFY_CONTACT_PROPERTIES),
        response: { 200: ACCEPTED, ...ERROR_RESPONSES },
      },
      config: { operation: 'contact.read' },
    },
    async (request) => {
      const { body, principal } = request;
      const create = body.createContactEnabled === true;
      if (create) authorize(principal, 'contact.write');
      if (body.mediaType !== undefined) {
        const media = parseMediaType(body.mediaType);
        if (!media) throw errors.invalidField('mediaType', `'${body.mediaType}' is not one of ${MEDIA_TYPES.join(', ')}`);
        assertMediaAllowed(principal.tenant, media, 'mediaType');
      } else if (allowedMediaTypes(principal.tenant).length === 0)
        throw errors.featureDisabled('mediaType', 'api-ucs-voice or api-multimedia-*');
      const identification: Identification = { create };
      const emailAddress = detail(body, body.emailAddress, 'EmailAddress');
      const phoneNumber = detail(body, body.phoneNumber, 'PhoneNumber');
      const firstName = detail(body, undefined, 'FirstName');
      const lastName = detail(body, body.lastName, 'LastName');
      if (emailAddress !== undefined) identification.emailAddress = emailAddress;
      if (phoneNumber !== undefined) identification.phoneNumber = phoneNumber;
      if (firstName !== undefined) identification.firstName = firstName;
      if (lastName !== undefined) identification.lastName = lastName;
      checkCriteria(identification);
      const referenceId = await results.start(principal, RESULT_KINDS.identifyContact, async () => {
        const { contactIds } = await vault.contacts.identify(principal, identification);
        const [contactId] = contactIds;
        if (contactId === undefined)
          throw errors.notFound(`no contact has ${[emailAddress, phoneNumber].filter(Boolean).join(' or ')}`);
        return { contactId };
      });
      return { statusCode: GENESYS_STATUS.ok, referenceId };
    },
  );
}
