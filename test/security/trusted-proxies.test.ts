/**
 * A node behind a load balancer or TLS proxy (docs/DEPLOYMENT.md puts nginx in
 * front of every cluster): every connection comes from the proxy. What is
 * counted per client address — failed password checks, the unauthenticated
 * rate limit — must count the client the proxy names in X-Forwarded-For, or
 * one client's failures lock every user out; and that header must be believed
 * from the listed proxies only, or a client names whatever address it likes.
 * Here the test is the proxy: its connections come from 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';

const ATTACKER = '203.0.113.9';
const BYSTANDER = '198.51.100.7';
/** What nginx forwards for a client that sent its own X-Forwarded-For naming the bystander. */
const SPOOFED = `${BYSTANDER}, ${ATTACKER}`;

const basic = (user: string, password = `pw-${user}`) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function asClient(server: TestServer, forwardedFor: string, authorization: string) {
  const res = await fetch(`${server.url}/api/v1/interactions?limit=1`, {
    headers: { authorization, 'x-forwarded-for': forwardedFor },
  });
  await res.arrayBuffer();
  return res.status;
}

async function handshake(server: TestServer, forwardedFor: string, authorization: string) {
  const res = await fetch(`${server.url}/api/v2/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify([
      { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], ext: { authorization } },
    ]),
  });
  const [reply] = (await res.json()) as { successful: boolean; error?: string }[];
  if (!reply) throw new Error('the handshake had no reply');
  return reply;
}

/**
 * 40 wrong passwords at once, each for another name (so that no user's own
 * throttle is what stops them): all pass the throttle before the first check
 * fails, so the address they come from ends far past its 20 free failures.
 */
async function flood(server: TestServer, forwardedFor: string) {
  const statuses = await Promise.all(
    Array.from({ length: 40 }, (_, i) => asClient(server, forwardedFor, basic(`nobody-${i}`, 'wrong'))),
  );
  expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
}

async function signIn(server: TestServer, forwardedProto: string) {
  const res = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: server.url,
      'x-requested-with': 'ixvault-test',
      'x-forwarded-proto': forwardedProto,
      'x-forwarded-for': BYSTANDER,
    },
    body: JSON.stringify({ userName: 'agent2', password: 'pw-agent2' }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie') ?? '';
}

describe(`behind a trusted proxy (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { trustedProxies: ['127.0.0.1'] } });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it("one client's failed logins throttle that client only, over HTTP and CometD; its own X-Forwarded-For names nobody else", async () => {
    await flood(server, SPOOFED);
    // Every check below is a first check of that user: no cached credential answers for it.
    expect(await asClient(server, SPOOFED, basic('agent1'))).toBe(429);
    expect(await asClient(server, BYSTANDER, basic('super1'))).toBe(200);
    expect((await handshake(server, SPOOFED, basic('admin1'))).successful).toBe(false);
    expect((await handshake(server, BYSTANDER, basic('agent2'))).successful).toBe(true);
  });

  it('the session cookie is Secure and Genesys uris are https when the proxy says the client came over HTTPS', async () => {
    expect(await signIn(server, 'https')).toMatch(/;\s*Secure/i);
    const proxied = { 'x-forwarded-for': BYSTANDER, 'x-forwarded-proto': 'https' };
    const created = await fetch(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { ...proxied, authorization: basic('admin1'), 'content-type': 'application/json' },
      body: JSON.stringify({ mediaType: 'chat', typeId: 'Inbound', startDate: new Date().toISOString() }),
    });
    const { id } = (await created.json()) as { id: string };
    const history = await fetch(`${server.url}/api/v2/ucs/interactions`, {
      headers: { ...proxied, authorization: basic('admin1') },
    });
    const { interactions } = (await history.json()) as { interactions: { id: string; uri: string }[] };
    expect(interactions.find((i) => i.id === id)?.uri).toBe(`${server.url.replace('http:', 'https:')}/api/v2/interactions/${id}`);
  });
  it("a foreign page's origin is refused even when the forwarded host names it (the cross-site check reads Host)", async () => {
    const res = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'https://pages.example',
        'x-forwarded-host': 'pages.example',
        'x-requested-with': 'ixvault-test',
        'x-forwarded-for': BYSTANDER,
      },
      body: JSON.stringify({ userName: 'agent2', password: 'pw-agent2' }),
    });
    expect(res.status).toBe(403);
  });
});

describe(`the rate limit without credentials behind a trusted proxy (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { trustedProxies: ['127.0.0.1'], ipRateLimitPerMinute: 3 } });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('counts each client, not the proxy', async () => {
    const health = async (forwardedFor: string) => {
      const res = await fetch(`${server.url}/health`, { headers: { 'x-forwarded-for': forwardedFor } });
      await res.arrayBuffer();
      return res.status;
    };
    const attacker = [];
    for (let i = 0; i < 4; i++) attacker.push(await health(SPOOFED));
    expect(attacker).toEqual([200, 200, 200, 429]);
    expect(await health(BYSTANDER)).toBe(200);
  });
});

describe(`no proxy listed: forwarding headers are not believed (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  // First: the flood below throttles the one address these requests come from.
  it('X-Forwarded-Proto does not make the cookie Secure over plain HTTP', async () => {
    expect(await signIn(server, 'https')).not.toMatch(/Secure/i);
  });

  it('a client naming another address in X-Forwarded-For is still throttled by its own', async () => {
    await flood(server, ATTACKER);
    // Users not yet verified on this server (agent2 signed in above: its credential is cached).
    expect(await asClient(server, BYSTANDER, basic('super1'))).toBe(429);
    expect((await handshake(server, BYSTANDER, basic('admin1'))).successful).toBe(false);
  });
});
