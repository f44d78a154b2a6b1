/** JSON schemas of the Genesys-compatible routes, for validation and the OpenAPI description. */
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
const HISTORY_PROPERTIES = {
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

export function operationBody(operations: readonly string[], withHistory: boolean) {
  return {
    type: 'object',
    required: ['operationName'],
    properties: {
      operationName: { type: 'string', enum: [...operations] },
      ...(withHistory ? HISTORY_PROPERTIES : { source: SOURCE }),
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
