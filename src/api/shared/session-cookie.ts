import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Authenticator, SESSION_COOKIE } from '../../auth/authenticator.js';

/**
 * An onRequest hook, after authentication: a call authenticated by an
 * Authorization header sets the session cookie, so that the same browser's
 * CometD handshake (a long-polling request or a websocket upgrade, where
 * scripts cannot add headers) is authenticated as the same user. Strict
 * same-site and HttpOnly: only this site's own pages send it, and no script
 * can read it.
 */
export function sessionCookieHook(auth: Authenticator) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.headers.authorization) return;
    const token = await auth.sessionFor(request.principal);
    if (token === undefined) return;
    const secure = request.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}`);
  };
}
