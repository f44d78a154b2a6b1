/**
 * Cross-site request forgery guard for every state-changing request that a
 * browser could send on its own: one authenticated by the session cookie
 * (no Authorization header), and the sign-in itself. Such a request must come
 * from this server's own origin (Origin, else Sec-Fetch-Site), and on the
 * native API it must also carry `X-Requested-With`, a header no form or
 * foreign page can add without a CORS preflight. The wire-compatible APIs keep
 * their clients' requests as they are: the origin check alone applies there.
 */
import type { FastifyRequest } from 'fastify';
import { readCookie, SESSION_COOKIE } from '../../auth/authenticator.js';
import { errors } from '../../domain/errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const SESSION_PATH = '/api/v1/session';
export const CSRF_HEADER = 'x-requested-with';

export async function csrfGuard(request: FastifyRequest): Promise<void> {
  if (SAFE_METHODS.has(request.method)) return;
  const path = request.url.split('?', 1)[0] ?? '';
  const bySession =
    !request.headers.authorization &&
    request.headers.cookie !== undefined &&
    !!readCookie(request.headers.cookie, SESSION_COOKIE);
  if (!bySession && path !== SESSION_PATH) return;
  if (!sameOrigin(request)) throw refused('cross-site request refused: the Origin is not this server');
  if (path.startsWith('/api/v1/') && request.headers[CSRF_HEADER] === undefined)
    throw refused('the header X-Requested-With is required on requests authenticated by the session cookie');
}

/** Also carries statusCode, for the routes at the root that keep Fastify's own error format. */
function refused(message: string) {
  return Object.assign(errors.forbidden(message), { statusCode: 403 });
}

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return request.headers['sec-fetch-site'] === 'same-origin';
  try {
    // The Host the client sent (a proxy passes it on), never X-Forwarded-Host: request.host reads that from a trusted proxy.
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
