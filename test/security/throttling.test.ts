/**
 * Issue 8, finding 11: rate limits per principal and per IP answered with 429
 * and Retry-After in each facade's own format; failed password checks slowed
 * down per user name, client id and IP; a bounded queue for scrypt; verified
 * credentials cached until the principals are reloaded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Directory } from '../../src/auth/directory.js';
import { TestClient } from '../genesys/cometd.js';
import { BACKEND, call, PRINCIPALS, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { V3 } from '../vonage/helpers.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const token = (server: TestServer, clientId: string, clientSecret: string) =>
  call(`${server.url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

/**
 * Calls `attempt` until it answers 429 with a Retry-After of at least
 * `seconds` (at most `max` times); returns every status seen. Waits double
 * with each failure, so a long one leaves the next requests a wide margin
 * however busy the machine is.
 */
async function untilThrottled(max: number, attempt: (i: number) => Promise<{ status: number; headers: Headers }>, seconds = 4) {
  const statuses: number[] = [];
  for (let i = 0; i < max; i++) {
    const { status, headers } = await attempt(i);
    statuses.push(status);
    if (status === 429 && Number(headers.get('retry-after')) >= seconds) break;
  }
  return statuses;
}

/** The progressive delays are real seconds, and scrypt runs below normal priority: generous on a busy machine. */
const SLOW = { timeout: 180_000 };

describe(`throttling (${BACKEND})`, () => {
  const started: TestServer[] = [];
  const start = async (options?: Parameters<typeof startTestServer>[0]) => {
    const server = await startTestServer(options);
    started.push(server);
    return server;
  };
  afterEach(async () => {
    for (const server of started.splice(0)) {
      await server.stop();
      await removeTestData(server);
    }
  });

  it('limits requests per principal and per IP, answering 429 with Retry-After in each facade format', SLOW, async () => {
    const s = await start({ limits: { rateLimitPerMinute: 3, ipRateLimitPerMinute: 3 } });
    const bearer = `Bearer ${(await token(s, 'acme-qa', 'secret-acme-qa')).body.access_token}`;
    const expectThrottled = (res: { status: number; headers: Headers }) => {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    };

    const native = () => call(`${s.url}/api/v1/interactions?limit=1`, { headers: { authorization: s.basic('super1') } });
    for (let i = 0; i < 3; i++) expect((await native()).status).toBe(200);
    const nativeRefused = await native();
    expectThrottled(nativeRefused);
    expect(nativeRefused.headers.get('content-type')).toContain('application/problem+json');
    expect(nativeRefused.body).toMatchObject({ status: 429, code: 'IXV_RATE_LIMITED', retryAfterSeconds: expect.any(Number) });

    const vonage = () =>
      call(`${s.url}/interaction-content/interactions/00000000-0000-4000-8000-000000000000`, {
        headers: { accept: V3, authorization: bearer },
      });
    for (let i = 0; i < 3; i++) expect((await vonage()).status).toBe(404);
    const vonageRefused = await vonage();
    expectThrottled(vonageRefused);
    expect(vonageRefused.body).toEqual({ message: expect.stringMatching(/too many requests/) });

    const genesys = () =>
      call(`${s.url}/api/v2/ucs/interactions`, {
        method: 'POST',
        headers: { authorization: s.basic('agent1') },
        json: { operationName: 'RetrieveInteractionHistory' },
      });
    for (let i = 0; i < 3; i++) expect((await genesys()).status).toBe(200);
    const genesysRefused = await genesys();
    expectThrottled(genesysRefused);
    expect(genesysRefused.body).toEqual({ statusCode: 3, statusMessage: expect.stringMatching(/too many requests/) });

    // Without credentials, per IP: the token endpoint (one request already made above).
    for (let i = 0; i < 2; i++) expect((await token(s, 'acme-qa', 'secret-acme-qa')).status).toBe(200);
    const tokenRefused = await token(s, 'acme-qa', 'secret-acme-qa');
    expectThrottled(tokenRefused);
    expect(tokenRefused.body).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('slows down wrong passwords per user name; a verified credential keeps working, a new one waits', SLOW, async () => {
    const s = await start();
    const known = s.basic('agent1');
    const history = (authorization: string) => call(`${s.url}/api/v1/interactions?limit=1`, { headers: { authorization } });
    expect((await history(known)).status).toBe(200);

    // 2 s: few enough failures (5 free + 3 per name) that the address's 20 free ones are not used up.
    const agent1 = await untilThrottled(40, () => history(basic('agent1', 'guess')), 2);
    expect(agent1.at(-1)).toBe(429);
    expect(agent1.filter((status) => status === 401).length).toBeGreaterThanOrEqual(5);
    const refused = await history(basic('agent1', 'guess'));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'IXV_LOGIN_THROTTLED' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The legitimate client verified before the flood is not locked out by it.
    expect((await history(known)).status).toBe(200);

    const agent2 = await untilThrottled(40, () => history(basic('agent2', 'guess')), 2);
    expect(agent2.at(-1)).toBe(429);
    expect((await history(s.basic('agent2'))).status).toBe(429);
    // Other users are unaffected.
    expect((await history(s.basic('super1'))).status).toBe(200);
  });

  it('slows down wrong passwords per IP across user names, on the APIs, the token endpoint and CometD', SLOW, async () => {
    const s = await start();
    const statuses = await untilThrottled(
      80,
      (i) => call(`${s.url}/api/v1/interactions?limit=1`, { headers: { authorization: basic(`nobody-${i}`, 'guess') } }),
      3,
    );
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.length).toBeGreaterThan(20);
    // While the address waits: right passwords of users never verified before.
    const client = new TestClient(s.url, { transport: 'long-polling', ext: s.basic('agent1') });
    const [api, tokenRefused, handshake] = await Promise.all([
      call(`${s.url}/api/v1/interactions?limit=1`, { headers: { authorization: s.basic('super1') } }),
      token(s, 'acme-qa', 'secret-acme-qa'),
      client.handshake(),
    ]);
    expect(api.status).toBe(429);
    expect(tokenRefused.status).toBe(429);
    expect(tokenRefused.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(handshake.successful).toBe(false);
    expect(handshake.error).toMatch(/too many failed logins/);
    // Bearer tokens cost no password check and are not throttled.
    expect((await call(`${s.url}/api/v1/interactions?limit=1`, { headers: { authorization: await tokenFrom(s) } })).status).toBe(
      200,
    );
  });

  it('throttles wrong client secrets on the token endpoint per client id', SLOW, async () => {
    const s = await start();
    const statuses = await untilThrottled(40, () => token(s, 'acme-reader', 'guess'), 3);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
    expect((await token(s, 'acme-reader', 'secret-acme-reader')).status).toBe(429);
    expect((await token(s, 'acme-qa', 'secret-acme-qa')).status).toBe(200);
  });

  it('refuses password checks with 429 when the password queue is full, and stays available', SLOW, async () => {
    const s = await start({ limits: { passwordWorkers: 1, passwordQueue: 1 } });
    const flood = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(`${s.url}/api/v1/interactions?limit=1`, { headers: { authorization: basic(`flood-${i}`, 'guess') } }),
      ),
    );
    const busy = flood.filter((res) => res.status === 429 && res.body.code === 'IXV_BUSY');
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]?.headers.get('retry-after')).toBe('1');
    expect(flood.every((res) => res.status === 401 || res.status === 429)).toBe(true);
  });

  it('forgets cached verifications when the principals are reloaded', SLOW, async () => {
    const s = await start();
    const old = s.basic('agent1');
    const history = (authorization: string) => call(`${s.url}/api/v1/interactions?limit=1`, { headers: { authorization } });
    expect((await history(old)).status).toBe(200);
    const changed = structuredClone(PRINCIPALS);
    const user = changed.tenants[0]?.users?.find((u) => u.userName === 'agent1');
    if (!user) throw new Error('agent1 missing from the fixture');
    user.password = 'a-new-password';
    s.runtime.auth.reload(await Directory.fromConfig(changed));
    expect((await history(old)).status).toBe(401);
    expect((await history(basic('agent1', 'a-new-password'))).status).toBe(200);
  });
});

async function tokenFrom(server: TestServer): Promise<string> {
  // A token signed before the flood: issued by the runtime directly, as `ixvault token` does.
  const issued = await server.runtime.auth.issueToken('acme-qa', 'secret-acme-qa');
  return `Bearer ${issued.access_token}`;
}
