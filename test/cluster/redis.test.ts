/**
 * What the nodes of a cluster share through Redis (src/cluster), with two
 * ixvault servers in this process on one database and one real redis-server:
 * a Genesys result computed on one node reaches the user's session on the
 * other (official CometD client, both transports), held results outlive the
 * node that created them, referenceIds, rate limits, the Vonage delete-batch
 * guard and the native live feed span the nodes; and the hub's one promise,
 * "received or held, never lost", holds under races. The three-node cluster
 * behind nginx, with processes killed, is cluster.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/redis-server.mjs';
import { RedisCoordination } from '../../src/cluster/redis.js';
import { LIVE_CHANNEL } from '../../src/notify/live.js';
import { TestClient, TRANSPORTS } from '../genesys/cometd.js';
import { accepted } from '../genesys/helpers.js';
import { runCli } from '../helpers/cli.js';
import { callRecord } from '../helpers/fixtures.js';
import { nextFrame, openSocket } from '../helpers/raw-bayeux.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const HISTORY = { operationName: 'RetrieveInteractionHistory' };

type Redis = { url: string; stop(): Promise<void> };

async function redisServer(): Promise<Redis> {
  const redis = (await startRedis()) as Redis | undefined;
  if (!redis) throw new Error('redis-server is not installed (apt-get install redis-server; .ci/run installs it)');
  return redis;
}

/** Two servers on one store and one Redis: two nodes of a cluster. */
async function twoNodes(
  redisUrl: string,
  options: Parameters<typeof startTestServer>[0] = {},
): Promise<[TestServer, TestServer]> {
  const a = await startTestServer({ ...options, redisUrl });
  const reuse = a.databaseUrl ? { dataDir: a.dataDir, databaseUrl: a.databaseUrl } : { dataDir: a.dataDir };
  const b = await startTestServer({ ...options, redisUrl, reuse });
  return [a, b];
}

/** The results a node holds from now on (its `held` events), to wait for instead of sleeping. */
function watchHeld(server: TestServer) {
  const seen = new Set<unknown>();
  server.app.notifications.events.on('held', (data: Record<string, unknown>) => seen.add(data.referenceId));
  return (...ids: number[]) => waitFor(() => ids.every((id) => seen.has(id)), `results ${ids.join(', ')} held`);
}

describe(`cluster state in Redis (${BACKEND})`, () => {
  let redis: Redis;
  let a: TestServer;
  let b: TestServer;
  const clients: TestClient[] = [];
  const client = (server: TestServer, options: ConstructorParameters<typeof TestClient>[1]) => {
    const created = new TestClient(server.url, options);
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    redis = await redisServer();
    [a, b] = await twoNodes(redis.url);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect()));
    await b?.stop();
    await a?.stop();
    if (a) await removeTestData(a);
    await redis?.stop();
  });

  for (const transport of TRANSPORTS) {
    it(`delivers a result computed on one node to the session on the other (${transport})`, async () => {
      const session = await client(a, { transport, ext: a.basic('agent1') }).open();
      const viaB = await accepted(b, '/interactions', b.basic('agent1'), HISTORY);
      expect(await session.result(viaB)).toMatchObject({ referenceId: viaB, messageType: 'GetInteractionsHistoryMessage' });
      const viaA = await accepted(a, '/interactions', a.basic('agent1'), HISTORY);
      expect(await session.result(viaA)).toMatchObject({ referenceId: viaA });
      // Both nodes' sessions of the same user hear a result, wherever it was computed.
      const other = await client(b, { transport, ext: b.basic('agent1') }).open();
      const both = await accepted(a, '/interactions', a.basic('agent1'), HISTORY);
      await Promise.all([session.result(both), other.result(both)]);
    });
  }

  it('numbers referenceIds per user across nodes', async () => {
    const first = await accepted(a, '/interactions', a.basic('super1'), HISTORY);
    const second = await accepted(b, '/interactions', b.basic('super1'), HISTORY);
    const third = await accepted(a, '/interactions', a.basic('super1'), HISTORY);
    expect([second - first, third - second]).toEqual([1, 1]);
  });

  it('never shows one user the result of another across nodes', async () => {
    const agent1 = await client(a, { transport: 'websocket', ext: a.basic('agent1') }).open();
    const agent2 = await client(a, { transport: 'websocket', ext: a.basic('agent2') }).open();
    const forAgent2 = await accepted(b, '/interactions', b.basic('agent2'), HISTORY);
    await agent2.result(forAgent2);
    // Delivered in order: agent1's later result arriving proves agent2's never reached agent1.
    const marker = await accepted(b, '/interactions', b.basic('agent1'), HISTORY);
    await agent1.result(marker);
    expect(agent1.received.map((d) => d.referenceId)).not.toContain(forAgent2);
    await Promise.all([agent1.disconnect(), agent2.disconnect()]);
  });

  it("a sign-out on one node closes the websockets the user's cookie opened on the other, at once", async () => {
    const signedIn = await call(`${a.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'test', origin: a.url },
      json: { userName: 'agent2', password: 'pw-agent2' },
    });
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const onB = await openSocket(b, { cookie });
    const handshook = nextFrame(onB.socket);
    onB.socket.send(JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }]));
    const clientId = (await handshook)[0]?.clientId;
    const connected = nextFrame(onB.socket);
    onB.socket.send(
      JSON.stringify([{ channel: '/meta/connect', clientId, connectionType: 'websocket', advice: { timeout: 0 } }]),
    );
    expect((await connected)[0]).toMatchObject({ successful: true });
    const out = await call(`${a.url}/api/v1/session`, {
      method: 'DELETE',
      headers: { cookie, origin: a.url, 'x-requested-with': 'x' },
    });
    expect(out.status).toBe(204);
    // Closed by the event, not by the lapse of its proof: nothing is sent on the socket meanwhile.
    await onB.closed;
  });

  it('keeps a result held in Redis after the node that computed it stops, for a session on another node', async () => {
    const c = await startTestServer({ redisUrl: redis.url, reuse: { dataDir: a.dataDir, databaseUrl: a.databaseUrl } });
    const held = watchHeld(c);
    const ids = [
      await accepted(c, '/interactions', c.basic('admin1'), HISTORY),
      await accepted(c, '/interactions', c.basic('admin1'), HISTORY),
    ];
    await held(...ids);
    await c.stop();
    const late = await client(a, { transport: 'long-polling', ext: a.basic('admin1') }).open();
    for (const id of ids) expect(await late.result(id)).toMatchObject({ referenceId: id });
  });

  it('tells a live-feed subscriber on each node, once, of an interaction stored through either', async () => {
    const watch = async (server: TestServer) => {
      const watcher = client(server, { transport: 'websocket', ext: server.basic('super1'), subscribe: false });
      await watcher.open();
      watcher.subscribe(LIVE_CHANNEL);
      await watcher.until(
        () => watcher.subscribes.some((s) => s.successful && s.subscription === (LIVE_CHANNEL as unknown)),
        'live subscription',
      );
      return watcher;
    };
    const [onA, onB] = [await watch(a), await watch(b)];
    const store = async (server: TestServer) => {
      const res = await call(`${server.url}/api/v1/interactions`, {
        method: 'POST',
        headers: { authorization: server.basic('admin1') },
        json: callRecord(),
      });
      expect(res.status).toBe(201);
      return res.body as { id: string; guid: string };
    };
    const first = await store(b);
    const second = await store(a);
    for (const watcher of [onA, onB]) {
      expect(await watcher.next((d) => d.id === first.id)).toMatchObject({ guid: first.guid });
      // In order: once the second has arrived, a duplicate of the first would have arrived before it.
      await watcher.next((d) => d.id === second.id);
      expect(watcher.received.filter((d) => d.id === first.id)).toHaveLength(1);
    }
  });

  it('runs one Vonage deletion batch per client at a time across nodes', async () => {
    const token = await b.bearer('acme-qa');
    const batch = () =>
      call(`${b.url}/interaction-content/interactions/delete-batch`, {
        method: 'POST',
        headers: { authorization: token, accept: 'application/vnd.newvoicemedia.v3+json' },
        json: { guids: ['00000000-0000-4000-8000-000000000000'] },
      });
    // The client's batch "running" on node A: its lease, taken as the route takes it.
    const lease = await a.runtime.coordination.leases.tryAcquire('delete-batch/acme/client/acme-qa', 10_000);
    expect(lease).toBeDefined();
    const refused = await batch();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    await lease?.release();
    expect((await batch()).status).toBe(200);
  });
});

describe(`rate limits counted across nodes (${BACKEND})`, () => {
  let redis: Redis;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    redis = await redisServer();
    [a, b] = await twoNodes(redis.url, { limits: { rateLimitPerMinute: 5 } });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    if (a) await removeTestData(a);
    await redis?.stop();
  });

  it('lets a principal make its limit of requests in all, whichever nodes they reach', async () => {
    const get = (server: TestServer) =>
      call(`${server.url}/api/v1/interactions?limit=1`, { headers: { authorization: server.basic('agent1') } });
    const statuses = [];
    for (const server of [a, b, a, b, a]) statuses.push((await get(server)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const sixth = await get(b);
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another principal has its own count.
    expect((await call(`${a.url}/api/v1/interactions?limit=1`, { headers: { authorization: a.basic('agent2') } })).status).toBe(
      200,
    );
  });

  it('is ready while Redis answers, and not once it is gone', async () => {
    expect((await call(`${a.url}/ready`)).body).toEqual({ status: 'ready', database: BACKEND, shared: 'redis' });
    await redis.stop();
    const gone = await call(`${a.url}/ready`);
    expect(gone.status).toBe(503);
    expect(gone.body.reason).toBe('Redis unreachable');
  });
});

describe('the Redis hub', () => {
  let redis: Redis;
  const coordinations: RedisCoordination[] = [];
  const connect = async () => {
    const c = await RedisCoordination.connect(redis.url);
    coordinations.push(c);
    return c;
  };
  const limits = { holdMs: 60_000, maxHeld: 3, maxHeldBytesPerChannel: 64, maxHeldBytes: 1 << 20 };
  beforeAll(async () => {
    redis = await redisServer();
  });
  afterAll(async () => {
    for (const c of coordinations) await c.close();
    await redis?.stop();
  });

  it('holds within the caps, tells what a message would pass, and releases oldest first, once', async () => {
    const hub = (await connect()).hub(limits);
    expect(await hub.deliver('/p/caps', { n: 1 }, false)).toBe('held');
    expect(await hub.heldBytes('/p/caps')).toBe(Buffer.byteLength('{"n":1}'));
    expect(await hub.deliver('/p/caps', { pad: 'x'.repeat(64) }, false)).toBe('refused');
    expect(await hub.deliver('/p/caps', { notice: 'x'.repeat(64) }, true)).toBe('held');
    for (let n = 2; n <= 4; n++) await hub.deliver('/p/caps', { n }, true);
    // At most maxHeld per channel: the oldest went first.
    expect(await hub.listen('/p/caps')).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
    expect(await hub.heldBytes('/p/caps')).toBe(0);
    await hub.unlisten('/p/caps');
    expect(await hub.listen('/p/caps')).toEqual([]);
    await hub.unlisten('/p/caps');
  });

  it('drops held messages once they expire', async () => {
    const hub = (await connect()).hub({ ...limits, holdMs: 1 });
    await hub.deliver('/p/expiry', { n: 1 }, false);
    await waitFor(async () => {
      await hub.sweep();
      return (await hub.heldBytes('/p/expiry')) === 0;
    }, 'the held message to expire');
    expect(await hub.listen('/p/expiry')).toEqual([]);
  });

  it('never loses a message delivered while another node starts listening: it is received or found held', async () => {
    const sender = (await connect()).hub({ ...limits, maxHeld: 100, maxHeldBytesPerChannel: 1 << 20 });
    const listener = (await connect()).hub({ ...limits, maxHeld: 100, maxHeldBytesPerChannel: 1 << 20 });
    const received = new Map<string, number[]>();
    listener.onMessage((channel, data) => received.set(channel, [...(received.get(channel) ?? []), data.n as number]));
    const rounds = 100;
    const outcomes = await Promise.all(
      Array.from({ length: rounds }, async (_, i) => {
        const channel = `/p/race/${i}`;
        const [, held] = await Promise.all([sender.deliver(channel, { n: i }, false), listener.listen(channel)]);
        return { channel, i, held: held.map((d) => d.n as number) };
      }),
    );
    for (const { channel, i, held } of outcomes) {
      await waitFor(() => held.length + (received.get(channel)?.length ?? 0) > 0, `message ${i}`);
      expect([...held, ...(received.get(channel) ?? [])]).toEqual([i]);
    }
  });
});

describe('a server on PostgreSQL without Redis', () => {
  it('refuses to start unless told it is the only node, saying what to do', async () => {
    const data = await mkdtemp(join(tmpdir(), 'ixvault-topology-'));
    try {
      const refused = await runCli(['serve', '--port', '0', '--data', data, '--database-url', 'postgres://127.0.0.1:1/none'], {
        IXVAULT_SINGLE_NODE: '',
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('--redis-url');
      expect(refused.stderr).toContain('--single-node');
      const redisWithoutPostgres = await runCli(['serve', '--port', '0', '--data', data, '--redis-url', 'redis://127.0.0.1:1']);
      expect(redisWithoutPostgres.code).not.toBe(0);
      expect(redisWithoutPostgres.stderr).toContain('--database-url');
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});
