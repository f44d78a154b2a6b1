/**
 * The web console at `/console`: the single-page app built from web/ into
 * dist/console, its sign-in endpoint, and the CSRF guard for cookie-authenticated
 * requests. The console calls only the public native API.
 *
 * Caching: hashed assets are immutable for a year; the page itself is revalidated
 * every time, so a new build is picked up at once. The page gets its own strict
 * Content-Security-Policy: scripts only from this origin (no inline script), and
 * inline styles only with the per-response nonce (the waveform player's shadow DOM).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type { Authenticator } from '../../auth/authenticator.js';
import { csrfGuard, SESSION_PATH } from './csrf.js';
import { sessionRoutes } from './session-routes.js';

export const CONSOLE_PATH = '/console';
/** The build output of web/ (the same place from src/ under tsx/vitest and from dist/ compiled). */
export const CONSOLE_BUILD_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url));
const NONCE_PLACEHOLDER = '__IXV_STYLE_NONCE__';
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function consoleCsp(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "media-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

async function consoleAssets(app: FastifyInstance, { dir }: { dir: string }) {
  const indexFile = `${dir}index.html`;
  const built = existsSync(indexFile);
  if (built) {
    // Loaded here, not at the top: CLI commands import the app but never serve the console.
    const { default: fastifyStatic } = await import('@fastify/static');
    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      wildcard: false,
      index: false,
      allowedPath: (path) => path !== '/index.html',
      cacheControl: false,
      setHeaders: (res, path) =>
        res.setHeader('cache-control', path.includes('/assets/') ? IMMUTABLE : 'public, max-age=3600, must-revalidate'),
    });
  }
  const page = built ? readFileSync(indexFile, 'utf8') : undefined;
  const sendPage = (reply: FastifyReply) => {
    reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
    if (page === undefined) {
      reply.header('content-security-policy', "default-src 'none'");
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built. Run `npm run build` (or `npm ci`, which builds it) and restart ixvault.\n');
    }
    const nonce = randomBytes(16).toString('base64');
    reply.header('content-security-policy', consoleCsp(nonce));
    return reply.type('text/html; charset=utf-8').send(page.replaceAll(NONCE_PLACEHOLDER, nonce));
  };
  // `/console` and `/console/`.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => sendPage(reply));
  // Every other path under /console is a screen of the app (client-side routing).
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    if (request.url.startsWith(`${CONSOLE_PATH}/assets/`)) return reply.code(404).type('text/plain').send('not found\n');
    return sendPage(reply);
  });
}

export const consolePlugin = fp(
  async (app: FastifyInstance, { auth, dir = CONSOLE_BUILD_DIR }: { auth: Authenticator; dir?: string }) => {
    // At the root, before the APIs are registered, so that their routes inherit it.
    app.addHook('onRequest', csrfGuard);
    await app.register(sessionRoutes, { prefix: SESSION_PATH, auth });
    await app.register(consoleAssets, { prefix: CONSOLE_PATH, dir });
    // The address the server prints is the root: a person who opens it in a browser wants the console.
    app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`));
  },
  { name: 'ixvault-console' },
);
