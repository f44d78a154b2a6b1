/**
 * Signing out ends the session everywhere (session 5). A session cookie is a
 * signed token valid for 12 hours wherever it is presented; before, signing
 * out only told the browser to forget its copy, so a cookie copied before
 * (another browser, a shared desktop, a proxy log) kept reading records for
 * the rest of its 12 hours. Now a sign-out is recorded in the database and
 * every session cookie of that user signed before it is refused, by every
 * node; a new sign-in works at once, and calls with a password go on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'x-requested-with': 'test' };

describe(`signing out ends every copy of the session (${BACKEND})`, () => {
  let server: TestServer;
  let other: TestServer | undefined;
  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await other?.stop();
    await server.stop();
    await removeTestData(server);
  });

  const signIn = async (on: TestServer, userName: string) => {
    const res = await call(`${on.url}/api/v1/session`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, origin: on.url },
      json: { userName, password: `pw-${userName}` },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  };
  const signOut = (on: TestServer, cookie: string) =>
    call(`${on.url}/api/v1/session`, { method: 'DELETE', headers: { cookie, origin: on.url, 'x-requested-with': 'x' } });
  const reads = async (on: TestServer, cookie: string) =>
    (await call(`${on.url}/api/v1/interactions?limit=1`, { headers: { cookie } })).status;

  it('refuses a copied cookie once its user signed out; signing in again works at once', async () => {
    const copied = await signIn(server, 'super1');
    const elsewhere = await signIn(server, 'super1');
    expect(await reads(server, copied)).toBe(200);
    const out = await signOut(server, copied);
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^ixv_session=; Max-Age=0;/);

    for (const cookie of [copied, elsewhere]) {
      const refused = await call<{ code?: string; detail?: string }>(`${server.url}/api/v1/session`, { headers: { cookie } });
      expect(refused.status).toBe(401);
      expect(refused.body.detail).toContain('signed out');
      expect(await reads(server, cookie)).toBe(401);
    }
    const again = await signIn(server, 'super1');
    expect(await reads(server, again)).toBe(200);
    // Another user's sessions are not touched.
    const admin = await signIn(server, 'admin1');
    await signOut(server, again);
    expect(await reads(server, admin)).toBe(200);
    expect(await reads(server, again)).toBe(401);
  });

  it('a password call after a sign-out still works, and the cookie it sets (for CometD) is a new one that works', async () => {
    // A Genesys desktop's call with Basic credentials sets the cookie its CometD handshake uses.
    const desktop = async () => {
      const res = await call(`${server.url}/api/v2/ucs/interactions`, { headers: { authorization: server.basic('agent1') } });
      return { res, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string };
    };
    const { cookie } = await desktop();
    expect(await reads(server, cookie)).toBe(200);
    await signOut(server, cookie);
    const { res: basic, cookie: fresh } = await desktop();
    expect(basic.status).toBe(200);
    expect(fresh).toMatch(/^ixv_session=./);
    expect(fresh).not.toBe(cookie);
    expect(await reads(server, fresh)).toBe(200);
    expect(await reads(server, cookie)).toBe(401);
  });

  it.skipIf(BACKEND !== 'postgres')('a sign-out on one node is honoured by another node of the cluster', async () => {
    other = await build({ reuse: { dataDir: server.dataDir, databaseUrl: server.databaseUrl } });
    const cookie = await signIn(server, 'agent2');
    expect(await reads(other, cookie)).toBe(200);
    expect((await signOut(server, cookie)).status).toBe(204);
    // The other node trusts what it read for at most a second: poll, with a deadline generous for a busy machine.
    const deadline = Date.now() + 30_000;
    while ((await reads(other, cookie)) !== 401) {
      expect(Date.now(), 'the other node still takes the cookie').toBeLessThan(deadline);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await reads(other, await signIn(other, 'agent2'))).toBe(200);
  });
});
