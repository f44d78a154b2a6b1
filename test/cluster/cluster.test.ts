/**
 * A real cluster, started and stopped here: three `ixvault serve` processes on
 * one PostgreSQL database and one Redis, behind nginx (scripts/cluster.mjs,
 * the same as `npm run cluster`), all on loopback. The Vonage walk with pages
 * served by different nodes and Range downloads; content uploaded through
 * node A read byte for byte through node C; the Genesys flow with the
 * official CometD client over both transports, results computed on every
 * node; and a node killed with SIGKILL while clients write and listen: the
 * clients handshake again through nginx and carry on, no acknowledged write
 * and no held result is lost, and the node comes back.
 *
 * The blob store is S3: Ceph RADOS Gateway (test/helpers/s3.ts; the run's own
 * or, for this file alone, one started here), a fresh bucket under a key
 * prefix, the standard AWS variables in every node's environment. Where Ceph
 * is not installed (never in CI, where S3 is required) the nodes share the
 * filesystem store in their data directory instead, and the suite's name says so.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { adapt } from 'cometd-nodejs-client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IxvaultCluster, startIxvaultCluster } from '../../scripts/cluster.mjs';
import { startRedis } from '../../scripts/redis-server.mjs';
import { ChannelMap } from '../../src/notify/channels.js';
import type { Recipient } from '../../src/notify/notifier.js';
import { CHANNEL, TestClient, TRANSPORTS } from '../genesys/cometd.js';
import { callRecord } from '../helpers/fixtures.js';
import { S3_UNAVAILABLE, startTestS3, type TestS3 } from '../helpers/s3.js';
import { BACKEND, call, createTestDatabase, PRINCIPALS, send } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const HISTORY = { operationName: 'RetrieveInteractionHistory' };
const basic = (userName: string) => `Basic ${Buffer.from(`${userName}:pw-${userName}`).toString('base64')}`;
const V3 = 'application/vnd.newvoicemedia.v3+json';

/**
 * The cookie jar of the official client's long-polling transport (it keeps one
 * per process, by host name): where nginx's `ixvault_node` cookie says the
 * session lives.
 */
const jar: { globalCookies?: Record<string, Record<string, string>> } = {};
adapt(jar as Parameters<typeof adapt>[0]);
const stickyNode = () => jar.globalCookies?.['127.0.0.1']?.ixvault_node?.split('=')[1];

async function token(url: string, clientId: string): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: `secret-${clientId}`,
  });
  const res = await send(`${url}/oauth2/token`, { method: 'POST', body });
  if (res.status !== 200) throw new Error(`token: ${res.status}`);
  return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}

async function accepted(url: string, userName: string): Promise<number> {
  const res = await call(`${url}/api/v2/ucs/interactions`, {
    method: 'POST',
    headers: { authorization: basic(userName) },
    json: HISTORY,
  });
  expect(res.body, JSON.stringify(res.body)).toEqual({ statusCode: 0, referenceId: expect.any(Number) });
  return res.body.referenceId;
}

async function ingest(url: string, overrides: Record<string, unknown> = {}) {
  const res = await call(`${url}/api/v1/interactions`, {
    method: 'POST',
    headers: { authorization: basic('admin1') },
    json: callRecord({ guid: randomUUID(), endDate: undefined, ...overrides }),
  });
  if (res.status !== 201) throw new Error(`ingest: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; guid: string };
}

async function upload(url: string, id: string, key: string, bytes: Uint8Array) {
  return send(`${url}/api/v1/interactions/${id}/content/${key}`, {
    method: 'PUT',
    headers: { authorization: basic('admin1'), 'content-type': 'audio/wav' },
    body: bytes,
  });
}

async function download(url: string, path: string, headers: Record<string, string>) {
  const res = await send(`${url}${path}`, { headers });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The key prefix of the cluster's blobs in its bucket. */
const PREFIX = 'cluster/';

describe.skipIf(BACKEND !== 'postgres')(
  `a three-node cluster behind nginx on ${S3_UNAVAILABLE ? `a shared blob directory (S3 ${S3_UNAVAILABLE})` : 'Ceph RGW'} (PostgreSQL half only: a cluster shares PostgreSQL)`,
  () => {
    let cluster: IxvaultCluster;
    let redisStop: (() => Promise<void>) | undefined;
    let s3: TestS3 | undefined;
    let bucket: string | undefined;
    const clients: TestClient[] = [];
    const client = (options: ConstructorParameters<typeof TestClient>[1]) => {
      const created = new TestClient(cluster.url, options);
      clients.push(created);
      return created;
    };
    const node = (name: string) => {
      const found = cluster.nodes.find((n) => n.name === name);
      if (!found) throw new Error(`no node ${name}`);
      return found;
    };

    beforeAll(async () => {
      const redis = await startRedis();
      if (!redis) throw new Error('redis-server is not installed (apt-get install redis-server; .ci/run installs it)');
      redisStop = () => redis.stop();
      if (!S3_UNAVAILABLE) {
        s3 = await startTestS3();
        bucket = await s3.newBucket();
      }
      cluster = await startIxvaultCluster({
        nodes: 3,
        principals: PRINCIPALS,
        databaseUrl: await createTestDatabase(),
        redisUrl: redis.url,
        ...(s3 ? { blobStore: `s3://${bucket}/${PREFIX}` } : {}),
        extraArgs: ['--rate-limit', '0', '--ip-rate-limit', '0'],
        env: { IXVAULT_LOG_LEVEL: 'warn', IXVAULT_LOG_FORMAT: 'json', ...s3?.env },
      });
    }, 240_000);
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.disconnect().catch(() => {})));
      await cluster?.stop();
      await redisStop?.();
      if (s3 && bucket) await s3.dropBucket(bucket);
      await s3?.stop();
    }, 120_000);

    it('walks Vonage search pages served by different nodes, and serves Range downloads through nginx', async () => {
      const window = { start: '2025-06-02T00:00:00Z', end: '2025-06-02T23:59:59Z' };
      const recording = randomBytes(100_000);
      const guids: string[] = [];
      for (let i = 0; i < 12; i++) {
        // Every record through nginx, so the writes land on every node.
        const { id, guid } = await ingest(cluster.url, { startDate: `2025-06-02T${String(8 + i).padStart(2, '0')}:00:00.000Z` });
        expect((await upload(cluster.url, id, 'callRecording', recording)).status).toBe(201);
        guids.push(guid);
      }
      const reader = await token(cluster.url, 'acme-reader');
      const nodes = [...cluster.nodes.map((n) => n.url), cluster.url];
      const seen: string[] = [];
      let continuation: string | null = null;
      let page = 0;
      do {
        const params = new URLSearchParams({
          ...window,
          limit: '5',
          ...(continuation ? { continuationToken: continuation } : {}),
        });
        // Page n from node n: a continuation token from one node is good on every node.
        const res = await call(`${nodes[page % nodes.length]}/interaction-content/interactions?${params}`, {
          headers: { authorization: reader, accept: V3 },
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        seen.push(...res.body.items.map((item: { guid: string }) => item.guid));
        continuation = res.body.meta.nextContinuationToken;
        page++;
      } while (continuation);
      expect(page).toBe(3);
      expect(seen).toEqual(guids);

      const path = `/interaction-content/interactions/${guids[3]}/content/callRecording`;
      const range = await download(cluster.url, path, { authorization: reader, accept: V3, range: 'bytes=1000-1999' });
      expect(range.status).toBe(206);
      expect(range.headers.get('content-range')).toBe(`bytes 1000-1999/${recording.length}`);
      expect(Buffer.from(range.bytes).equals(recording.subarray(1000, 2000))).toBe(true);
      const tail = await download(cluster.url, path, { authorization: reader, accept: V3, range: 'bytes=-10' });
      expect(Buffer.from(tail.bytes).equals(recording.subarray(recording.length - 10))).toBe(true);
    }, 120_000);

    it('reads content uploaded through node A byte for byte through node C', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const { id, guid } = await ingest(node('a').url);
      expect((await upload(node('a').url, id, 'callRecording', bytes)).status).toBe(201);
      const reader = await token(node('c').url, 'acme-reader');
      const viaC = await download(node('c').url, `/interaction-content/interactions/${guid}/content/callRecording`, {
        authorization: reader,
        accept: V3,
      });
      expect(viaC.status).toBe(200);
      expect(viaC.bytes.length).toBe(bytes.length);
      expect(sha(viaC.bytes)).toBe(sha(bytes));
      const native = await download(node('b').url, `/api/v1/interactions/${id}/content/callRecording`, {
        authorization: basic('admin1'),
      });
      expect(sha(native.bytes)).toBe(sha(bytes));

      // The bytes are where the nodes were told to keep them.
      if (s3) {
        const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: PREFIX }));
        expect((listed.Contents ?? []).map((o) => o.Key)).toContainEqual(
          expect.stringMatching(new RegExp(`^${PREFIX}[^.].*/${sha(bytes)}$`)),
        );
        // …and not in the directory the nodes share.
        expect(await readdir(join(cluster.dataDir, 'blobs')).catch(() => [])).toEqual([]);
      }
    }, 120_000);

    for (const transport of TRANSPORTS) {
      it(`delivers Genesys results computed on every node to a session opened through nginx (${transport})`, async () => {
        const session = await client({ transport, ext: basic('agent1') }).open();
        // One request straight to each node: whichever node holds the session, two of the three are computed elsewhere.
        const ids: number[] = [];
        for (const n of cluster.nodes) ids.push(await accepted(n.url, 'agent1'));
        ids.push(await accepted(cluster.url, 'agent1'));
        for (const id of ids)
          expect(await session.result(id)).toMatchObject({ referenceId: id, messageType: 'GetInteractionsHistoryMessage' });
        // referenceIds increase per user across nodes.
        expect(ids.every((id, i) => i === 0 || id === (ids[i - 1] as number) + 1)).toBe(true);
        await session.disconnect();
      }, 120_000);
    }

    it('survives a node killed with SIGKILL: clients handshake again through nginx, no acknowledged write or held result is lost', async () => {
      // A long-polling session: nginx's cookie names its node, which is the one to die.
      const polling = await client({ transport: 'long-polling', ext: basic('agent1') }).open();
      await waitFor(() => stickyNode(), 'the ixvault_node cookie');
      const victim = node(stickyNode() as string);
      // Websocket sessions, opened one after the other: nginx puts them on its nodes in turn.
      const sockets = [];
      for (let i = 0; i < 3; i++) sockets.push(await client({ transport: 'websocket', ext: basic('agent1') }).open());

      // Results for a user without a session, computed and held by the node that is about to die.
      const redis = new Redis(cluster.redisUrl);
      const heldKey = `ixvault:held:${new ChannelMap([CHANNEL]).privateOf('acme/user/agent-2' as Recipient, CHANNEL)}`;
      const held = [await accepted(victim.url, 'agent2'), await accepted(victim.url, 'agent2')];
      await waitFor(async () => (await redis.llen(heldKey)) === held.length, 'the results to be held in Redis');
      await redis.quit();

      // A writer through nginx, recording what the cluster acknowledged.
      const acknowledged: { id: string; bytes: Uint8Array }[] = [];
      let writing = true;
      const writer = (async () => {
        while (writing) {
          try {
            const { id } = await ingest(cluster.url);
            const bytes = randomBytes(20_000);
            if ((await upload(cluster.url, id, 'callRecording', bytes)).status === 201) acknowledged.push({ id, bytes });
          } catch {
            // A write that failed was not acknowledged: the writer goes on, as a client would.
          }
        }
      })();
      await waitFor(() => acknowledged.length >= 10, 'writes before the kill', { timeoutMs: 60_000 });
      await victim.kill('SIGKILL');
      const atKill = acknowledged.length;
      await waitFor(() => acknowledged.length >= atKill + 10, 'writes after the kill', { timeoutMs: 60_000 });
      writing = false;
      await writer;

      // Every session carries on: the long-polling one handshakes again on another node.
      await polling.until(() => polling.handshakes.filter((h) => h.successful).length >= 2, 'a new handshake', 60_000);
      expect(stickyNode()).not.toBe(victim.name);
      const after = await accepted(cluster.url, 'agent1');
      await polling.result(after, 60_000);
      for (const socket of sockets) await socket.result(after, 60_000);
      expect(sockets.some((s) => s.handshakes.filter((h) => h.successful).length >= 2)).toBe(true);

      // The held results outlived their node.
      const late = await client({ transport: 'websocket', ext: basic('agent2') }).open();
      for (const id of held) expect(await late.result(id, 60_000)).toMatchObject({ referenceId: id });

      for (const { id, bytes } of acknowledged) {
        const res = await download(cluster.url, `/api/v1/interactions/${id}/content/callRecording`, {
          authorization: basic('admin1'),
        });
        expect(res.status, id).toBe(200);
        expect(sha(res.bytes), id).toBe(sha(bytes));
      }

      // The node comes back on its port and serves again.
      await victim.start();
      const res = await call(`${victim.url}/api/v1/interactions/${acknowledged[0]?.id}`, {
        headers: { authorization: basic('admin1') },
      });
      expect(res.status).toBe(200);
    }, 240_000);
  },
);
