/**
 * Issue 8, finding 8: a CometD session belongs to the principal that opened
 * it. A clientId alone, or another principal's credentials, gets nothing on
 * either transport; foreign origins and JSON-P are refused unless configured;
 * the JSON APIs accept only JSON and refuse cross-site state changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL, TestClient } from '../genesys/cometd.js';
import { accepted } from '../genesys/helpers.js';
import { callRecord } from '../helpers/fixtures.js';
import { nextFrame, openSocket, type Reply } from '../helpers/raw-bayeux.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';

const HISTORY = { operationName: 'RetrieveInteractionHistory' };
const CONSOLE_ORIGIN = 'http://console.example';
const EVIL_ORIGIN = 'http://evil.example';

/** One Bayeux long-polling request, raw: what an attacker who knows a clientId can send. */
async function bayeux(server: TestServer, messages: object[], headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/v2/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(messages),
  });
  const text = await res.text();
  let body: Reply[] | undefined;
  try {
    body = JSON.parse(text) as Reply[];
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

describe(`CometD sessions are bound to their principal (${BACKEND})`, () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({ limits: { corsOrigins: [CONSOLE_ORIGIN] } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect()));
    await server.stop();
    await removeTestData(server);
  });
  const victim = async (transport: 'websocket' | 'long-polling') => {
    const client = new TestClient(server.url, { transport, ext: server.basic('agent1') });
    clients.push(client);
    await client.open();
    return { client, clientId: client.cometd.getClientId() as string };
  };

  it("long-polling: a connect carrying only the victim's clientId is refused and receives none of its results", async () => {
    const { client, clientId } = await victim('long-polling');
    const stolen = bayeux(server, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling' }]);
    const referenceId = await accepted(server, '/interactions', server.basic('agent1'), HISTORY);
    await client.result(referenceId);
    const answer = await stolen;
    expect(answer.body?.[0]).toMatchObject({ channel: '/meta/connect', successful: false });
    expect(answer.body?.[0]?.error).toMatch(/^401:/);
    expect(answer.body?.filter((m) => m.channel === CHANNEL)).toEqual([]);
  });

  it("long-polling: another tenant's or user's credentials on the victim's clientId are refused", async () => {
    const { clientId } = await victim('long-polling');
    for (const intruder of [server.basic('gadmin'), server.basic('agent2'), await server.bearer('globex-qa')]) {
      const subscribe = await bayeux(server, [
        { channel: '/meta/subscribe', clientId, subscription: CHANNEL, ext: { authorization: intruder } },
      ]);
      expect(subscribe.body?.[0]).toMatchObject({ successful: false, error: expect.stringMatching(/^403::/) });
      const connect = await bayeux(server, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling' }], {
        authorization: intruder,
      });
      expect(connect.body?.[0]).toMatchObject({ successful: false, error: expect.stringMatching(/^403::/) });
    }
  });

  it("websocket: a socket naming the victim's clientId is refused and the victim keeps its results", async () => {
    const { client, clientId } = await victim('websocket');
    const { socket, frames } = await openSocket(server);
    const refused = nextFrame(socket);
    socket.send(JSON.stringify([{ channel: '/meta/connect', clientId, connectionType: 'websocket' }]));
    expect((await refused)[0]).toMatchObject({
      channel: '/meta/connect',
      successful: false,
      error: expect.stringMatching(/^401:/),
    });
    const intruderRefused = nextFrame(socket);
    socket.send(
      JSON.stringify([
        { channel: '/meta/subscribe', clientId, subscription: CHANNEL, ext: { authorization: server.basic('gadmin') } },
      ]),
    );
    expect((await intruderRefused)[0]).toMatchObject({ successful: false, error: expect.stringMatching(/^403::/) });
    const referenceId = await accepted(server, '/interactions', server.basic('agent1'), HISTORY);
    expect((await client.result(referenceId)).referenceId).toBe(referenceId);
    expect(frames.flat().filter((m) => m.channel === CHANNEL)).toEqual([]);
    socket.close();
  });

  it('refuses foreign origins: long-polling, preflight and websocket upgrade', async () => {
    const handshake = [
      {
        channel: '/meta/handshake',
        version: '1.0',
        supportedConnectionTypes: ['long-polling'],
        ext: { authorization: server.basic('agent1') },
      },
    ];
    const foreign = await bayeux(server, handshake, { origin: EVIL_ORIGIN });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.text).not.toContain('clientId');
    const preflight = await fetch(`${server.url}/api/v2/notifications`, {
      method: 'OPTIONS',
      headers: { origin: EVIL_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    await expect(openSocket(server, { origin: EVIL_ORIGIN })).rejects.toThrow();

    const configured = await bayeux(server, handshake, { origin: CONSOLE_ORIGIN });
    expect(configured.status).toBe(200);
    expect(configured.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(configured.body?.[0]).toMatchObject({ successful: true });
    const allowed = await fetch(`${server.url}/api/v2/notifications`, {
      method: 'OPTIONS',
      headers: { origin: CONSOLE_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
  });

  it('refuses JSON-P and EventSource by default, and non-JSON bodies', async () => {
    const handshake = [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['callback-polling'] }];
    const query = new URLSearchParams({ message: JSON.stringify(handshake), jsonp: 'cb' });
    const jsonp = await fetch(`${server.url}/api/v2/notifications?${query}`, {
      headers: { authorization: server.basic('agent1') },
    });
    expect(jsonp.status).toBe(400);
    expect(await jsonp.text()).not.toContain('cb(');
    const eventSource = await fetch(`${server.url}/api/v2/notifications/some-client-id`, {
      headers: { accept: 'text/event-stream', authorization: server.basic('agent1') },
    });
    expect(eventSource.status).toBe(400);
    const form = await fetch(`${server.url}/api/v2/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: server.basic('agent1') },
      body: new URLSearchParams({ message: JSON.stringify(handshake) }),
    });
    expect(form.status).toBe(415);
  });

  it('refuses bodies in a Content-Encoding, naming it, before faye reads them (no coding is decoded anywhere)', async () => {
    const handshake = [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }];
    for (const coding of ['gzip', 'deflate, identity', 'br']) {
      const res = await bayeux(server, handshake, { authorization: server.basic('agent1'), 'content-encoding': coding });
      expect(res.status, coding).toBe(415);
      expect(res.text).toContain('Content-Encoding');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const plain = await bayeux(server, handshake, { authorization: server.basic('agent1'), 'content-encoding': 'identity' });
    expect(plain.status).toBe(200);
    expect(plain.body?.[0]?.successful).toBe(true);
  });

  it('CORS on the APIs only for configured origins', async () => {
    const headers = (origin: string) => ({ origin, authorization: server.basic('super1') });
    const foreign = await fetch(`${server.url}/api/v1/interactions?limit=1`, { headers: headers(EVIL_ORIGIN) });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const configured = await fetch(`${server.url}/api/v1/interactions?limit=1`, { headers: headers(CONSOLE_ORIGIN) });
    expect(configured.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(configured.headers.get('access-control-allow-credentials')).toBe('true');
    const preflight = (origin: string) =>
      fetch(`${server.url}/api/v1/interactions`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight(CONSOLE_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect((await preflight(EVIL_ORIGIN)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('JSON APIs accept only application/json; the token endpoint still takes its form', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await call(`${server.url}/api/v1/interactions`, {
        method: 'POST',
        headers: { authorization: server.basic('admin1'), 'content-type': type },
        body: type.startsWith('multipart') ? '--x--' : 'id=1',
      });
      expect(res.status, type).toBe(400);
      expect(res.body).toMatchObject({ code: 'IXV_UNSUPPORTED_MEDIA_TYPE', field: 'Content-Type' });
      const genesys = await call(`${server.url}/api/v2/ucs/interactions`, {
        method: 'POST',
        headers: { authorization: server.basic('agent1'), 'content-type': type },
        body: type.startsWith('multipart') ? '--x--' : 'operationName=RetrieveInteractionHistory',
      });
      expect(genesys.status, type).toBe(400);
      expect(genesys.body).toMatchObject({ statusCode: 2, statusMessage: expect.stringContaining('Content-Type') });
    }
    expect(await server.bearer('acme-qa')).toMatch(/^Bearer /);
  });

  it('refuses cross-site state changes: a foreign Origin with any credentials, a cookie without an Origin', async () => {
    const login = await call(`${server.url}/api/v2/ucs/interactions`, { headers: { authorization: server.basic('admin1') } });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^ixv_session=/);
    const ingest = (headers: Record<string, string>) =>
      call(`${server.url}/api/v1/interactions`, { method: 'POST', headers, json: callRecord() });

    const forged = await ingest({ cookie, origin: EVIL_ORIGIN });
    expect(forged.status).toBe(403);
    expect(forged.body).toMatchObject({ code: 'IXV_ORIGIN_FORBIDDEN', field: 'Origin' });
    expect((await ingest({ authorization: server.basic('admin1'), origin: EVIL_ORIGIN })).status).toBe(403);
    expect((await ingest({ cookie })).status).toBe(403);
    expect((await ingest({ cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(403);

    // The console's own guard also wants X-Requested-With on the native API (src/api/console/csrf.ts).
    const sameOrigin = await ingest({ cookie, origin: server.url, 'x-requested-with': 'XMLHttpRequest' });
    expect(sameOrigin.status).toBe(201);
    expect((await ingest({ authorization: server.basic('admin1'), origin: CONSOLE_ORIGIN })).status).toBe(201);
    expect((await ingest({ authorization: server.basic('admin1') })).status).toBe(201);
  });
});

describe(`CometD JSON-P when configured (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { jsonp: true } });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('answers a callback-polling handshake with credentials in ext, and never on a cookie alone', async () => {
    const handshake = (ext?: object) =>
      new URLSearchParams({
        message: JSON.stringify([
          { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['callback-polling'], ext },
        ]),
        jsonp: 'cb',
      });
    const ok = await fetch(`${server.url}/api/v2/notifications?${handshake({ authorization: server.basic('agent1') })}`);
    const body = await ok.text();
    expect(body).toMatch(/^\/\*\*\/cb\(/);
    expect(body).toContain('"successful":true');
    const login = await call(`${server.url}/api/v2/ucs/interactions`, { headers: { authorization: server.basic('agent1') } });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const byCookie = await (await fetch(`${server.url}/api/v2/notifications?${handshake()}`, { headers: { cookie } })).text();
    expect(byCookie).toContain('"successful":false');
    expect(byCookie).not.toContain('clientId');
  });
});
