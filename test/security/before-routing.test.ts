/**
 * Requests refused before any route is chosen (session 4, redteam). Fastify
 * answers a path it cannot decode (`/api/v1/interactions/%ff`) itself, before
 * every hook: before, that answer was Fastify's own `{error, code, message}`
 * echoing the path, without the security headers or `Cache-Control` every
 * other answer carries and in no API's format. Now each API answers it in
 * its own format, naming the path, with the same headers as any answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmetHeaders, SECURITY_POLICY } from '../../src/api/shared/security-headers.js';
import { build } from '../helpers/app.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';

const V3 = 'application/vnd.newvoicemedia.v3+json';

describe(`answers before routing (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const BAD = ['%ff', '%ff%fe', '%c3%28', '%ed%a0%80', 'a%e2%82'];

  it('answers an undecodable path in each API’s own format, naming the path, with every security header', async () => {
    const helmet = Object.entries(helmetHeaders(SECURITY_POLICY));
    expect(helmet.length).toBeGreaterThanOrEqual(10);
    for (const bad of BAD) {
      const cases = [
        { url: `/api/v1/interactions/${bad}`, headers: { authorization: server.basic('admin1') } },
        { url: `/interaction-content/interactions/${bad}`, headers: { authorization: server.basic('admin1'), accept: V3 } },
        { url: `/api/v2/interactions/${bad}`, headers: { authorization: server.basic('admin1') } },
        { url: `/api/v2/ucs/interactions/${bad}`, headers: {} },
        { url: `/${bad}`, headers: {} },
      ];
      for (const { url, headers } of cases) {
        const res = await server.app.inject({ method: 'GET', url, headers });
        const what = `${url} → ${res.statusCode} ${res.body}`;
        expect(res.statusCode, what).toBe(400);
        for (const [name, value] of helmet) expect(res.headers[name], `${what}: ${name}`).toBe(value);
        expect(res.headers['cache-control'], what).toBe('no-store');
        const body = res.json();
        expect(JSON.stringify(body), what).not.toMatch(/FST_|Fastify/);
        if (url.startsWith('/interaction-content/')) expect(body, what).toEqual({ message: expect.stringMatching(/^path: /) });
        else if (url.startsWith('/api/v2/'))
          expect(body, what).toMatchObject({ statusCode: 2, statusMessage: expect.stringMatching(/path/) });
        else
          expect(body, what).toMatchObject({
            status: 400,
            type: expect.stringContaining('IXV_'),
            detail: expect.stringMatching(/^path: /),
          });
      }
    }
    const health = await server.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
  });
});
