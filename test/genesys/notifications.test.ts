/**
 * The CometD endpoint with the official client: authenticated handshakes,
 * refusals that stop the client, results only for the sessions of the user
 * who asked, no publishing by clients, and results kept for a user who
 * subscribes after posting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { CHANNEL, TestClient, TRANSPORTS } from './cometd.js';
import { accepted } from './helpers.js';

const HISTORY = { operationName: 'RetrieveInteractionHistory' };
/**
 * Absence is proven without waiting: a session receives its messages in the
 * order they were published, so once a marker published later has arrived,
 * anything misrouted to that session earlier would have arrived before it.
 */
async function marker(server: TestServer, userName: string, session: TestClient): Promise<number> {
  const referenceId = await accepted(server, '/interactions', server.basic(userName), HISTORY);
  await session.result(referenceId);
  return referenceId;
}

/**
 * Records the results the server holds for sessions yet to subscribe, from now
 * on (start it before posting: the work runs right after the answer).
 */
function watchHeld(server: TestServer) {
  const seen = new Set<unknown>();
  const waiters: (() => void)[] = [];
  const onHeld = (data: Record<string, unknown>) => {
    seen.add(data.referenceId);
    for (const wake of waiters.splice(0)) wake();
  };
  server.app.notifications.events.on('held', onHeld);
  return {
    async until(...referenceIds: number[]): Promise<void> {
      while (!referenceIds.every((id) => seen.has(id))) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    /** The referenceIds held, in the order they were held. */
    order: () => [...seen],
    stop: () => server.app.notifications.events.off('held', onHeld),
  };
}

describe(`CometD notifications (${BACKEND})`, () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect()));
    await server.stop();
    await removeTestData(server);
  });
  const client = (options: ConstructorParameters<typeof TestClient>[1]) => {
    const created = new TestClient(server.url, options);
    clients.push(created);
    return created;
  };
  const sessionCookie = async (userName: string) => {
    const res = await call(`${server.url}/api/v2/ucs/interactions`, { headers: { authorization: server.basic(userName) } });
    return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  };

  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      it('handshakes with Basic credentials in ext.authorization, with timeout and interval advice', async () => {
        const agent = client({ transport, ext: server.basic('agent1') });
        const reply = await agent.handshake();
        expect(reply.successful).toBe(true);
        expect(reply.advice).toEqual({ reconnect: 'retry', interval: 0, timeout: 30_000 });
        expect(agent.transport()).toBe(transport);
      });

      it('handshakes with a bearer token, and an API client gets its own results', async () => {
        const token = await server.bearer('acme-qa');
        const qa = await client({ transport, ext: token }).open();
        const referenceId = await accepted(server, '/interactions', token, HISTORY);
        expect(await qa.result(referenceId)).toEqual({
          referenceId,
          messageType: 'GetInteractionsHistoryMessage',
          interactions: [],
        });
      });

      it('refuses a handshake without valid credentials and advises the client to stop', async () => {
        for (const ext of [undefined, `Basic ${Buffer.from('agent1:wrong').toString('base64')}`, 'Bearer not-a-token']) {
          const stranger = client({ transport, ...(ext ? { ext } : {}) });
          const reply = await stranger.handshake();
          expect(reply.successful).toBe(false);
          expect(reply.error).toMatch(/^401::/);
          expect(reply.advice).toEqual({ reconnect: 'none' });
          // No retry loop: one attempt, and the client gave up (a disconnected client schedules no retry).
          expect(stranger.handshakes).toHaveLength(1);
          expect(stranger.cometd.isDisconnected()).toBe(true);
        }
      });

      it("delivers a result only to the sessions of the user who asked: not to another user's, in or out of the tenant", async () => {
        const mine = [
          await client({ transport, ext: server.basic('agent1') }).open(),
          await client({ transport, ext: server.basic('agent1') }).open(),
        ];
        const others = [
          await client({ transport, ext: server.basic('agent2') }).open(),
          await client({ transport, ext: server.basic('super1') }).open(),
          await client({ transport, ext: server.basic('gadmin') }).open(),
        ];
        // agent2 again, on wildcards as well as its own results channel (which receives the marker).
        const wildcards = await client({ transport, ext: server.basic('agent2') }).open();
        wildcards.subscribe('/v2/ucs/*');
        wildcards.subscribe('/v2/**');
        await wildcards.until(() => wildcards.subscribes.filter((s) => s.successful).length === 3, 'wildcard subscriptions');

        const referenceId = await accepted(server, '/interactions', server.basic('agent1'), HISTORY);
        for (const session of mine) expect((await session.result(referenceId)).messageType).toBe('GetInteractionsHistoryMessage');
        // Each other session's own marker arrives, and nothing of agent1's before it.
        const theirs = await accepted(server, '/interactions', server.basic('agent2'), HISTORY);
        for (const session of [others[0], wildcards] as TestClient[]) {
          await session.result(theirs);
          // (The client hands one message to every matching subscription: wildcards sees its own three times.)
          expect([...new Set(session.received.map((d) => d.referenceId))]).toEqual([theirs]);
        }
        for (const [session, userName] of [
          [others[1], 'super1'],
          [others[2], 'gadmin'],
        ] as const) {
          const own = await marker(server, userName, session as TestClient);
          expect(session?.received.map((d) => d.referenceId)).toEqual([own]);
        }
        // And agent1's sessions got their own result once, and none of the others'.
        const again = await accepted(server, '/interactions', server.basic('agent1'), HISTORY);
        for (const session of mine) {
          await session.result(again);
          expect(session.received.map((d) => d.referenceId)).toEqual([referenceId, again]);
        }
      });

      it('refuses publishing by clients, on the results channel or any other', async () => {
        const victim = await client({ transport, ext: server.basic('agent1') }).open();
        const forger = await client({ transport, ext: server.basic('agent2') }).open();
        const forged = { referenceId: 1, messageType: 'GetInteractionsHistoryMessage', interactions: [{ id: 'fake' }] };
        const reply = await forger.publish(CHANNEL, forged);
        expect(reply.successful).toBe(false);
        expect(reply.error).toBe('403:/v2/ucs/interactions:Publishing is not allowed');
        expect((await forger.publish('/chat/room', { hello: 1 })).successful).toBe(false);
        const victimMarker = await marker(server, 'agent1', victim);
        const forgerMarker = await marker(server, 'agent2', forger);
        expect(victim.received.map((d) => d.referenceId)).toEqual([victimMarker]);
        expect(forger.received.map((d) => d.referenceId)).toEqual([forgerMarker]);
      });

      it("refuses subscriptions that could cover other users' results", async () => {
        const greedy = await client({ transport, ext: server.basic('gadmin'), subscribe: false }).open();
        for (const channel of ['/**', '/ixvault/**', '/ixvault/private/0123456789abcdef/v2/ucs/interactions']) {
          greedy.subscribe(channel);
          await greedy.until(() => greedy.subscribes.some((s) => s.subscription?.includes(channel)), `reply for ${channel}`);
          const reply = greedy.subscribes.find((s) => s.subscription?.includes(channel));
          expect(reply?.successful).toBe(false);
          expect(reply?.error).toBe(`403:${channel}:Forbidden channel`);
        }
      });

      it('keeps results for a user who subscribes after posting, and delivers them in order', async () => {
        // admin1 has no session open at this point: the server holds both results.
        const heldResults = watchHeld(server);
        const first = await accepted(server, '/interactions', server.basic('admin1'), HISTORY);
        const second = await accepted(server, '/interactions/NOSUCH', server.basic('admin1'), {
          operationName: 'GetInteractionContent',
        });
        expect(second).toBe(first + 1);
        await heldResults.until(first, second);
        heldResults.stop();
        // Held in the order they were computed, which need not be the order asked (under load the content
        // look-up may finish first), and delivered in that order.
        const held = heldResults.order().filter((id) => id === first || id === second);
        const late = await client({ transport, ext: server.basic('admin1') }).open();
        await late.result(first);
        await late.result(second);
        expect(late.received.map((d) => d.referenceId)).toEqual(held);
        const typeOf = new Map(late.received.map((d) => [d.referenceId, d.messageType]));
        expect([typeOf.get(first), typeOf.get(second)]).toEqual([
          'GetInteractionsHistoryMessage',
          'GetInteractionContentMessage',
        ]);
        await late.disconnect();
      });
    });
  }

  it('long-polling: the Authorization header, or the session cookie an API call set, authenticates the handshake', async () => {
    const byHeader = client({ transport: 'long-polling', header: server.basic('agent1') });
    expect((await byHeader.handshake()).successful).toBe(true);
    const cookie = await sessionCookie('agent1');
    expect(cookie).toMatch(/^ixv_session=./);
    const byCookie = await client({ transport: 'long-polling' })
      .open()
      .catch((err) => err);
    expect(byCookie).toBeInstanceOf(Error);
    const withCookie = client({ transport: 'long-polling' });
    withCookie.cometd.configure({ url: `${server.url}/api/v2/notifications`, requestHeaders: { Cookie: cookie } });
    await withCookie.open();
    const referenceId = await accepted(server, '/interactions', server.basic('agent1'), HISTORY);
    expect((await withCookie.result(referenceId)).referenceId).toBe(referenceId);
  });

  it('a session cookie sent from another origin does not authenticate', async () => {
    const cookie = await sessionCookie('agent1');
    const foreign = client({ transport: 'long-polling' });
    foreign.cometd.configure({
      url: `${server.url}/api/v2/notifications`,
      requestHeaders: { Cookie: cookie, Origin: 'http://evil.example' },
    });
    const reply = await foreign.handshake();
    expect(reply.successful).toBe(false);
    // Refused before faye sees it: a foreign origin gets an HTTP 403, not a Bayeux reply.
    expect(reply.clientId).toBeUndefined();
    await foreign.disconnect();
  });

  it("a session cookie on a script tag's GET (JSON-P) does not authenticate", async () => {
    const cookie = await sessionCookie('agent1');
    const handshake = [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['callback-polling'] }];
    const query = new URLSearchParams({ message: JSON.stringify(handshake), jsonp: 'steal' });
    const res = await fetch(`${server.url}/api/v2/notifications?${query}`, { headers: { cookie } });
    const body = await res.text();
    // JSON-P is off unless configured (--jsonp); test/security/cometd-sessions.test.ts covers it when on.
    expect(res.status).toBe(400);
    expect(body).not.toMatch(/steal\(/);
    expect(body).not.toContain('clientId');
  });

  it('referenceIds increase per user, independently of other users', async () => {
    const a = [];
    const b = [];
    for (let i = 0; i < 2; i++) {
      a.push(await accepted(server, '/interactions', server.basic('admin1'), HISTORY));
      b.push(await accepted(server, '/interactions', server.basic('agent2'), HISTORY));
    }
    expect(a[1]).toBe((a[0] as number) + 1);
    expect(b[1]).toBe((b[0] as number) + 1);
  });
});

describe(`CometD notifications: results not picked up in time (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ resultTtlMs: 300 });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('are dropped after the configured time', async () => {
    const heldResults = watchHeld(server);
    const expired = await accepted(server, '/interactions', server.basic('agent1'), HISTORY);
    await heldResults.until(expired);
    heldResults.stop();
    const heldAt = Date.now();
    // The result's time is up (300 ms): wait for the clock, not for a guess about the machine.
    await waitFor(() => Date.now() > heldAt + 300, 'the hold time to pass', { everyMs: 50 });
    const late = await new TestClient(server.url, { transport: 'websocket', ext: server.basic('agent1') }).open();
    // Anything still held is released at subscribe, before the fresh result is published.
    const fresh = await accepted(server, '/interactions', server.basic('agent1'), HISTORY);
    await late.result(fresh);
    expect(late.received.map((d) => d.referenceId)).toEqual([fresh]);
    expect(fresh).toBe(expired + 1);
    await late.disconnect();
  });
});
