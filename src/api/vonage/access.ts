import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../domain/principal.js';

/**
 * A route-level onRequest hook: the right is checked after authentication and
 * the Accept check but before parameters are validated, so a caller without
 * the scope learns nothing from parameter errors.
 */
export function requires(assertRight: (principal: Principal) => void) {
  return async (request: FastifyRequest) => assertRight(request.principal);
}
