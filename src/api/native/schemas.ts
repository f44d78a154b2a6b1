/** JSON schemas of the native API, for validation and the OpenAPI description. */
import { CONTENT_TYPES, MEDIA_TYPES, STATES, TYPE_IDS } from '../../domain/interaction.js';
import { LIMITS } from '../../domain/validate.js';

const text = { type: 'string' } as const;
const instant = { type: 'string', format: 'date-time' } as const;

/** Closed objects (`additionalProperties: false`): a field not listed here is refused with a 400 naming it. */
export const MESSAGE = {
  title: 'Message',
  type: 'object',
  required: ['from', 'type', 'timestamp'],
  additionalProperties: false,
  properties: {
    index: { type: 'integer', minimum: 1, maximum: LIMITS.messageIndex },
    from: {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: {
        nickname: text,
        type: { type: 'string', examples: ['Customer', 'Agent', 'Supervisor', 'System'] },
        participantId: text,
      },
    },
    text,
    visibility: { type: 'string', default: 'All' },
    timestamp: instant,
    type: { type: 'string', examples: ['ParticipantJoined', 'Text', 'ParticipantLeft', 'Notice', 'PushUrl'] },
  },
} as const;

export const CONTENT_ITEM = {
  title: 'ContentItem',
  type: 'object',
  additionalProperties: false,
  properties: {
    contentKey: text,
    type: { type: 'string', enum: [...CONTENT_TYPES] },
    contentType: text,
    contentLength: { type: 'integer' },
    sha256: text,
    lastModified: instant,
    owningAgent: { type: 'object', additionalProperties: false, properties: { id: text } },
    owningInteractionPlan: { type: 'object', additionalProperties: false, properties: { id: text } },
    fileName: { type: 'string', description: 'attachments: the name the file was sent with' },
    properties: {
      type: 'object',
      additionalProperties: false,
      properties: { version: { type: 'integer' }, duration: { type: 'integer' } },
    },
    cardNumbersRedacted: { type: 'integer', readOnly: true, description: 'card numbers masked in the bytes on upload' },
    containsSensitiveData: {
      type: 'boolean',
      readOnly: true,
      description: 'downloads need the right content.readSensitive (set on upload with ?containsSensitiveData=true)',
    },
  },
} as const;

/** The parts of an email interaction; its attachments are content items of type `attachment` (with `fileName`). */
const EMAIL = {
  type: 'object',
  additionalProperties: false,
  description: 'email interactions only',
  properties: {
    from: { type: 'string', maxLength: 320 },
    to: { type: 'array', items: { type: 'string', maxLength: 320 } },
    cc: { type: 'array', items: { type: 'string', maxLength: 320 } },
    text: { type: 'string', description: 'the plain-text body' },
    html: { type: 'string', description: 'the HTML body' },
  },
} as const;

/**
 * The canonical record. Validation of writes is the domain's (it reports every
 * problem at once); a field the schema does not list is refused before that
 * (src/api/shared/unknown-fields.ts).
 */
export const INTERACTION = {
  title: 'InteractionInput',
  type: 'object',
  required: ['mediaType', 'startDate'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: 'Genesys-style id; generated (16 characters, time-ordered) when absent' },
    guid: { type: 'string', format: 'uuid', description: 'generated when absent' },
    mediaType: { type: 'string', enum: [...MEDIA_TYPES], description: 'any case accepted, stored lower-case' },
    typeId: { type: 'string', enum: [...TYPE_IDS], default: 'Unknown' },
    state: { type: 'string', enum: [...STATES], description: 'defaults to Stopped with an endDate, else New' },
    startDate: instant,
    endDate: instant,
    subject: text,
    comment: text,
    contactId: text,
    parentId: text,
    phoneNumber: text,
    callDuration: { type: 'integer', minimum: 0, maximum: LIMITS.callDurationSeconds, description: 'seconds' },
    ownerInformation: {
      type: 'object',
      required: ['id'],
      additionalProperties: false,
      properties: { id: text, userName: text, firstName: text, lastName: text },
    },
    handlingAgents: {
      type: 'array',
      items: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: text } },
    },
    connectFrom: text,
    connectTo: text,
    customAttributes: { type: 'object', additionalProperties: { type: 'string' } },
    userData: { type: 'object', additionalProperties: true },
    cardNumbersRedacted: {
      type: 'integer',
      readOnly: true,
      description:
        'card numbers masked in the texts (subject, comment, messages, email bodies) over all writes of the record; absent when none',
    },
    email: EMAIL,
    messages: { type: 'array', items: MESSAGE },
    content: { type: 'array', items: CONTENT_ITEM, readOnly: true, description: 'ignored on input (upload with PUT …/content)' },
  },
  examples: [
    {
      mediaType: 'chat',
      typeId: 'Inbound',
      startDate: '2025-03-04T09:15:00Z',
      endDate: '2025-03-04T09:21:30Z',
      subject: 'Billing question',
      connectFrom: 'customer@example.com',
      connectTo: 'support',
      ownerInformation: { id: 'agent-1', userName: 'agent1' },
      handlingAgents: [{ id: 'agent-1' }],
      customAttributes: { queue: 'billing' },
      userData: { crmCase: 'C-1001' },
      messages: [{ from: { type: 'Customer', nickname: 'Kim' }, type: 'Text', text: 'Hello', timestamp: '2025-03-04T09:15:05Z' }],
    },
  ],
} as const;

type JsonSchema = { readonly [key: string]: unknown };

/** A schema that also accepts null (a merge patch removes a field with null). */
function nullable(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema.enum)) return { ...schema, type: [schema.type, 'null'], enum: [...schema.enum, null] };
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  return schema;
}

/**
 * The JSON Merge Patch (RFC 7396) of an object schema: every field optional
 * and nullable, nested objects patched alike, arrays replaced whole.
 */
function mergePatchOf(schema: JsonSchema): JsonSchema {
  const { required: _required, examples: _examples, properties, ...rest } = schema;
  if (schema.type !== 'object' || typeof properties !== 'object' || properties === null) return schema;
  const patched = Object.fromEntries(
    Object.entries(properties as Record<string, JsonSchema>).map(([name, field]) => [name, nullable(mergePatchOf(field))]),
  );
  return { ...rest, properties: patched };
}

const RECORD_PATCH = mergePatchOf(INTERACTION);

/** PATCH /interactions/{id}: a merge patch of the record; messages change through …/messages. */
export const INTERACTION_PATCH = {
  ...RECORD_PATCH,
  title: 'InteractionPatch',
  properties: {
    ...(RECORD_PATCH.properties as Record<string, JsonSchema>),
    messages: { not: {}, description: 'not patchable: append with POST /interactions/{id}/messages' },
  },
  examples: [{ subject: 'Billing question (refund)', comment: null, customAttributes: { resolution: 'refund' } }],
} as const;

/** POST /interactions::batch. */
export const BATCH = {
  oneOf: [
    {
      type: 'object',
      required: ['records'],
      additionalProperties: false,
      properties: { records: { type: 'array', items: INTERACTION } },
    },
    { type: 'array', items: INTERACTION },
  ],
  examples: [{ records: INTERACTION.examples }],
} as const;

/** POST /interactions/{id}/messages. */
export const MESSAGES = {
  oneOf: [
    {
      type: 'object',
      required: ['messages'],
      additionalProperties: false,
      properties: { messages: { type: 'array', items: MESSAGE } },
    },
    { type: 'array', items: MESSAGE },
  ],
  examples: [
    { messages: [{ from: { type: 'Agent', nickname: 'Ann' }, type: 'Text', text: 'Done.', timestamp: '2025-03-04T09:21:00Z' }] },
  ],
} as const;

/** The record as answered: the same fields, printed in declaration order (a `required` list would move those first). */
const { required: _required, examples: _examples, title: _title, ...interactionFields } = INTERACTION;
export const INTERACTION_RESPONSE = { ...interactionFields, title: 'Interaction' } as const;

export const UPSERT_RESULT = {
  type: 'object',
  properties: { id: text, guid: text, created: { type: 'boolean' } },
} as const;

export const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 256, description: 'the interaction id or guid' } },
} as const;

export const SOURCE = { type: 'string', enum: ['main', 'archive'], default: 'main' } as const;

/** Where a full-text hit matched: one part of the record, with a snippet and the offsets to highlight. */
export const TEXT_MATCH = {
  title: 'TextMatch',
  type: 'object',
  properties: {
    in: { type: 'string', enum: ['subject', 'comment', 'email', 'message', 'transcript', 'attachment'] },
    contentKey: { ...text, description: 'the transcript or attachment content item' },
    messageIndex: { type: 'integer', description: 'the message matched (in: message)' },
    segment: { type: 'integer', description: 'the transcript segment matched, from 0 (in: transcript)' },
    startMs: { type: 'integer', description: "the segment's start within the recording, milliseconds" },
    speaker: text,
    snippet: { ...text, description: 'an excerpt around the first match; … marks a cut' },
    highlights: {
      type: 'array',
      description: '[start, end) UTF-16 offsets of matched words within snippet',
      items: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 },
    },
  },
} as const;

/** A search hit: the record (without messages) and, with `q`, where it matched. */
export const SEARCH_HIT = {
  ...INTERACTION_RESPONSE,
  properties: {
    ...INTERACTION_RESPONSE.properties,
    matches: { type: 'array', items: TEXT_MATCH, description: 'with q: the first parts of the record that matched' },
    matchedParts: { type: 'integer', description: 'with q: how many parts of the record matched in all' },
  },
  title: 'SearchHit',
} as const;

const addresses = { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 320 } } as const;
const CONTACT_FIELDS = {
  firstName: { type: 'string', maxLength: 256 },
  lastName: { type: 'string', maxLength: 256 },
  emailAddresses: addresses,
  phoneNumbers: { ...addresses, description: 'as given; looked up by their digits' },
  attributes: { type: 'object', maxProperties: 100, additionalProperties: { type: 'string', maxLength: 1024 } },
} as const;

/** A contact as created. The domain validates it whole (every problem at once). */
export const CONTACT_INPUT = {
  title: 'ContactInput',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', maxLength: 64, description: 'generated (16 characters, time-ordered) when absent' },
    ...CONTACT_FIELDS,
  },
  examples: [
    {
      firstName: 'Kim',
      lastName: 'Lee',
      emailAddresses: ['kim.lee@example.com'],
      phoneNumbers: ['+1 323 234 2342'],
      attributes: { segment: 'gold' },
    },
  ],
} as const;

/** A merge patch of a contact: null removes a field. */
export const CONTACT_PATCH = {
  title: 'ContactPatch',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', maxLength: 64, description: 'cannot change' },
    ...Object.fromEntries(Object.entries(CONTACT_FIELDS).map(([k, v]) => [k, { anyOf: [{ type: 'null' }, v] }])),
  },
  examples: [{ lastName: 'Lee-Park', attributes: null }],
} as const;

export const CONTACT = {
  title: 'Contact',
  type: 'object',
  properties: {
    id: text,
    ...CONTACT_FIELDS,
    created: instant,
    updated: instant,
  },
} as const;
