/** RFC 7807 problem details for every native API error. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toVaultError } from '../shared/errors.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  408: 'Request Timeout',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

export function sendProblem(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const error = toVaultError(err);
  if (error.status >= 500) request.log.error({ err }, 'request failed');
  const body: Record<string, unknown> = {
    type: `urn:ixvault:problem:${error.code}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: error.publicMessage,
    instance: request.url,
    code: error.code,
  };
  if (error.field !== undefined) body.field = error.field;
  if (error.problems.length > 0) body.errors = error.problems;
  Object.assign(body, error.extra);
  if (error.status === 401) reply.header('WWW-Authenticate', 'Basic realm="ixvault", Bearer');
  return reply.code(error.status).type('application/problem+json').send(body);
}
