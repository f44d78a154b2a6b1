/**
 * Issue 8, finding 7: every request body is bounded in size and in time, the
 * CometD endpoint included, and so are the headers; Genesys work and held
 * results have caps answered with 429 in the facade's format. The server is
 * started with small limits so that each case is quick; every wait is for an
 * event (a response, a closed socket), never a fixed sleep.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncResults, RESULT_KINDS } from '../../src/api/genesys/async-results.js';
import { LocalCoordination } from '../../src/cluster/local.js';
import { isVaultError, type VaultError } from '../../src/domain/errors.js';
import type { Principal } from '../../src/domain/principal.js';
import { BayeuxServer } from '../../src/notify/bayeux-server.js';
import { recipientOf } from '../../src/notify/index.js';
import { TestClient } from '../genesys/cometd.js';
import { callRecord } from '../helpers/fixtures.js';
import { nextFrame, openSocket } from '../helpers/raw-bayeux.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';

const BAYEUX_LIMIT = 1024;
const JSON_LIMIT = 64 * 1024;
const LIMITS = {
  bayeuxBodyLimitBytes: BAYEUX_LIMIT,
  bodyLimitBytes: JSON_LIMIT,
  bodyTimeoutMs: 1000,
  bodyMinBytesPerSecond: 1024,
  headersTimeoutMs: 1000,
};

/** Sends `head` (and maybe a little body) on a raw socket, then nothing: resolves with all the server said once it closes. */
function stall(server: TestServer, head: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname, () => socket.write(head));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** A POST whose body is sent in chunks without a length, to the end or until the server answers. */
function chunkedPost(server: TestServer, path: string, chunks: number, chunkBytes: number): Promise<number | 'reset'> {
  return new Promise((resolve) => {
    const req = request(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve('reset'));
    for (let i = 0; i < chunks; i++) req.write('x'.repeat(chunkBytes));
  });
}

describe(`bounded bodies and headers (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: LIMITS });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });
  const alive = async () => expect((await fetch(`${server.url}/health`)).status).toBe(200);

  it('refuses a CometD body over its limit before faye reads it, by length or as it streams', async () => {
    const declared = await fetch(`${server.url}/api/v2/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ channel: '/meta/handshake', padding: 'x'.repeat(BAYEUX_LIMIT) }]),
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: expect.stringContaining(`${BAYEUX_LIMIT} bytes`) });
    expect(await chunkedPost(server, '/api/v2/notifications', 8, 512)).toSatisfy((s) => s === 413 || s === 'reset');
    await alive();
  });

  it('refuses a JSON body over its limit in each facade format', async () => {
    const big = { ...callRecord(), padding: 'x'.repeat(JSON_LIMIT) };
    const native = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: server.basic('admin1') },
      json: big,
    });
    expect(native.status).toBe(413);
    expect(native.body).toMatchObject({ code: 'IXV_BODY_TOO_LARGE', field: 'body' });
    const genesys = await call(`${server.url}/api/v2/ucs/interactions`, {
      method: 'POST',
      headers: { authorization: server.basic('agent1') },
      json: { operationName: 'RetrieveInteractionHistory', padding: 'x'.repeat(JSON_LIMIT) },
    });
    expect(genesys.status).toBe(413);
    expect(genesys.body).toMatchObject({ statusCode: 2, statusMessage: expect.stringContaining('body') });
    await alive();
  });

  it('closes a body that trickles: JSON route, streamed upload and CometD endpoint', async () => {
    const auth = server.basic('admin1');
    const id = (
      await call(`${server.url}/api/v1/interactions`, { method: 'POST', headers: { authorization: auth }, json: callRecord() })
    ).body.id as string;
    const heads = [
      `POST /api/v1/interactions HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"id"`,
      `PUT /api/v1/interactions/${id}/content/callRecording HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: audio/wav\r\nContent-Length: 500000\r\n\r\nRIFF`,
      'POST /api/v2/notifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n[{',
    ];
    const answers = await Promise.all(heads.map((head) => stall(server, head)));
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    await alive();
  });

  it('closes a connection whose headers never end', async () => {
    const answer = await stall(server, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    await alive();
  });

  it('closes a websocket that sends a frame over the CometD limit', async () => {
    const { socket, closed } = await openSocket(server);
    socket.send(JSON.stringify([{ channel: '/meta/handshake', padding: 'x'.repeat(BAYEUX_LIMIT * 2) }]));
    expect(await closed).toBe(1009);
    await alive();
  });
});

describe(`websockets must prove a principal in time (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    // No body grace at all: a socket still gets the least time to prove a principal (5 s), enough for a
    // handshake on a busy machine; without that floor every socket would be closed at once.
    server = await startTestServer({ limits: { bodyTimeoutMs: 0 } });
    // The password checked once over HTTP: the socket's handshake below then costs no scrypt.
    expect(
      (await call(`${server.url}/api/v1/interactions?limit=1`, { headers: { authorization: server.basic('agent2') } })).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('closes a websocket that proves no principal in time; one that handshook stays open', async () => {
    const [silent, speaking] = await Promise.all([openSocket(server), openSocket(server)]);
    const handshook = nextFrame(speaking.socket);
    speaking.socket.send(
      JSON.stringify([
        {
          channel: '/meta/handshake',
          version: '1.0',
          supportedConnectionTypes: ['websocket'],
          ext: { authorization: server.basic('agent2') },
        },
      ]),
    );
    const clientId = (await handshook)[0]?.clientId;
    expect(clientId).toBeTruthy();
    await silent.closed;
    const connected = nextFrame(speaking.socket);
    speaking.socket.send(
      JSON.stringify([{ channel: '/meta/connect', clientId, connectionType: 'websocket', advice: { timeout: 0 } }]),
    );
    expect((await connected)[0]).toMatchObject({ successful: true });
    speaking.socket.close();
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe(`caps on Genesys work and held results (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    // Any held result passes the per-principal cap: the next request is refused until a session takes them.
    server = await startTestServer({ limits: { heldBytesPerPrincipal: 1 } });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('refuses new requests with 429 while results wait for a session, and delivers a notice for what was dropped', async () => {
    const post = () =>
      call(`${server.url}/api/v2/ucs/interactions`, {
        method: 'POST',
        headers: { authorization: server.basic('agent2') },
        json: { operationName: 'RetrieveInteractionHistory' },
      });
    const first = await post();
    expect(first.status).toBe(200);
    let refused = await post();
    const deadline = Date.now() + 20_000;
    while (refused.status === 200 && Date.now() < deadline) refused = await post();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body).toEqual({ statusCode: 3, statusMessage: expect.stringContaining('/v2/ucs/interactions') });

    const client = new TestClient(server.url, { transport: 'websocket', ext: server.basic('agent2') });
    await client.open();
    const notice = await client.next((d) => d.referenceId === first.body.referenceId);
    expect(notice.errorMessage).toMatch(/Result dropped/);
    const again = await post();
    expect(again.status).toBe(200);
    await client.disconnect();
  });
});

describe('caps on Genesys work in progress', () => {
  const log = Fastify({ logger: false }).log;
  const tenant = { id: 'acme', features: new Set<string>(), timeZone: 'UTC' };
  const user = (id: string): Principal => ({ kind: 'user', tenant, id, userName: id, role: 'agent' });
  const deferred = () => {
    let release: (value: Record<string, unknown>) => void = () => {};
    const promise = new Promise<Record<string, unknown>>((resolve) => {
      release = resolve;
    });
    return { promise, release };
  };
  const refusal = async (start: () => Promise<unknown>): Promise<VaultError> => {
    try {
      await start();
    } catch (err) {
      if (isVaultError(err)) return err;
      throw err;
    }
    throw new Error('expected a refusal');
  };

  it('refuses past the per-principal and the global number of requests computing, and admits again when they finish', async () => {
    const notifier = new BayeuxServer({
      auth: undefined as never,
      log,
      mount: '/bayeux',
      channels: ['/v2/ucs/interactions'],
      holdMs: 60_000,
      timeoutSeconds: 30,
      socketProofMs: 30_000,
      clientAddress: (request) => request.socket.remoteAddress,
      heldBytesPerRecipient: 1024 * 1024,
      heldBytes: 1024 * 1024,
      gate: { bodyLimitBytes: 1024, watchBody: () => {}, jsonp: false, isAllowedOrigin: () => false, isCorsOrigin: () => false },
    });
    const results = new AsyncResults(notifier, new LocalCoordination().sequences, log, {
      pendingSearchesPerPrincipal: 2,
      pendingSearches: 3,
      heldBytesPerPrincipal: 1024,
    });
    const work = [deferred(), deferred(), deferred()];
    const [a, b, c] = [user('a'), user('b'), user('c')];
    await results.start(a, RESULT_KINDS.history, () => (work[0] as ReturnType<typeof deferred>).promise);
    await results.start(a, RESULT_KINDS.history, () => (work[1] as ReturnType<typeof deferred>).promise);
    const mine = await refusal(() => results.start(a, RESULT_KINDS.history, async () => ({})));
    expect(mine).toMatchObject({ kind: 'too_many_requests', code: 'IXV_BUSY', extra: { retryAfterSeconds: 1 } });
    await results.start(b, RESULT_KINDS.history, () => (work[2] as ReturnType<typeof deferred>).promise);
    const global = await refusal(() => results.start(c, RESULT_KINDS.history, async () => ({})));
    expect(global.message).toMatch(/too many requests/);

    for (const w of work) w.release({ interactions: [] });
    await results.drain();
    expect(await notifier.heldBytes(recipientOf(a), '/v2/ucs/interactions')).toBeGreaterThan(0);
    expect(await results.start(c, RESULT_KINDS.history, async () => ({}))).toBe(1);
    await results.drain();
    await notifier.close();
  });
});
