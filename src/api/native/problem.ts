/** RFC 7807 problem details for every native API error. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorFormat } from '../openapi.js';
import { failureOf } from '../shared/errors.js';

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
  503: 'Service Unavailable',
};

/** The format, for the OpenAPI description (it is also that of the routes outside the facades). */
export const PROBLEM: ErrorFormat = {
  mediaType: 'application/problem+json',
  description: 'RFC 7807 problem details',
  schema: {
    title: 'Problem',
    type: 'object',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string', examples: ['urn:ixvault:problem:IXV_INVALID_REQUEST'] },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      code: { type: 'string', description: 'the error code of the catalogue (IXV_…)' },
      field: { type: 'string', description: 'the first field or parameter at fault, dotted (records.0.startDate)' },
      errors: {
        type: 'array',
        description: 'every problem found, each naming its field',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: { field: { type: 'string' }, message: { type: 'string' } },
        },
      },
      invalidRecords: {
        type: 'array',
        description: 'batches: the invalid records by index',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer' },
            problems: {
              type: 'array',
              items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
            },
          },
        },
      },
      retryAfterSeconds: { type: 'integer' },
    },
    additionalProperties: true,
  },
};

export function sendProblem(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const error = failureOf(err, request);
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
