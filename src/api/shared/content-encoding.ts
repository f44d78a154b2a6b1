/**
 * ixvault decodes no `Content-Encoding`. A body in one was taken as it came:
 * a compressed textual upload was stored compressed, so the card-number scan
 * that masks every ingested text (docs/GOVERNANCE.md) saw no digits and the
 * number was kept whole; any upload was stored as bytes its sender did not
 * mean. So a request whose body is in any coding but identity is refused
 * before its body is read, on every route (a root hook: answered in the
 * route's own API format).
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { isIdentityCoding } from '../../domain/content.js';
import { errors } from '../../domain/errors.js';

export function refuseEncodedBodies(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const coding = request.headers['content-encoding'];
  done(isIdentityCoding(coding) ? undefined : errors.unsupportedContentEncoding([coding ?? ''].flat().join(', ')));
}
