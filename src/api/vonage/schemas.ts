/** JSON schemas of the Vonage wire shapes: response serialization and the OpenAPI description. */
import { CONTENT_TYPES } from '../../domain/interaction.js';
import { ACCEPT_HEADER } from './api-version.js';
import { MESSAGE_SCHEMA } from './errors.js';

const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const idObject = { type: 'object', required: ['id'], properties: { id: text } } as const;
const valueObject = { type: 'object', required: ['value'], properties: { value: { type: 'integer' } } } as const;

/**
 * No `required` list here: the serializer writes required fields first, which
 * would move the optional owner fields behind `properties`, out of the seed's order.
 */
export const CONTENT = {
  type: 'object',
  properties: {
    contentKey: { type: 'string', description: 'use with GET /interactions/{guid}/content/{contentKey}' },
    type: { type: 'string', enum: [...CONTENT_TYPES] },
    contentType: { type: 'string', examples: ['audio/wav', 'application/json'] },
    contentLength: { type: 'integer', description: 'bytes' },
    owningAgent: { ...idObject, description: 'voicemail: the agent it is for' },
    owningInteractionPlan: { ...idObject, description: 'ivrAudioRecording: the interaction plan that made it' },
    lastModified: { type: 'string', examples: ['2020-02-16T14:19:35Z'] },
    properties: {
      type: 'object',
      properties: {
        version: valueObject,
        duration: { ...valueObject, description: 'milliseconds' },
      },
    },
  },
} as const;

export const ITEM = {
  type: 'object',
  required: ['guid', 'start', 'connectFrom', 'connectTo', 'direction', 'handlingAgents', 'content'],
  properties: {
    guid: { type: 'string', format: 'uuid' },
    start: { type: 'string', examples: ['2020-02-16T14:11:56Z'] },
    connectFrom: nullableText,
    connectTo: nullableText,
    direction: { type: ['string', 'null'], enum: ['inbound', 'outbound', null] },
    handlingAgents: { type: 'array', items: idObject },
    content: { type: 'array', items: CONTENT },
  },
} as const;

export const SEARCH_RESULT = {
  type: 'object',
  required: ['items', 'meta'],
  properties: {
    items: { type: 'array', items: ITEM },
    meta: {
      type: 'object',
      required: ['nextContinuationToken'],
      properties: { nextContinuationToken: { ...nullableText, description: 'null on the last page' } },
    },
  },
} as const;

/** The parts every Vonage route shares: tag, security, the Accept header and the error shape. */
export function vonageSchema<T extends Record<string, unknown>>(summary: string, rest: T) {
  return {
    summary,
    tags: ['vonage'],
    security: [{ bearer: [] }],
    headers: ACCEPT_HEADER,
    ...rest,
    response: {
      400: MESSAGE_SCHEMA,
      401: MESSAGE_SCHEMA,
      403: MESSAGE_SCHEMA,
      404: MESSAGE_SCHEMA,
      ...((rest.response as Record<number, unknown> | undefined) ?? {}),
    },
  };
}
