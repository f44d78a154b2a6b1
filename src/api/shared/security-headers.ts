/**
 * Security headers on every answer, decided by helmet and computed ONCE.
 *
 * helmet (the maintained middleware @fastify/helmet wraps) turns its options
 * into headers that do not depend on the request as long as no CSP directive
 * is a function (a per-request nonce): ours has none. @fastify/helmet 13 calls
 * `helmet(options)` again on every request, parsing the CSP directives and
 * building twelve middlewares each time, in two hooks of its own: ~0.06–0.1 ms
 * of server CPU a request, as much as bare Fastify's whole answer to /health
 * (docs/DECISIONS.md, "Per-request cost, session 3"). Here helmet's
 * middleware runs once at boot against a recorder, and each answer gets the
 * recorded headers in one synchronous hook.
 */
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's defaults suit the pages served here (/docs, the console): scripts and styles from this origin only.
 * Not `upgrade-insecure-requests`: a plain-HTTP deployment would break its own pages.
 */
export const SECURITY_POLICY: HelmetOptions = {
  contentSecurityPolicy: { directives: { 'frame-ancestors': ["'none'"], 'upgrade-insecure-requests': null } },
  frameguard: { action: 'deny' },
};

/** The headers `helmet(options)` sets on an answer, in the order it sets them. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      if (typeof value !== 'string') throw new Error(`helmet set ${name} to a non-string value`);
      headers[name.toLowerCase()] = value;
    },
    // Only X-Powered-By, which nothing here ever sets: there is nothing to remove on a fresh answer.
    removeHeader() {},
  };
  let failure: unknown;
  // helmet's middleware is synchronous: `next` has been called (or an error thrown) when it returns.
  helmet(options)({} as never, recorder as never, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure;
  return headers;
}

/**
 * Adds helmet's headers to every answer of `app` (a root hook: every route,
 * 404s and errors included). Set on the reply, so a route may still replace
 * one for its own answer (the console's CSP with its nonce).
 */
export function securityHeaders(app: FastifyInstance, options: HelmetOptions = SECURITY_POLICY): void {
  const headers = helmetHeaders(options);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}
