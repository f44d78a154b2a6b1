/**
 * Any JSON a client sends the CometD endpoint, without credentials, gets an
 * answer and leaves the server up (session 6). faye hands every element of a
 * request to the extensions whatever it is; before, `[{}]`, `[1]`, `{}`,
 * `[{"channel":5}]` or a subscription that was an object made an extension
 * throw inside a promise, and the rejection nobody handled ended the process:
 * one unauthenticated request of five bytes stopped the server.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextFrame, type OpenSocket, openSocket } from '../helpers/raw-bayeux.js';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';

const CHANNELS = [
  '/meta/handshake',
  '/meta/connect',
  '/meta/subscribe',
  '/meta/unsubscribe',
  '/meta/disconnect',
  '/v2/ucs/interactions',
  '/v1/interactions',
  '/x',
  '/meta/x',
  '',
];

/** The request bodies the reproductions were, and their neighbours. */
const KNOWN = [
  '[{}]',
  '[1]',
  '[null]',
  '[[]]',
  '{}',
  '7',
  '"x"',
  '[{"channel":5}]',
  '[{"channel":null}]',
  '[{"channel":"/meta/subscribe","clientId":"x","subscription":{}}]',
  '[{"channel":"/meta/subscribe","clientId":"x","subscription":[1,{}]}]',
  '[{"channel":"/meta/connect","clientId":{"a":1}}]',
  '[{"channel":"/meta/connect","clientId":"x","advice":"soon"}]',
  '[{"channel":"/meta/handshake","ext":"str"}]',
  '[{"channel":"/meta/handshake","ext":{"authorization":5}}]',
  '[{"channel":"/meta/handshake","supportedConnectionTypes":"long-polling"}]',
  '[{"channel":"/x","data":1,"clientId":[]}]',
];

describe(`the CometD endpoint answers any JSON and stays up (${BACKEND})`, () => {
  let server: TestServer;
  let clientId: string;
  beforeAll(async () => {
    server = await startTestServer();
    // A real session, so that messages naming it reach the checks of a known session too.
    const res = await fetch(`${server.url}/api/v2/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: server.basic('agent1') },
      body: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
    });
    clientId = ((await res.json()) as { clientId: string }[])[0]?.clientId as string;
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const post = async (body: string) => {
    const res = await fetch(`${server.url}/api/v2/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    return { status: res.status, text };
  };
  const alive = async () => expect((await fetch(`${server.url}/health`)).status).toBe(200);

  /** A message as a client could send it: every field any type, the usual names most of the time. */
  const message = () =>
    fc.record(
      {
        channel: fc.oneof(fc.constantFrom(...CHANNELS), fc.jsonValue()),
        clientId: fc.oneof(fc.constant(clientId), fc.string(), fc.jsonValue()),
        id: fc.oneof(fc.string(), fc.jsonValue()),
        subscription: fc.oneof(fc.constantFrom(...CHANNELS), fc.array(fc.constantFrom(...CHANNELS)), fc.jsonValue()),
        ext: fc.oneof(
          fc.record({ authorization: fc.oneof(fc.constant(server.basic('agent1')), fc.jsonValue()) }),
          fc.jsonValue(),
        ),
        advice: fc.oneof(fc.record({ timeout: fc.oneof(fc.constant(0), fc.jsonValue()) }), fc.jsonValue()),
        connectionType: fc.oneof(fc.constantFrom('long-polling', 'websocket'), fc.jsonValue()),
        supportedConnectionTypes: fc.oneof(fc.constant(['long-polling', 'websocket']), fc.jsonValue()),
        version: fc.oneof(fc.constant('1.0'), fc.jsonValue()),
        data: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
  const body = () => fc.oneof(fc.array(fc.oneof(message(), fc.jsonValue()), { maxLength: 4 }), message(), fc.jsonValue());

  it('long-polling: the known killers, then any body, are answered with 200 or a 4xx', async () => {
    for (const known of KNOWN) {
      const { status } = await post(known);
      expect([200, 400], known).toContain(status);
      await alive();
    }
    await fc.assert(
      fc.asyncProperty(body(), async (value) => {
        // A long-poll naming the live session may be held: ask it not to wait.
        const { status, text } = await post(JSON.stringify(value));
        expect([200, 400], text).toContain(status);
      }),
      { numRuns: 300 },
    );
    await alive();
  });

  it('websocket: the same, frame after frame on one socket (opened again when the server closes it)', async () => {
    let open: OpenSocket | undefined;
    let isOpen = false;
    const send = async (frame: string) => {
      if (!open || !isOpen) {
        open = await openSocket(server);
        isOpen = true;
        void open.closed.then(() => {
          isOpen = false;
        });
      }
      const current = open;
      // An answer, or the socket closed (a frame that is no message list closes it): either is an answer.
      const answered = Promise.race([nextFrame(current.socket), current.closed]);
      current.socket.send(frame);
      await answered;
    };
    for (const known of KNOWN) await send(known);
    await fc.assert(
      fc.asyncProperty(fc.array(message(), { minLength: 1, maxLength: 3 }), async (messages) => {
        // A connect may be held for its timeout: these ask for none.
        await send(JSON.stringify(messages.map((m) => (m.channel === '/meta/connect' ? { ...m, advice: { timeout: 0 } } : m))));
      }),
      { numRuns: 200 },
    );
    open?.socket.close();
    await alive();
  });
});
