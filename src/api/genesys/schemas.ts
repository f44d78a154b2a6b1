/** JSON schemas of the Genesys-compatible routes, for validation and the OpenAPI description. */

import { STATES, TYPE_IDS } from '../../domain/interaction.js';
import { MAX_PAGE_SIZE } from '../../domain/search.js';
import { LIMITS } from '../../domain/validate.js';
import { STATUS_SCHEMA } from './status.js';

const text = { type: 'string' } as const;
const date = { type: 'string', maxLength: 64 } as const;
const id = { type: 'string', minLength: 1, maxLength: 256 } as const;
const attributeName = { type: 'string', maxLength: LIMITS.customAttributeName } as const;
const SOURCE = {
  type: 'string',
  enum: ['main', 'archive'],
  description: 'where to look up interactions; default main',
} as const;

/** Parameters every history operation shares. Unknown parameters are ignored, as Web Services does. */
export const HISTORY_PROPERTIES = {
  fromDate: { ...date, description: "yyyy-MM-dd in the tenant's time zone, or a full timestamp; default: a month ago" },
  toDate: { ...date, description: 'yyyy-MM-dd (through the end of that day) or a full timestamp; default: today' },
  mediaType: {
    type: 'string',
    maxLength: 32,
    description: 'call, chat, email, facebook, facebooksession, smssession, openmedia, twitter or workitem; any case',
  },
  userId: { ...id, description: 'only interactions this agent handled' },
  sort: { type: 'string', enum: ['asc', 'desc'], description: 'by start date; default desc' },
  maxSize: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, description: 'default 100' },
  source: SOURCE,
  customAttributes: {
    type: 'array',
    maxItems: LIMITS.customAttributes,
    items: attributeName,
    description: 'custom attribute names to include in the result',
  },
  searchCustomAttributes: {
    type: 'object',
    maxProperties: LIMITS.searchCustomAttributes,
    propertyNames: attributeName,
    additionalProperties: { type: 'string', maxLength: LIMITS.customAttributeValue },
    description: 'name = value; every one must match',
  },
} as const;

export const SOURCE_PROPERTIES = { source: SOURCE } as const;

/** Attached data (key-value pairs), as the voice operations send it. */
const USER_DATA = {
  type: 'object',
  maxProperties: 1000,
  additionalProperties: true,
  description: 'attached data (key-value pairs)',
} as const;
const short = { type: 'string', maxLength: LIMITS.shortText } as const;

/** FindPhoneCall (UCS integration with Voice API); which are mandatory is checked per operation. */
export const FIND_PHONE_CALL_PROPERTIES = {
  callId: { ...id, description: 'FindPhoneCall (mandatory): the ID of the call; becomes the interaction id (a UUID: its guid)' },
  status: { type: 'string', enum: [...STATES], description: 'FindPhoneCall (mandatory): the status of the call' },
  phoneNumber: {
    ...short,
    description: 'FindPhoneCall (mandatory): the number; identifies the contact when contactId is absent',
  },
  contactId: { ...id, description: 'FindPhoneCall: the contact to associate with the call' },
  type: { type: 'string', enum: [...TYPE_IDS], description: 'FindPhoneCall (mandatory): the type of call' },
  parentId: { ...id, description: 'FindPhoneCall: the parent interaction' },
  threadId: { ...id, description: 'FindPhoneCall: accepted; ixvault keeps no threads' },
  subject: { type: 'string', maxLength: LIMITS.subject },
  userData: USER_DATA,
} as const;

/** SetCallNote, SetCallCompleted, SetCallContact (UCS integration with Voice API). */
export const CALL_UPDATE_PROPERTIES = {
  note: { type: 'string', maxLength: LIMITS.comment, description: 'SetCallNote (mandatory): saved as the call’s comment' },
  callDuration: {
    type: 'integer',
    minimum: 0,
    maximum: LIMITS.callDurationSeconds,
    description: 'SetCallCompleted: the duration of the call, seconds',
  },
  userData: { ...USER_DATA, description: 'SetCallCompleted: attached data to save (merged into the stored attached data)' },
  contactPath: {
    type: 'string',
    maxLength: 1024,
    description: 'SetCallContact (mandatory): the path of the contact; its last segment is the contact id',
  },
} as const;

/** IdentifyUCSContact. */
export const IDENTIFY_CONTACT_PROPERTIES = {
  emailAddress: { type: 'string', maxLength: 320, description: 'the email address to identify by' },
  phoneNumber: { ...short, description: 'the phone number to identify by (compared by its digits)' },
  lastName: { ...short, description: 'the last name; given to a contact this operation creates' },
  mediaType: { type: 'string', maxLength: 32, description: 'the media the contact is identified for (its feature must be on)' },
  createContactEnabled: { type: 'boolean', description: 'true: create a contact when none matches; default false' },
  userData: {
    ...USER_DATA,
    description: 'attached data; EmailAddress, PhoneNumber, FirstName and LastName in it stand for missing parameters',
  },
} as const;

export function operationBody(operations: readonly string[], properties: Record<string, unknown>) {
  return {
    type: 'object',
    required: ['operationName'],
    properties: {
      operationName: { type: 'string', enum: [...operations] },
      ...properties,
    },
  } as const;
}

export const ACCEPTED = {
  type: 'object',
  description: 'accepted; the result follows on the CometD channel /v2/ucs/interactions with this referenceId',
  properties: { statusCode: { type: 'integer', enum: [0] }, referenceId: { type: 'integer' } },
} as const;

export const ERROR_RESPONSES = {
  400: STATUS_SCHEMA,
  401: STATUS_SCHEMA,
  403: STATUS_SCHEMA,
  404: STATUS_SCHEMA,
  500: STATUS_SCHEMA,
} as const;

const OWNER = { type: 'object', properties: { id: text, userName: text, firstName: text, lastName: text } } as const;

export const INTERACTION_RESOURCE = {
  type: 'object',
  properties: {
    uri: text,
    id: text,
    path: text,
    mediaType: text,
    typeId: text,
    state: text,
    startDate: { type: 'string', examples: ['2013-11-25 21:02:22.000+0200'] },
    endDate: text,
    subject: text,
    comment: text,
    contactId: text,
    parentId: text,
    phoneNumber: text,
    callDuration: { type: 'integer' },
    ownerInformation: OWNER,
    customAttributes: { type: 'object', additionalProperties: text },
  },
} as const;

/** What the resource of an email interaction adds (Web Services' email resource); attachments download from their `uri`. */
export const EMAIL_RESOURCE_PROPERTIES = {
  from: text,
  to: { type: 'array', items: text },
  cc: { type: 'array', items: text },
  body: { type: 'string', description: 'the HTML body' },
  mime: { type: 'string', description: 'the type of body: text/html' },
  bodyAsPlainText: text,
  attachments: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        id: text,
        name: text,
        size: { type: 'string', description: 'bytes, as a string (as Web Services prints it)' },
        uri: text,
        path: text,
        mime: text,
      },
    },
  },
} as const;

/** The query string of the synchronous GET: the history parameters, lists as repeated or comma-separated values. */
export const HISTORY_QUERYSTRING = {
  type: 'object',
  properties: {
    ...HISTORY_PROPERTIES,
    contactId: { ...id, description: "only this contact's interactions" },
    customAttributes: {
      type: 'array',
      maxItems: LIMITS.customAttributes,
      items: { type: 'string', maxLength: 4096 },
      description: 'names, repeated or comma-separated',
    },
    searchCustomAttributes: {
      type: 'array',
      maxItems: LIMITS.searchCustomAttributes,
      items: { type: 'string', pattern: '^[^=]+=.*$', maxLength: LIMITS.customAttributeName + 1 + LIMITS.customAttributeValue },
      description: 'name=value, repeatable; every one must match',
    },
  },
} as const;
