import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Principal } from '../../domain/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the facade's authentication hook before any handler runs. */
    principal: Principal;
  }
}

/** An onRequest hook that authenticates every request of a facade's scope. */
export function authenticateHook(auth: Authenticator) {
  return async (request: FastifyRequest) => {
    request.principal = await auth.authenticate({
      authorization: request.headers.authorization,
      cookie: request.headers.cookie,
      ip: request.ip,
    });
  };
}
