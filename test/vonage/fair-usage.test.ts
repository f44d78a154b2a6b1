/**
 * Vonage's fair usage (issue 9): a client over its limit gets 429 with
 * Retry-After and Vonage's `{message}`; the limit is set per client in the
 * principals file (`rateLimitPerMinute`, Vonage's samples assume about 160),
 * over the server's own limit for everyone else.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory, type PrincipalsConfig } from '../../src/auth/directory.js';
import { build } from '../helpers/app.js';
import { BACKEND, call, PRINCIPALS, removeTestData, type TestServer } from '../helpers/server.js';
import { ingest, V3 } from './helpers.js';

const OWN_LIMIT = 4;
const SERVER_LIMIT = 2;

/** PRINCIPALS plus clients with limits of their own. */
function withLimitedClients(): PrincipalsConfig {
  const [acme, ...others] = PRINCIPALS.tenants;
  if (!acme) throw new Error('PRINCIPALS has no tenant');
  const clients = [
    ...(acme.clients ?? []),
    {
      clientId: 'acme-fair',
      clientSecret: 'secret-acme-fair',
      scopes: ['interaction-content:read'],
      rateLimitPerMinute: OWN_LIMIT,
    },
    {
      clientId: 'acme-fair-deleter',
      clientSecret: 'secret-acme-fair-deleter',
      scopes: ['interaction-content:read', 'interaction-content:delete'],
      rateLimitPerMinute: OWN_LIMIT,
    },
    {
      clientId: 'acme-unlimited',
      clientSecret: 'secret-acme-unlimited',
      scopes: ['interaction-content:read'],
      rateLimitPerMinute: 0,
    },
  ];
  return { tenants: [{ ...acme, clients }, ...others] };
}

describe(`Vonage fair usage, per client (${BACKEND})`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await build({ principals: withLimitedClients(), limits: { rateLimitPerMinute: SERVER_LIMIT } });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const search = (authorization: string) =>
    call(`${server.url}/interaction-content/interactions?start=2025-01-01T00:00:00Z&end=2025-01-02T00:00:00Z`, {
      headers: { authorization, accept: V3 },
    });

  async function statuses(clientId: string, count: number) {
    const bearer = await server.bearer(clientId);
    const seen: Awaited<ReturnType<typeof search>>[] = [];
    for (let i = 0; i < count; i++) seen.push(await search(bearer));
    return seen;
  }

  it("answers a client over its own limit with 429, Retry-After and Vonage's {message}", async () => {
    const answers = await statuses('acme-fair', OWN_LIMIT + 1);
    expect(answers.map((a) => a.status)).toEqual([...Array(OWN_LIMIT).fill(200), 429]);
    const throttled = answers[OWN_LIMIT];
    const retryAfter = Number(throttled?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(throttled?.headers.get('content-type')).toMatch(/^application\/json/);
    expect(throttled?.body).toEqual({ message: `too many requests; retry after ${retryAfter} s` });
  });

  it("keeps the server's limit for clients without their own, and none for a limit of 0", async () => {
    expect((await statuses('acme-reader', SERVER_LIMIT + 1)).map((a) => a.status)).toEqual([
      ...Array(SERVER_LIMIT).fill(200),
      429,
    ]);
    expect((await statuses('acme-unlimited', OWN_LIMIT * 3)).every((a) => a.status === 200)).toBe(true);
  });

  it('a throttled request does nothing, so its retry is harmless: a refused batch deletes nothing', async () => {
    const { guid } = await ingest(server, server.basic('admin1'), { startDate: '2025-01-01T10:00:00Z' });
    const deleter = await server.bearer('acme-fair-deleter');
    const batch = (guids: string[]) =>
      call(`${server.url}/interaction-content/interactions/delete-batch`, {
        method: 'POST',
        headers: { authorization: deleter, accept: V3 },
        json: { guids },
      });
    for (let i = 0; i < OWN_LIMIT; i++) expect((await batch([randomUUID()])).body).toEqual({ failures: [] });
    const refused = await batch([guid]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const still = await call(`${server.url}/interaction-content/interactions/${guid}`, {
      headers: { authorization: await server.bearer('acme-unlimited'), accept: V3 },
    });
    expect(still.status).toBe(200);
    expect(still.body.content.map((c: { contentKey: string }) => c.contentKey)).toEqual(['callRecording']);
  });

  it('refuses a limit that is not a whole number', async () => {
    const config = withLimitedClients();
    const acme = config.tenants[0];
    if (acme?.clients?.[0]) acme.clients[0].rateLimitPerMinute = -1;
    await expect(Directory.fromConfig(config)).rejects.toThrow(/rateLimitPerMinute must be a whole number/);
  });
});
