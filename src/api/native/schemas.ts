/** JSON schemas of the native API, for validation and the OpenAPI description. */
import { CONTENT_TYPES, MEDIA_TYPES, STATES, TYPE_IDS } from '../../domain/interaction.js';

const text = { type: 'string' } as const;
const instant = { type: 'string', format: 'date-time' } as const;

export const MESSAGE = {
  type: 'object',
  required: ['from', 'type', 'timestamp'],
  properties: {
    index: { type: 'integer', minimum: 1 },
    from: {
      type: 'object',
      required: ['type'],
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
  type: 'object',
  properties: {
    contentKey: text,
    type: { type: 'string', enum: [...CONTENT_TYPES] },
    contentType: text,
    contentLength: { type: 'integer' },
    sha256: text,
    lastModified: instant,
    owningAgent: { type: 'object', properties: { id: text } },
    owningInteractionPlan: { type: 'object', properties: { id: text } },
    properties: { type: 'object', properties: { version: { type: 'integer' }, duration: { type: 'integer' } } },
  },
} as const;

/** The canonical record. Validation of writes is the domain's (it reports every problem at once). */
export const INTERACTION = {
  type: 'object',
  required: ['mediaType', 'startDate'],
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
    callDuration: { type: 'integer', minimum: 0, description: 'seconds' },
    ownerInformation: {
      type: 'object',
      required: ['id'],
      properties: { id: text, userName: text, firstName: text, lastName: text },
    },
    handlingAgents: { type: 'array', items: { type: 'object', required: ['id'], properties: { id: text } } },
    connectFrom: text,
    connectTo: text,
    customAttributes: { type: 'object', additionalProperties: { type: 'string' } },
    userData: { type: 'object', additionalProperties: true },
    messages: { type: 'array', items: MESSAGE },
    content: { type: 'array', items: CONTENT_ITEM, readOnly: true },
  },
} as const;

/** The record as answered: the same fields, printed in declaration order (a `required` list would move those first). */
const { required: _required, ...interactionFields } = INTERACTION;
export const INTERACTION_RESPONSE = interactionFields;

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
} as const;
