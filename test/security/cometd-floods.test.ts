/**
 * What one principal can make the CometD endpoint hold (session 4, redteam).
 * The endpoint is faye's, in front of Fastify's rate limits: before, one agent
 * opened 56 000 sessions in 8 s (2 800 handshakes a request, ~2 KB each, each
 * kept a minute) and one session took 50 000 subscriptions in 2.4 s (~850 B
 * each, kept as long as it polls): memory without bound from the lowest
 * role. Now a principal has at most `bayeuxSessionsPerPrincipal` sessions and
 * a session at most MAX_SUBSCRIPTIONS_PER_SESSION subscriptions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_DEFAULTS } from '../../src/config.js';
import { MAX_SUBSCRIPTIONS_PER_SESSION } from '../../src/notify/sessions.js';
import { MAX_UNPROVEN_SOCKETS, MAX_UNPROVEN_SOCKETS_PER_ADDRESS } from '../../src/notify/socket-registry.js';
import { TestClient } from '../genesys/cometd.js';
import { nextFrame, type OpenSocket, openSocket } from '../helpers/raw-bayeux.js';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';

type Reply = { channel: string; successful?: boolean; error?: string; clientId?: string; advice?: { reconnect?: string } };

const HANDSHAKE = { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] };
const SESSIONS = 4;

describe(`CometD: what one principal can make the server hold (${BACKEND})`, () => {
  let server: TestServer;
  const post = async (messages: object[], authorization: string): Promise<Reply[]> => {
    const res = await fetch(`${server.url}/api/v2/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(messages),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Reply[];
  };
  const handshake = async (authorization: string, count = 1) =>
    post(
      Array.from({ length: count }, () => HANDSHAKE),
      authorization,
    );

  beforeAll(async () => {
    // The test is also the proxy in front (its connections come from 127.0.0.1): sockets name their client.
    server = await startTestServer({ limits: { bayeuxSessionsPerPrincipal: SESSIONS, trustedProxies: ['127.0.0.1'] } });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('has a default that bounds every principal', () => {
    expect(EDGE_DEFAULTS.bayeuxSessionsPerPrincipal).toBeGreaterThan(0);
    expect(EDGE_DEFAULTS.bayeuxSessionsPerPrincipal).toBeLessThanOrEqual(100);
  });

  it('opens at most the configured sessions per principal, in one batch or many requests; others are not affected', async () => {
    const agent = server.basic('agent1');
    const batch = await handshake(agent, 50);
    const opened = batch.filter((r) => r.successful).map((r) => r.clientId as string);
    // (faye may answer a batch's handshakes one after the other or overlapping: one in flight per request.)
    expect(opened.length).toBeGreaterThanOrEqual(1);
    expect(opened.length).toBeLessThanOrEqual(SESSIONS);
    const refused = batch.filter((r) => !r.successful);
    expect(refused).toHaveLength(50 - opened.length);
    for (const r of refused) {
      expect(r.error).toMatch(/^429::/);
      expect(r.clientId).toBeUndefined();
      expect(r.advice?.reconnect).toBe('handshake');
    }
    while (opened.length < SESSIONS) {
      const [one] = await handshake(agent);
      expect(one?.successful).toBe(true);
      opened.push(one?.clientId as string);
    }
    const more = await handshake(agent);
    expect(more[0]?.successful).toBe(false);
    // Another principal of the same tenant still gets its sessions.
    const other = await handshake(server.basic('agent2'));
    expect(other[0]?.successful).toBe(true);
    // A session closed frees its place.
    const [gone] = opened;
    const bye = await post([{ channel: '/meta/disconnect', clientId: gone }], agent);
    expect(bye[0]?.successful).toBe(true);
    const again = await handshake(agent, 3);
    expect(again.filter((r) => r.successful)).toHaveLength(1);
    for (const clientId of [...opened.slice(1), ...again.filter((r) => r.successful).map((r) => r.clientId)])
      await post([{ channel: '/meta/disconnect', clientId }], agent);
    const later = await handshake(agent);
    expect(later[0]?.successful).toBe(true);
    await post([{ channel: '/meta/disconnect', clientId: later[0]?.clientId }], agent);
  });

  it('takes at most MAX_SUBSCRIPTIONS_PER_SESSION subscriptions on a session, in one message or many', async () => {
    const auth = server.basic('super1');
    const [hs] = await handshake(auth);
    const clientId = hs?.clientId as string;
    expect(clientId).toBeDefined();
    const many = Array.from({ length: MAX_SUBSCRIPTIONS_PER_SESSION + 20 }, (_, k) => `/flood/${k}`);
    // One message naming them all is refused whole.
    const [whole] = await post([{ channel: '/meta/subscribe', clientId, subscription: many }], auth);
    expect(whole?.successful).toBe(false);
    expect(whole?.error).toMatch(/^429:/);
    // One message each: the first MAX are taken, the rest refused.
    const each = await post(
      many.map((subscription) => ({ channel: '/meta/subscribe', clientId, subscription })),
      auth,
    );
    expect(each.filter((r) => r.successful)).toHaveLength(MAX_SUBSCRIPTIONS_PER_SESSION);
    // Subscribing again to a channel it has costs nothing; unsubscribing frees a place.
    expect((await post([{ channel: '/meta/subscribe', clientId, subscription: '/flood/0' }], auth))[0]?.successful).toBe(true);
    expect((await post([{ channel: '/meta/unsubscribe', clientId, subscription: '/flood/0' }], auth))[0]?.successful).toBe(true);
    const late = `/flood/${MAX_SUBSCRIPTIONS_PER_SESSION + 5}`;
    expect((await post([{ channel: '/meta/subscribe', clientId, subscription: late }], auth))[0]?.successful).toBe(true);
    await post([{ channel: '/meta/disconnect', clientId }], auth);
  });

  it('holds at most the configured websockets per principal, however many sockets name its session', async () => {
    const ext = { authorization: server.basic('gadmin') };
    const first = await openSocket(server);
    const handshook = nextFrame(first.socket);
    first.socket.send(JSON.stringify([{ ...HANDSHAKE, supportedConnectionTypes: ['websocket'], ext }]));
    const clientId = (await handshook)[0]?.clientId as string;
    expect(clientId).toBeTruthy();
    // Every further socket proves the same principal by naming its session: the first SESSIONS - 1 are taken.
    const connect = async (open: OpenSocket) => {
      const reply = nextFrame(open.socket);
      open.socket.send(
        JSON.stringify([{ channel: '/meta/connect', clientId, connectionType: 'websocket', advice: { timeout: 0 }, ext }]),
      );
      return (await reply)[0];
    };
    const others: OpenSocket[] = [];
    for (let i = 1; i < SESSIONS; i++) {
      const open = await openSocket(server);
      others.push(open);
      expect(await connect(open)).toMatchObject({ successful: true });
    }
    const oneTooMany = await openSocket(server);
    expect(await connect(oneTooMany)).toMatchObject({ successful: false, error: expect.stringMatching(/^429::.*websockets/) });
    await oneTooMany.closed;
    // A socket closed gives its place back.
    const [leaving] = others;
    leaving?.socket.close();
    await leaving?.closed;
    const again = await openSocket(server);
    expect(await connect(again)).toMatchObject({ successful: true });
    for (const open of [first, ...others, again]) open.socket.close();
  });

  /** A raw websocket from client address `n` (10.0.x.y) behind the proxy. */
  const socketFrom = (n: number) => openSocket(server, { 'x-forwarded-for': `10.0.${n >> 8}.${n & 255}` });

  it(`refuses websocket upgrades while ${MAX_UNPROVEN_SOCKETS} sockets say nothing, and serves again once they close`, async () => {
    // Eight clients' worth from each address, as many addresses as it takes: the cap in all, not per address.
    const silent = await Promise.all(Array.from({ length: MAX_UNPROVEN_SOCKETS }, (_, i) => socketFrom(i >> 3)));
    await expect(socketFrom(100_000)).rejects.toThrow(/503/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    for (const { socket } of silent) socket.close();
    await Promise.all(silent.map((open) => open.closed));
    // The server forgets a socket when its close reaches it: retry the upgrade until then.
    let open: OpenSocket | undefined;
    while (!open) open = await socketFrom(100_000).catch(() => undefined);
    open.socket.close();
  });

  it(`one address holds at most ${MAX_UNPROVEN_SOCKETS_PER_ADDRESS} silent sockets; another client's websocket still opens and handshakes`, async () => {
    const silent = await Promise.all(Array.from({ length: MAX_UNPROVEN_SOCKETS_PER_ADDRESS }, () => socketFrom(7)));
    await expect(socketFrom(7)).rejects.toThrow(/503/);
    const other = await socketFrom(8);
    other.socket.send(
      JSON.stringify([{ ...HANDSHAKE, supportedConnectionTypes: ['websocket'], ext: { authorization: server.basic('agent2') } }]),
    );
    expect((await nextFrame(other.socket))[0]).toMatchObject({ channel: '/meta/handshake', successful: true });
    other.socket.close();
    for (const { socket } of silent) socket.close();
    await Promise.all([other.closed, ...silent.map((open) => open.closed)]);
  });

  it('the official client still handshakes and subscribes, and the server stays up', async () => {
    for (const transport of ['long-polling', 'websocket'] as const) {
      const client = await new TestClient(server.url, { transport, ext: server.basic('admin1') }).open();
      expect(client.cometd.isDisconnected()).toBe(false);
      await client.disconnect();
    }
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });
});
