/**
 * Every route the app serves, as Fastify itself lists them (not only those the
 * OpenAPI description documents: a route hidden from it is served all the
 * same): each is either on the short list of routes open without credentials,
 * or it refuses a request without credentials — and one with a forged or
 * altered token — with a 401 in its API's format, whatever the method (HEAD
 * included). A new route that forgets its guard, or is left out of the
 * description, fails here. (Wrong passwords are the login throttle's:
 * test/security/throttling.test.ts.)
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';

/** Open without credentials, and why. Paths as Fastify lists them. */
const OPEN: Record<string, string> = {
  '/docs': 'the API reference page',
  '/openapi.json': 'the API description',
  '/health': 'liveness',
  '/ready': 'readiness',
  '/oauth2/token': 'the token endpoint authenticates its own form parameters',
  '/Auth/connect/token': 'the token endpoint (Vonage path)',
  '/api/v1/session': 'sign-in (POST); GET and DELETE answer 401 / clear the cookie',
  '/console': 'the console page and its static assets (no data: it calls the API)',
  '/': 'a redirect to /console/ (no data)',
  '*': 'CORS preflight (OPTIONS)',
};

interface Route {
  path: string;
  methods: string[];
}

/** The routes of `printRoutes({ commonPrefix: false })`, each with its whole path. */
function routesOf(tree: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)(?:├── |└── )(.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    stack.length = depth;
    const path = `${stack.join('')}${match[2]}`;
    stack.push(match[2] as string);
    routes.push({ path, methods: (match[3] as string).split(', ') });
  }
  return routes;
}

const openPrefix = (path: string) =>
  Object.keys(OPEN).find((p) => path === p || (p !== '*' && (path.startsWith(`${p}/`) || path.startsWith(`${p}:`))));

describe(`every route Fastify serves is guarded or on the open list (${BACKEND})`, () => {
  let server: TestServer;
  let routes: Route[];
  let documented: Set<string>;
  beforeAll(async () => {
    server = await build();
    routes = routesOf(server.app.printRoutes({ commonPrefix: false }));
    const spec = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    documented = new Set(Object.keys(spec.paths).map((p) => p.replace(/\{(\w+)\}/g, ':$1')));
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('lists the routes of all three APIs', () => {
    for (const prefix of ['/api/v1/', '/api/v2/', '/interaction-content/'])
      expect(routes.filter((r) => r.path.startsWith(prefix)).length, prefix).toBeGreaterThanOrEqual(4);
  });

  it('documents every guarded route in /openapi.json: nothing is served that the description hides', () => {
    const hidden = routes.filter((r) => !openPrefix(r.path) && !documented.has(r.path)).map((r) => r.path);
    expect(hidden).toEqual([]);
  });

  it('refuses every guarded route and method without credentials, and with a forged, altered or empty credential, in its format', async () => {
    const forged = await new SignJWT({ tid: 'acme', scope: 'interactions:read interaction-content:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('acme-qa')
      .setIssuer('ixvault')
      .setAudience('api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-server-secret-0123456789abcdef'));
    const altered = await server.bearer('acme-qa');
    const problems: string[] = [];
    let checked = 0;
    for (const route of routes) {
      if (openPrefix(route.path)) continue;
      const url = route.path.replace(/:(\w+)/g, (_m, name: string) => (name === 'guid' ? crypto.randomUUID() : `x-${name}`));
      for (const method of route.methods) {
        for (const authorization of [undefined, `Bearer ${forged}`, `${altered}x`, 'Bearer', 'Basic']) {
          const headers: Record<string, string> = { accept: 'application/vnd.newvoicemedia.v3+json' };
          if (authorization) headers.authorization = authorization;
          const body = ['POST', 'PUT', 'PATCH'].includes(method);
          if (body) headers['content-type'] = method === 'PUT' ? 'audio/wav' : 'application/json';
          const res = await server.app.inject({
            method: method as 'GET',
            url,
            headers,
            ...(body ? { payload: method === 'PUT' ? 'RIFF' : '{}' } : {}),
          });
          checked++;
          const what = `${method} ${url} (${authorization?.slice(0, 12) ?? 'no credentials'}) → ${res.statusCode} ${res.body.slice(0, 100)}`;
          if (res.statusCode !== 401) {
            problems.push(what);
            continue;
          }
          if (method === 'HEAD') continue;
          const json = res.json();
          const inFormat = route.path.startsWith('/interaction-content/')
            ? typeof json.message === 'string'
            : route.path.startsWith('/api/v2/')
              ? json.statusCode === 20
              : json.status === 401 && typeof json.type === 'string';
          if (!inFormat) problems.push(`${what}: not in its API's format`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});
