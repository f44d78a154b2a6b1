/**
 * Signing out ends the session everywhere (session 5). A session cookie is a
 * signed token valid for 12 hours wherever it is presented; before, signing
 * out only told the browser to forget its copy, so a cookie copied before
 * (another browser, a shared desktop, a proxy log) kept reading records for
 * the rest of its 12 hours. Now a sign-out is recorded in the database and
 * every session cookie of that user signed before it is refused, by every
 * node; a new sign-in works at once, and calls with a password go on.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROOF_TTL_MS } from '../../src/notify/handshake-authentication.js';
import { LIVE_CHANNEL } from '../../src/notify/live.js';
import { SessionRevocationRepository } from '../../src/store/session-revocation-repository.js';
import { ingest } from '../genesys/helpers.js';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';
import { nextFrame, type OpenSocket, openSocket, type Reply } from '../helpers/raw-bayeux.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'x-requested-with': 'test' };

/** Signs in through the native API; returns the session cookie (`name=value`). */
async function signIn(on: TestServer, userName: string): Promise<string> {
  const res = await call(`${on.url}/api/v1/session`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, origin: on.url },
    json: { userName, password: `pw-${userName}` },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

const signOut = (on: TestServer, cookie: string) =>
  call(`${on.url}/api/v1/session`, { method: 'DELETE', headers: { cookie, origin: on.url, 'x-requested-with': 'x' } });

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

/**
 * Live sessions after a sign-out (session 6). A websocket proved its
 * principal with the cookie of its upgrade, once, and faye pushes results
 * onto it without asking again: a socket opened with a copied cookie went on
 * hearing that user's results (Genesys results, the live feed) after the
 * sign-out. Now the sign-out closes such sockets at once, and any socket's
 * proof lapses after PROOF_TTL_MS, so credentials ended elsewhere (another
 * node's sign-out, a removed user, an expired token) end it at its next message.
 */
describe(`signing out ends the user's live sessions too (${BACKEND})`, () => {
  let server: TestServer;
  const sockets: OpenSocket[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    for (const { socket } of sockets) socket.close();
    await server.stop();
    await removeTestData(server);
  });

  /** A raw socket that handshook, subscribed to the live channel and connected: news are pushed to it from now on. */
  const listening = async (headers: Record<string, string>, ext?: { authorization: string }) => {
    const open = await openSocket(server, headers);
    sockets.push(open);
    const exchange = async (message: Record<string, unknown>) => {
      const reply = nextFrame(open.socket);
      open.socket.send(JSON.stringify([{ ...message, ...(ext ? { ext } : {}) }]));
      return (await reply)[0] as Reply;
    };
    const handshake = await exchange({ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] });
    expect(handshake, JSON.stringify(handshake)).toMatchObject({ successful: true });
    const clientId = handshake.clientId as string;
    expect(await exchange({ channel: '/meta/subscribe', clientId, subscription: LIVE_CHANNEL })).toMatchObject({
      successful: true,
    });
    expect(
      await exchange({ channel: '/meta/connect', clientId, connectionType: 'websocket', advice: { timeout: 0 } }),
    ).toMatchObject({
      successful: true,
    });
    return { ...open, clientId, exchange };
  };
  const news = (frames: Reply[][], id: string) => frames.flat().some((m) => (m.data as { id?: string } | undefined)?.id === id);
  const heard = async (open: OpenSocket, id: string) => {
    // Pushed in order, so once a later message is there this one would have been: wait for the frame itself.
    while (!news(open.frames, id)) await nextFrame(open.socket);
  };
  const ownInteraction = async () =>
    (await ingest(server, [callRecord({ ownerInformation: { id: 'super-1' }, handlingAgents: [] })]))[0] as string;

  it("closes the sockets the user's cookies opened, at once; a new socket with that cookie is refused", async () => {
    const cookie = await signIn(server, 'super1');
    const copied = await listening({ cookie });
    const first = await ownInteraction();
    await heard(copied, first);

    const out = await signOut(server, cookie);
    expect(out.status).toBe(204);
    await copied.closed;
    const after = await ownInteraction();
    expect(news(copied.frames, after)).toBe(false);

    const again = await openSocket(server, { cookie });
    sockets.push(again);
    const refused = nextFrame(again.socket);
    again.socket.send(JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }]));
    expect((await refused)[0]).toMatchObject({ successful: false, error: expect.stringMatching(/^401::/) });
  });

  it('leaves sockets opened with a password open, and closes no other user’s', async () => {
    const withPassword = await listening({}, { authorization: server.basic('super1') });
    const adminCookie = await signIn(server, 'admin1');
    const admins = await listening({ cookie: adminCookie });
    const cookie = await signIn(server, 'super1');
    const out = await signOut(server, cookie);
    expect(out.status).toBe(204);
    const id = await ownInteraction();
    await heard(withPassword, id);
    await heard(admins, id);
  });

  it('a sign-out this node did not hear of ends a socket at its first message once the proof lapsed', async () => {
    const cookie = await signIn(server, 'super1');
    const copied = await listening({ cookie });
    // As another node records it: in the database only (no event reaches this node).
    await new SessionRevocationRepository(server.runtime.store).signOut('acme', 'super-1', Date.now());
    // Within its proof, the socket is not asked again.
    expect(
      await copied.exchange({
        channel: '/meta/connect',
        clientId: copied.clientId,
        connectionType: 'websocket',
        advice: { timeout: 0 },
      }),
    ).toMatchObject({
      successful: true,
    });
    const now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => now + PROOF_TTL_MS + 60_000);
    try {
      const refused = await copied.exchange({ channel: '/meta/connect', clientId: copied.clientId, connectionType: 'websocket' });
      expect(refused).toMatchObject({ successful: false, error: expect.stringMatching(/^401::.*signed out/) });
      await copied.closed;
    } finally {
      vi.restoreAllMocks();
    }
  });
});
