/**
 * Principals reloaded while sessions are open (session 4, redteam): what a
 * principal may see is decided by the principals as they are now, not as the
 * server started with. Before, the live channel `/v1/interactions` read the
 * directory the app was built with: a supervisor demoted to agent (or a user
 * removed) kept being told of every interaction of the tenant on an open
 * websocket, which proves its principal once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory } from '../../src/auth/directory.js';
import { LIVE_CHANNEL } from '../../src/notify/live.js';
import { TestClient } from '../genesys/cometd.js';
import { ingest } from '../genesys/helpers.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, PRINCIPALS, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';

describe(`principals reloaded under open sessions (${BACKEND})`, () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    server.runtime.auth.reload(await Directory.fromConfig(PRINCIPALS));
    await Promise.all(clients.map((c) => c.disconnect()));
    await server.stop();
    await removeTestData(server);
  });

  it('the live channel follows a demotion at once: a supervisor made agent hears only of its own interactions', async () => {
    const client = new TestClient(server.url, { transport: 'websocket', ext: server.basic('super1'), subscribe: false });
    clients.push(client);
    await client.open();
    client.subscribe(LIVE_CHANNEL);
    await client.until(() => client.subscribes.some((s) => s.successful), 'subscription');
    const [before] = await ingest(server, [
      callRecord({ ownerInformation: { id: 'agent-1' }, handlingAgents: [{ id: 'agent-1' }] }),
    ]);
    await client.until(() => client.received.some((m) => m.id === before), 'news as a supervisor');

    const demoted = structuredClone(PRINCIPALS);
    const acme = demoted.tenants.find((t) => t.id === 'acme');
    const user = acme?.users?.find((u) => u.userName === 'super1');
    if (!user) throw new Error('no super1 in the fixture');
    user.role = 'agent';
    server.runtime.auth.reload(await Directory.fromConfig(demoted));

    const [notTheirs] = await ingest(server, [
      callRecord({ ownerInformation: { id: 'agent-1' }, handlingAgents: [{ id: 'agent-1' }] }),
    ]);
    // Its own, last: news reach a session in order, so once this one is there the other would have been.
    const [own] = await ingest(server, [callRecord({ ownerInformation: { id: 'super-1' }, handlingAgents: [] })]);
    await client.until(() => client.received.some((m) => m.id === own), 'news of its own interaction');
    expect(client.received.map((m) => m.id)).toEqual([before, own]);
    expect(client.received.map((m) => m.id)).not.toContain(notTheirs);
  });
});
