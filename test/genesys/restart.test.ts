/**
 * A server restart (same data, same port) forgets every CometD session: the
 * official client hears `402::Unknown client`, handshakes again with the
 * credentials it was given, subscribes again from its /meta/handshake
 * listener, and receives results as before.
 */
import { describe, expect, it } from 'vitest';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { TestClient, TRANSPORTS } from './cometd.js';
import { accepted, daysAgo, ingest } from './helpers.js';

const HISTORY = { operationName: 'RetrieveInteractionHistory' };

describe(`CometD across a server restart (${BACKEND})`, () => {
  for (const transport of TRANSPORTS) {
    it(`${transport}: re-handshakes, resubscribes and receives results from the restarted server`, async () => {
      let server: TestServer = await startTestServer();
      const client = await new TestClient(server.url, { transport, ext: server.basic('agent1') }).open();
      try {
        await ingest(server, [chatRecord({ id: 'RESTART000000001', startDate: daysAgo(1), endDate: daysAgo(0.99) })]);
        const before = await accepted(server, '/interactions', server.basic('agent1'), HISTORY);
        await client.result(before);

        const port = Number(new URL(server.url).port);
        await server.stop();
        const reuse = { dataDir: server.dataDir, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}) };
        server = await startTestServer({ reuse, port });

        await client.until(
          () =>
            client.handshakes.filter((h) => h.successful).length === 2 &&
            client.subscribes.filter((s) => s.successful).length === 2,
          'a new handshake and subscription',
          20_000,
        );
        const unknown = client.connects.find((c) => !c.successful && c.error === '402::Unknown client');
        expect(unknown?.advice).toMatchObject({ reconnect: 'handshake' });
        expect(client.transport()).toBe(transport);

        const after = await accepted(server, '/interactions', server.basic('agent1'), HISTORY);
        await client.until(() => client.received.length === 2, 'the result from the restarted server');
        expect(client.received[1]).toMatchObject({ referenceId: after, interactions: [{ id: 'RESTART000000001' }] });
      } finally {
        await client.disconnect();
        await server.stop();
        await removeTestData(server);
      }
    });
  }
});
