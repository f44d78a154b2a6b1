/**
 * The facades' authentication hook answers a bearer token this node already
 * verified at once (Authenticator.known, src/api/shared/authenticate.ts):
 * over HTTP, the remembered answer must end when the token does and when the
 * principals are reloaded without its client, exactly as authenticate's.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialStamp } from '../../src/auth/authenticator.js';
import { Directory } from '../../src/auth/directory.js';
import { build } from '../helpers/app.js';
import { BACKEND, PRINCIPALS, removeTestData, type TestServer } from '../helpers/server.js';
import { searchPath, V3 } from './helpers.js';

describe(`remembered bearer tokens through the facade's hook (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const token = (expSeconds: number) =>
    new SignJWT({
      tid: 'acme',
      scope: 'interaction-content:read',
      cv: credentialStamp(server.runtime.keys.token, server.runtime.auth.directory.clients.get('acme-reader')?.credential ?? ''),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('acme-reader')
      .setIssuer('ixvault')
      .setAudience('api')
      .setIssuedAt()
      .setExpirationTime(expSeconds)
      .sign(server.runtime.keys.token);
  const page = async (authorization: string) =>
    (
      await server.app.inject({
        method: 'GET',
        url: `/interaction-content${searchPath('2025-03-01T00:00:00Z', '2025-03-07T00:00:00Z')}`,
        headers: { authorization, accept: V3 },
      })
    ).statusCode;

  it('knows only a verified, remembered bearer token', async () => {
    const auth = server.runtime.auth;
    const authorization = `Bearer ${await token(Math.floor(Date.now() / 1000) + 3600)}`;
    expect(auth.known({ authorization })).toBeUndefined();
    expect(await page(authorization)).toBe(200);
    expect(auth.known({ authorization })).toMatchObject({ kind: 'client', id: 'acme-reader', tenant: { id: 'acme' } });
    expect(auth.known({ authorization: `  bearer   ${authorization.slice(7)} ` })).toMatchObject({ id: 'acme-reader' });
    // Never another scheme, an altered token, or a cookie.
    expect(auth.known({ authorization: `Basic ${Buffer.from('acme-admin:x').toString('base64')}` })).toBeUndefined();
    expect(auth.known({ authorization: `${authorization}x` })).toBeUndefined();
    expect(auth.known({ cookie: 'ixv_session=abc' })).toBeUndefined();
  });

  it('refuses a remembered token over HTTP once it has expired', async () => {
    const expSeconds = Math.floor(Date.now() / 1000) + 2;
    const authorization = `Bearer ${await token(expSeconds)}`;
    expect(await page(authorization)).toBe(200);
    // Remembered now; poll until it is refused (a generous deadline: the clock decides, not the machine's speed).
    const deadline = Date.now() + 30_000;
    let refusedAt: number | undefined;
    while (refusedAt === undefined && Date.now() < deadline) {
      if ((await page(authorization)) === 401) refusedAt = Date.now();
      else await new Promise((resolve) => setImmediate(resolve));
    }
    expect(refusedAt ?? 0).toBeGreaterThanOrEqual(expSeconds * 1000);
    expect(server.runtime.auth.known({ authorization })).toBeUndefined();
  });

  it('refuses a remembered token over HTTP at once when its client is removed by a reload', async () => {
    const auth = server.runtime.auth;
    const authorization = `Bearer ${await token(Math.floor(Date.now() / 1000) + 3600)}`;
    expect(await page(authorization)).toBe(200);
    expect(auth.known({ authorization })).toBeDefined();
    const without = structuredClone(PRINCIPALS);
    const acme = without.tenants.find((t) => t.id === 'acme');
    if (!acme?.clients) throw new Error('acme has no clients in the fixture');
    acme.clients = acme.clients.filter((c) => c.clientId !== 'acme-reader');
    try {
      auth.reload(await Directory.fromConfig(without));
      expect(auth.known({ authorization })).toBeUndefined();
      expect(await page(authorization)).toBe(401);
    } finally {
      auth.reload(await Directory.fromConfig(PRINCIPALS));
    }
    expect(await page(authorization)).toBe(200);
  });
});
