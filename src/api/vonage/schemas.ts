/** JSON schemas of the Vonage wire shapes: response serialization and the OpenAPI description. */
import { CONTENT_TYPES } from '../../domain/interaction.js';
import { ACCEPT_HEADER } from './api-version.js';

const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const idObject = { type: 'object', required: ['id'], properties: { id: text } } as const;
const valueObject = { type: 'object', required: ['value'], properties: { value: { type: 'integer' } } } as const;

/**
 * No `required` list here: the serializer writes required fields first, which
 * would move the optional owner fields behind `properties`, out of the seed's order.
 */
export const CONTENT = {
  title: 'VonageContent',
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
  title: 'VonageInteraction',
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

/**
 * The parts every Vonage route shares: its operationId, tag, security and the
 * Accept header (with any other headers the route reads). Errors are
 * documented for the whole facade (`documentErrors` in ./index.ts).
 */
export function vonageSchema<T extends Record<string, unknown>>(operationId: string, summary: string, rest: T) {
  const headers = rest.headers as { properties?: Record<string, unknown> } | undefined;
  return {
    operationId,
    summary,
    tags: ['vonage'],
    security: [{ bearer: [] }],
    ...rest,
    headers: { ...ACCEPT_HEADER, properties: { ...ACCEPT_HEADER.properties, ...headers?.properties } },
  };
}
