import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Authenticator, SESSION_COOKIE } from '../../auth/authenticator.js';

/**
 * The session cookie: strict same-site and HttpOnly, so only this site's own
 * pages send it and no script can read it. `token` undefined clears it.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string | undefined): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  const value = token === undefined ? '=; Max-Age=0' : `=${token}`;
  reply.header('set-cookie', `${SESSION_COOKIE}${value}; Path=/; HttpOnly; SameSite=Strict${secure}`);
}

/**
 * An onRequest hook, after authentication: a call authenticated by an
 * Authorization header sets the session cookie, so that the same browser's
 * CometD handshake (a long-polling request or a websocket upgrade, where
 * scripts cannot add headers) is authenticated as the same user.
 */
export function sessionCookieHook(auth: Authenticator) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.headers.authorization) return;
    const token = await auth.sessionFor(request.principal);
    if (token === undefined) return;
    setSessionCookie(request, reply, token);
  };
}
