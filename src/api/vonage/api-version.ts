/**
 * The versioned Accept header Vonage requires on every request
 * (`application/vnd.newvoicemedia.v2+json` or `…v3+json`). Both versions
 * answer in the same shape; a missing or other version is a 400 with
 * Vonage's own message.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { errors } from '../../domain/errors.js';

const API_VERSIONS = ['application/vnd.newvoicemedia.v2+json', 'application/vnd.newvoicemedia.v3+json'] as const;

const INVALID_MESSAGE = `Invalid api-version! Valid values: ${API_VERSIONS.map((v) => `'${v}'`).join(', ')}`;

/** The Accept header as an OpenAPI header parameter (the check itself runs before validation). */
export const ACCEPT_HEADER = {
  type: 'object',
  required: ['accept'],
  properties: {
    accept: { type: 'string', description: `one of ${API_VERSIONS.join(', ')}`, examples: [API_VERSIONS[1]] },
  },
} as const;

/** Whether an Accept header lists a supported version: media ranges, each maybe with parameters (`;q=0.9`), any case. */
function listsSupportedVersion(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .map((range) => range.split(';')[0]?.trim().toLowerCase())
    .some((mediaType) => API_VERSIONS.some((v) => v === mediaType));
}

/** An onRequest hook (synchronous: `done`, no promise). */
export function checkApiVersion(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  done(listsSupportedVersion(request.headers.accept) ? undefined : errors.invalidApiVersion(INVALID_MESSAGE));
}
