/**
 * Redis failing under running cluster nodes (session 8, "deps"): the link
 * between one node and Redis is reset and refused (Redis restarting, a node's
 * network), then mended. The node stays up; what needs Redis is answered 503
 * in the API's format meanwhile and /ready says so; a result delivered for a
 * session of that node while it was cut off reaches the session once the link
 * is back (it was held in Redis, and nobody ever took it).
 */
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/redis-server.mjs';
import { AsyncResults, INTERACTIONS_CHANNEL, RESULT_KINDS } from '../../src/api/genesys/async-results.js';
import { RedisCoordination } from '../../src/cluster/redis.js';
import type { Principal } from '../../src/domain/principal.js';
import type { NotificationHub } from '../../src/notify/hub.js';
import { type Notifier, recipientOf } from '../../src/notify/notifier.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { Link } from './link.js';
import { buildThroughLinks, expectUnavailable, type LinkedServer } from './through-links.js';

type Redis = { url: string; port: number; stop(): Promise<void> };

const LIMITS = { holdMs: 60_000, maxHeld: 100, maxHeldBytesPerChannel: 1_000_000, maxHeldBytes: 10_000_000 };

/** A notifier straight over a hub, as BayeuxServer is without its sessions: a recipient's channel is its name. */
function hubNotifier(hub: NotificationHub): Notifier {
  return {
    deliver: (recipient, channel, data, force = false) => hub.deliver(`/private/${recipient}${channel}`, data, force),
    heldBytes: (recipient, channel) => hub.heldBytes(`/private/${recipient}${channel}`),
    deliverHere: () => {},
    listening: () => [],
  };
}

/** What a logger was told, by level. */
function recordingLog() {
  const said = { warn: [] as string[], error: [] as string[] };
  const log = {
    warn: (_fields: unknown, message: string) => said.warn.push(message),
    error: (_fields: unknown, message: string) => said.error.push(message),
  } as unknown as FastifyBaseLogger;
  return { log, said };
}

describe(`Redis down under a running node (${BACKEND})`, () => {
  let redis: Redis;
  beforeAll(async () => {
    const started = (await startRedis()) as Redis | undefined;
    if (!started) throw new Error('redis-server is not installed (apt-get install redis-server; .ci/run installs it)');
    redis = started;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** Two nodes' hubs on one Redis, the first through a link the test cuts; `close` ends all of it. */
  async function twoHubs() {
    const { link, url } = await Link.forUrl(redis.url, redis.port);
    const linked = await RedisCoordination.connect(url);
    const direct = await RedisCoordination.connect(redis.url);
    const hubs = { link, cutOff: linked.hub(LIMITS), other: direct.hub(LIMITS) };
    const close = async () => {
      await hubs.cutOff.close();
      await hubs.other.close();
      await linked.close();
      await direct.close();
      await link.close();
    };
    return { ...hubs, close };
  }

  it('hands a session the results delivered for it while its node was cut off from Redis, once the link is back', async () => {
    const { link, cutOff: listening, other: delivering, close } = await twoHubs();
    const received: unknown[] = [];
    listening.onMessage((channel, data) => received.push({ channel, ...data }));
    try {
      expect(await listening.listen('/private/u1')).toEqual([]);
      expect(await delivering.deliver('/private/u1', { n: 1 }, false)).toBe('published');
      await waitFor(() => received.length === 1, 'the first result');

      await link.down();
      // Nobody listens now: held in Redis, for the session that is still there.
      expect(await delivering.deliver('/private/u1', { n: 2 }, false)).toBe('held');
      await link.up();
      await waitFor(() => received.length === 2, 'the result held while the node was cut off');
      expect(received).toEqual([
        { channel: '/private/u1', n: 1 },
        { channel: '/private/u1', n: 2 },
      ]);
      // And the node listens again: the next one is published to it.
      expect(await delivering.deliver('/private/u1', { n: 3 }, false)).toBe('published');
      await waitFor(() => received.length === 3, 'a result after the link is back');
    } finally {
      await close();
    }
  });

  // The answer (with its referenceId) needs Redis, so Redis failed after it: the result was logged and lost, and
  // the client waited for that referenceId in vain.
  it('delivers a Genesys result whose delivery failed because Redis went down after the answer, once Redis is back', async () => {
    // The node computing the result is the one cut off; the session is on the other.
    const { link, cutOff: delivering, other: listening, close } = await twoHubs();
    const received: Record<string, unknown>[] = [];
    listening.onMessage((_channel, data) => received.push(data));
    const principal = { tenant: { id: 'acme' }, kind: 'user', id: 'agent1' } as unknown as Principal;
    const { log, said } = recordingLog();
    const results = new AsyncResults(hubNotifier(delivering), { next: async () => 7 }, log, undefined, LIMITS.holdMs);
    try {
      expect(await listening.listen(`/private/${recipientOf(principal)}${INTERACTIONS_CHANNEL}`)).toEqual([]);
      let finish = () => {};
      const computed = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const referenceId = await results.start(principal, RESULT_KINDS.history, async () => {
        await computed;
        return { interactions: [] };
      });
      await link.down();
      finish();
      await waitFor(() => said.warn.length + said.error.length > 0, 'the first delivery to fail');
      await link.up();
      await waitFor(() => received.length > 0, 'the result once Redis is back');
      expect(received[0]).toEqual({ referenceId, messageType: 'GetInteractionsHistoryMessage', interactions: [] });
      expect(said.error).toEqual([]);
    } finally {
      await results.drain();
      await close();
    }
  });

  // Work done under a lock is done: a release Redis did not take (the lease lapses by itself) failed the work's
  // caller, so a committed upload or deletion was answered as failed.
  it('answers work done under a cluster lock as done when Redis did not take the release', async () => {
    const { link, url } = await Link.forUrl(redis.url, redis.port);
    const coordination = await RedisCoordination.connect(url);
    try {
      const done = coordination.locks.run('blob/acme/one', async () => {
        await link.down();
        return 'committed';
      });
      await expect(done).resolves.toBe('committed');
    } finally {
      await coordination.close();
      await link.close();
    }
  });

  // The rate limiter counts in Redis and lets requests pass should Redis fail (skipOnError), but it asked on the
  // connection whose commands wait 10 s: with Redis silent, every request of every API waited those 10 s first.
  it('serves what does not need Redis at once while Redis does not answer, rate limits on', async () => {
    const server = await buildThroughLinks({ redisUrl: redis.url, limits: { rateLimitPerMinute: 10_000 } });
    try {
      const link = server.redis;
      if (!link) throw new Error('no link to Redis');
      const agent = server.basic('agent1');
      const search = () => call(`${server.url}/api/v1/interactions?limit=1`, { headers: { authorization: agent } });
      expect((await search()).status).toBe(200);
      await link.silent();
      // A command sent first on the node's command connection times out first there: a search that asked its limit
      // on that connection would be answered after it, whatever the machine's load.
      const answered: string[] = [];
      await Promise.all([
        server.runtime.coordination.check().then(
          () => answered.push('ping answered'),
          () => answered.push('ping timed out'),
        ),
        search().then((res) => answered.push(`search ${res.status}`)),
      ]);
      expect(answered).toEqual(['search 200', 'ping timed out']);
      await link.up();
      await waitFor(async () => (await call(`${server.url}/ready`)).status === 200, 'readiness once Redis answers');
      expect((await search()).status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 120_000);

  describe('a node whose Redis is down', () => {
    let server: LinkedServer;
    beforeAll(async () => {
      server = await buildThroughLinks({ redisUrl: redis.url });
    });
    afterAll(async () => {
      await server?.stop();
    });
    /** A Genesys history request of agent1: it needs Redis (its referenceId). */
    const history = () =>
      call(`${server.url}/api/v2/ucs/interactions`, {
        method: 'POST',
        headers: { authorization: server.basic('agent1') },
        json: { operationName: 'RetrieveInteractionHistory' },
      });

    it('answers 503 in the API format for what needs Redis, says so in /ready, and serves again once it is back', async () => {
      const link = server.redis;
      if (!link) throw new Error('no link to Redis');
      expect((await history()).status).toBe(200);

      await link.down();
      const refused = await history();
      expectUnavailable(refused, String(link.port));
      expect(refused.body).toEqual({ statusCode: expect.any(Number), statusMessage: expect.any(String) });
      const ready = await call(`${server.url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'unavailable', reason: 'Redis unreachable' });
      // What does not need Redis is served meanwhile.
      expect(
        (await call(`${server.url}/api/v1/interactions?limit=1`, { headers: { authorization: server.basic('agent1') } })).status,
      ).toBe(200);

      await link.up();
      await waitFor(async () => (await call(`${server.url}/ready`)).status === 200, 'readiness once Redis is back');
      const again = await history();
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ statusCode: 0, referenceId: expect.any(Number) });
    });

    // The batch's lease is Redis's; its release failing after the deletions committed answered the batch 503.
    it('answers a Vonage deletion batch whose deletions committed with its result when Redis went down meanwhile', async () => {
      const link = server.redis;
      if (!link) throw new Error('no link to Redis');
      const admin = server.basic('admin1');
      const guids: string[] = [];
      for (let n = 0; n < 2; n++) {
        const created = await call(`${server.url}/api/v1/interactions`, {
          method: 'POST',
          headers: { authorization: admin },
          json: callRecord(),
        });
        expect(created.status).toBe(201);
        guids.push(created.body.guid);
      }
      const token = await server.bearer('acme-qa');
      // Redis goes down once the batch runs: after its lease was taken, before its first deletion.
      const vault = server.runtime.vault;
      const deleteOne = vault.delete;
      vault.delete = async (...args) => {
        vault.delete = deleteOne;
        await link.down();
        return deleteOne.apply(vault, args);
      };
      try {
        const res = await call(`${server.url}/interaction-content/interactions/delete-batch`, {
          method: 'POST',
          headers: { authorization: token, accept: 'application/vnd.newvoicemedia.v3+json' },
          json: { guids },
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body).toEqual({ failures: [] });
      } finally {
        vault.delete = deleteOne;
        await link.up();
      }
      for (const guid of guids)
        expect((await call(`${server.url}/api/v1/interactions/${guid}`, { headers: { authorization: admin } })).status).toBe(404);
      await waitFor(async () => (await call(`${server.url}/ready`)).status === 200, 'readiness once Redis is back');
    });

    // Redis stopped (SIGSTOP) or partitioned away without its connections closing: before, a command waited
    // forever for its answer, and so did the request and /ready.
    it('answers 503 while Redis does not answer at all, and serves again once it does', async () => {
      const link = server.redis;
      if (!link) throw new Error('no link to Redis');
      expect((await history()).status).toBe(200);
      await link.silent();
      const [refused, ready] = await Promise.all([history(), call(`${server.url}/ready`)]);
      expectUnavailable(refused, String(link.port));
      expect(ready.status).toBe(503);
      await link.up();
      await waitFor(async () => (await call(`${server.url}/ready`)).status === 200, 'readiness once Redis answers');
      expect((await history()).status).toBe(200);
    }, 120_000);
  });
});
