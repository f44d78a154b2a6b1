/**
 * Bearer tokens are verified once and then remembered (src/auth/authenticator.ts):
 * the remembered check must end when the token does, and must not outlive a
 * reload of the principals.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';

describe(`remembered bearer tokens (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const tokenUntil = (expSeconds: number) =>
    new SignJWT({ tid: 'acme', scope: 'interaction-content:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('acme-reader')
      .setIssuer('ixvault')
      .setAudience('api')
      .setIssuedAt()
      .setExpirationTime(expSeconds)
      .sign(server.runtime.keys.token);

  it('refuses a remembered token once it has expired', async () => {
    const expSeconds = Math.floor(Date.now() / 1000) + 2;
    const authorization = `Bearer ${await tokenUntil(expSeconds)}`;
    const auth = server.runtime.auth;
    await expect(auth.authenticate({ authorization })).resolves.toMatchObject({ kind: 'client', id: 'acme-reader' });
    // Remembered now; poll until it is refused (a generous deadline, the clock decides).
    const deadline = Date.now() + 30_000;
    let refusedAt: number | undefined;
    while (refusedAt === undefined && Date.now() < deadline) {
      try {
        await auth.authenticate({ authorization });
        await new Promise((resolve) => setImmediate(resolve));
      } catch {
        refusedAt = Date.now();
      }
    }
    expect(refusedAt).toBeDefined();
    expect(refusedAt ?? 0).toBeGreaterThanOrEqual(expSeconds * 1000);
  });
});
