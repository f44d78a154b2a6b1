/**
 * Bearer tokens are verified once and then remembered by the token itself
 * (src/auth/authenticator.ts): the remembered check must end when the token
 * does, must not outlive a reload of the principals, must never stand for
 * another token (an altered one, another tenant's), and a refused token must
 * stay refused.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialStamp } from '../../src/auth/authenticator.js';
import { Directory } from '../../src/auth/directory.js';
import { build } from '../helpers/app.js';
import { BACKEND, PRINCIPALS, removeTestData, type TestServer } from '../helpers/server.js';

describe(`remembered bearer tokens (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  /** The credential claim the server signs in (the client's secret as configured; any stamp for an unknown client). */
  const stampOf = (clientId: string) =>
    credentialStamp(server.runtime.keys.token, server.runtime.auth.directory.clients.get(clientId)?.credential ?? '');
  const tokenUntil = (expSeconds: number, claims: { tid: string; sub: string } = { tid: 'acme', sub: 'acme-reader' }) =>
    new SignJWT({ tid: claims.tid, scope: 'interaction-content:read', cv: stampOf(claims.sub) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuer('ixvault')
      .setAudience('api')
      .setIssuedAt()
      .setExpirationTime(expSeconds)
      .sign(server.runtime.keys.token);
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
  const bearer = async (claims?: { tid: string; sub: string }) => `Bearer ${await tokenUntil(inAnHour(), claims)}`;

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

  it("authenticates each tenant's token as that tenant only, on the first and on remembered checks", async () => {
    const auth = server.runtime.auth;
    const acme = await bearer({ tid: 'acme', sub: 'acme-qa' });
    const globex = await bearer({ tid: 'globex', sub: 'globex-qa' });
    for (let round = 0; round < 3; round++) {
      await expect(auth.authenticate({ authorization: acme })).resolves.toMatchObject({ id: 'acme-qa', tenant: { id: 'acme' } });
      await expect(auth.authenticate({ authorization: globex })).resolves.toMatchObject({
        id: 'globex-qa',
        tenant: { id: 'globex' },
      });
    }
    // A genuine signature naming a client under another tenant is refused, every time (never remembered).
    const crossed = await bearer({ tid: 'globex', sub: 'acme-qa' });
    for (let round = 0; round < 2; round++)
      await expect(auth.authenticate({ authorization: crossed })).rejects.toMatchObject({ status: 401 });
  });

  it('never takes an altered token for the remembered one', async () => {
    const auth = server.runtime.auth;
    const token = await tokenUntil(inAnHour());
    await expect(auth.authenticate({ authorization: `Bearer ${token}` })).resolves.toMatchObject({ id: 'acme-reader' });
    // A character inside the signature (the last one may carry only padding bits).
    const at = token.length - 10;
    const flipped = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    for (const altered of [flipped, `${token}x`, token.slice(0, -1)])
      await expect(auth.authenticate({ authorization: `Bearer ${altered}` })).rejects.toMatchObject({ status: 401 });
    // Surrounding blanks are not part of the token: the remembered check answers for it.
    await expect(auth.authenticate({ authorization: `  Bearer   ${token}  ` })).resolves.toMatchObject({ id: 'acme-reader' });
  });

  it('forgets remembered tokens when the principals are reloaded: a removed client is refused at once', async () => {
    const auth = server.runtime.auth;
    const authorization = await bearer({ tid: 'acme', sub: 'acme-reader' });
    await expect(auth.authenticate({ authorization })).resolves.toMatchObject({ id: 'acme-reader' });
    const without = structuredClone(PRINCIPALS);
    const acme = without.tenants.find((t) => t.id === 'acme');
    if (!acme?.clients) throw new Error('acme has no clients in the fixture');
    acme.clients = acme.clients.filter((c) => c.clientId !== 'acme-reader');
    try {
      auth.reload(await Directory.fromConfig(without));
      await expect(auth.authenticate({ authorization })).rejects.toMatchObject({ status: 401 });
    } finally {
      auth.reload(await Directory.fromConfig(PRINCIPALS));
    }
    await expect(auth.authenticate({ authorization })).resolves.toMatchObject({ id: 'acme-reader' });
  });
});
