/**
 * Vonage's error body: `{"message": "…"}` and the status, nothing else
 * (Responses (Interaction Content API)). Every error a route raises comes
 * through the shared mapping first, so the message names the parameter.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorFormat } from '../openapi.js';
import { failureOf } from '../shared/errors.js';

export const MESSAGE_SCHEMA = {
  title: 'VonageError',
  type: 'object',
  required: ['message'],
  properties: { message: { type: 'string' } },
} as const;

/** For the OpenAPI description of every Vonage route. */
export const VONAGE_ERRORS: ErrorFormat = {
  mediaType: 'application/json',
  description: "Vonage's error body",
  schema: MESSAGE_SCHEMA,
};

export function sendVonageError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const error = failureOf(err, request);
  if (error.status === 401) reply.header('WWW-Authenticate', 'Bearer');
  return reply.code(error.status).type('application/json; charset=utf-8').send({ message: error.publicMessage });
}
