/**
 * Web Services return values: every answer carries `statusCode`, and errors a
 * `statusMessage` naming the field, with the matching HTTP status.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CODES, GENESYS_STATUS as STATUS, type VaultError } from '../../domain/errors.js';
import type { ErrorFormat } from '../openapi.js';
import { failureOf } from '../shared/errors.js';

export const STATUS_SCHEMA = {
  title: 'UcsStatus',
  type: 'object',
  properties: { statusCode: { type: 'integer' }, statusMessage: { type: 'string' } },
} as const;

/** For the OpenAPI description of every Genesys-compatible route. */
export const STATUS_ERRORS: ErrorFormat = {
  mediaType: 'application/json',
  description: 'A Web Services return value',
  schema: STATUS_SCHEMA,
};

export function statusCodeOf(error: VaultError): number {
  switch (error.kind) {
    case 'missing':
      return STATUS.missingParameter;
    case 'invalid':
    case 'conflict':
    case 'too_large':
    case 'range_not_satisfiable':
    case 'timeout':
      return STATUS.invalidParameter;
    case 'too_many_requests':
      // Web Services define no throttling code: the operation is not allowed now (HTTP 429, Retry-After).
      return STATUS.forbidden;
    case 'forbidden':
      // A feature that is off forbids the operation for everyone; a missing right is the caller's.
      return error.code === CODES.featureDisabled ? STATUS.forbidden : STATUS.noPermission;
    case 'unauthenticated':
      return STATUS.unauthenticated;
    case 'not_found':
      return STATUS.notFound;
    case 'internal':
    case 'unavailable':
      return STATUS.internal;
  }
}

export function sendStatus(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const error = failureOf(err, request);
  if (error.status === 401) reply.header('WWW-Authenticate', 'Basic realm="ixvault", Bearer');
  return reply.code(error.status).send({ statusCode: statusCodeOf(error), statusMessage: error.publicMessage });
}
