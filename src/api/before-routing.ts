/**
 * Answers to requests Fastify refuses before it chooses a route: a path it
 * cannot decode (a malformed or non-UTF-8 percent-escape, FST_ERR_BAD_URL).
 * Fastify answers those itself, before every hook, in its own format and
 * echoing the path — without the security headers (src/api/shared/security-headers.ts)
 * and the no-store every other answer carries. Here each API answers in its
 * own format, naming the path, with the same headers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../domain/errors.js';
import { sendStatus } from './genesys/status.js';
import { sendProblem } from './native/problem.js';
import { helmetHeaders, SECURITY_POLICY } from './shared/security-headers.js';
import { sendVonageError } from './vonage/errors.js';

const HEADERS = { ...helmetHeaders(SECURITY_POLICY), 'cache-control': 'no-store' };

/** Fastify's `frameworkErrors`: the error is Fastify's, the request is not routed (no hook has run). */
export function answerBeforeRouting(error: Error, request: FastifyRequest, reply: FastifyReply) {
  reply.headers(HEADERS);
  const code = (error as { code?: string }).code;
  const refusal =
    code === 'FST_ERR_BAD_URL'
      ? errors.invalidField('path', 'is not a valid URL: a percent-escape is malformed or not UTF-8')
      : errors.badRequest();
  const url = request.raw.url ?? '';
  if (url.startsWith('/interaction-content/')) return sendVonageError(refusal, request, reply);
  if (url.startsWith('/api/v2/')) return sendStatus(refusal, request, reply);
  return sendProblem(refusal, request, reply);
}
