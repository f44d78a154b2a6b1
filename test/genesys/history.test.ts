/**
 * RetrieveInteractionHistory, RetrieveAgentHistory and RetrieveContactHistory:
 * each parameter, with the result read from CometD over each transport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { TestClient, TRANSPORTS } from './cometd.js';
import { idsOf, loadContactCenter } from './data.js';
import { accepted } from './helpers.js';

describe(`Genesys history operations (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await loadContactCenter(server);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      const clients = new Map<string, TestClient>();
      afterAll(async () => {
        await Promise.all([...clients.values()].map((c) => c.disconnect()));
      });

      /** Posts as `userName` and returns the interactions of the CometD result. */
      async function retrieve(userName: string, body: Record<string, unknown>, path = '/interactions') {
        let client = clients.get(userName);
        if (!client) {
          client = await new TestClient(server.url, { transport, ext: server.basic(userName) }).open();
          clients.set(userName, client);
        }
        const referenceId = await accepted(server, path, server.basic(userName), body);
        const data = await client.result(referenceId);
        expect(data.messageType).toBe('GetInteractionsHistoryMessage');
        expect(data).not.toHaveProperty('errorMessage');
        return data.interactions as Record<string, any>[];
      }
      const ids = (interactions: Record<string, any>[]) => interactions.map((i) => i.id);
      const history = (body: Record<string, unknown> = {}) =>
        retrieve('super1', { operationName: 'RetrieveInteractionHistory', ...body });

      it('without parameters: the last month up to today, newest first, only media the features allow', async () => {
        const found = await history();
        // Not the 45-day-old chat, not the facebook session (acme has no api-multimedia-facebook).
        expect(ids(found)).toEqual(idsOf('call', 'chat', 'email', 'sms', 'workitem'));
        for (const interaction of found) expect(interaction).not.toHaveProperty('customAttributes');
      });

      it('prints the interaction resource in the tenant zone', async () => {
        const [call] = await history({ mediaType: 'call' });
        expect(call).toEqual({
          uri: `${server.url}/api/v2/interactions/HIST0000000CALL1`,
          id: 'HIST0000000CALL1',
          path: '/interactions/HIST0000000CALL1',
          mediaType: 'call',
          typeId: 'Inbound',
          state: 'Stopped',
          startDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+0[23]00$/),
          endDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+0[23]00$/),
          contactId: 'contact-b',
          phoneNumber: '+14154204204',
          callDuration: 180,
          ownerInformation: { id: 'agent-2', userName: 'agent2' },
        });
      });

      it("fromDate and toDate as yyyy-MM-dd: whole days in the tenant's zone", async () => {
        const found = await history({ fromDate: '2025-03-10', toDate: '2025-03-10' });
        expect(ids(found)).toEqual(idsOf('dayEnd', 'dayStart'));
        expect(found[0]?.startDate).toBe('2025-03-10 23:59:59.999+0200');
        expect(found[1]?.startDate).toBe('2025-03-10 00:30:00.000+0200');
      });

      it('fromDate and toDate as full timestamps, with an offset or in the tenant zone', async () => {
        const genesysStyle = await history({ fromDate: '2025-03-10 00:00:00.000+0200', toDate: '2025-03-10T21:59:59.999Z' });
        expect(ids(genesysStyle)).toEqual(idsOf('dayEnd', 'dayStart'));
        const local = await history({ fromDate: '2025-03-09T23:30:00', toDate: '2025-03-10T00:30:00.000' });
        expect(ids(local)).toEqual(idsOf('dayStart', 'dayBefore'));
      });

      it('mediaType, in any case', async () => {
        expect(ids(await history({ mediaType: 'EMAIL' }))).toEqual(idsOf('email'));
        expect(ids(await history({ mediaType: 'Chat' }))).toEqual(idsOf('chat'));
        expect(ids(await history({ mediaType: 'smssession' }))).toEqual(idsOf('sms'));
      });

      it('userId: only interactions that agent handled', async () => {
        expect(ids(await history({ userId: 'agent-1' }))).toEqual(idsOf('chat', 'email', 'sms'));
      });

      it('sort asc', async () => {
        expect(ids(await history({ sort: 'asc' }))).toEqual(idsOf('workitem', 'sms', 'email', 'chat', 'call'));
      });

      it('maxSize', async () => {
        expect(ids(await history({ maxSize: 2 }))).toEqual(idsOf('call', 'chat'));
        expect(ids(await history({ maxSize: '1', sort: 'asc' }))).toEqual(idsOf('workitem'));
      });

      it('source: main or archive', async () => {
        const range = { fromDate: '2019-01-01', toDate: '2019-12-31' };
        expect(ids(await history({ ...range, source: 'archive' }))).toEqual(idsOf('archived'));
        expect(await history({ ...range, source: 'main' })).toEqual([]);
      });

      it('customAttributes: only the names asked for, on every interaction', async () => {
        const found = await history({ customAttributes: ['CustomerId', 'NoSuchName'] });
        const byId = Object.fromEntries(found.map((i) => [i.id, i.customAttributes]));
        expect(byId).toEqual({
          HIST0000000CALL1: { CustomerId: 'x' },
          HIST0000000CHAT1: { CustomerId: 'x' },
          HIST000000EMAIL1: {},
          HIST00000SMSSES1: { CustomerId: 'a21d4c3' },
          HIST00000WORKIT1: {},
        });
      });

      it('searchCustomAttributes: every name = value must match', async () => {
        expect(ids(await history({ searchCustomAttributes: { SearchId: '1' } }))).toEqual(idsOf('chat', 'email'));
        expect(ids(await history({ searchCustomAttributes: { SearchId: '1', CustomerId: 'x' } }))).toEqual(idsOf('chat'));
        expect(await history({ searchCustomAttributes: { SearchId: '1', CustomerId: 'nobody' } })).toEqual([]);
      });

      it("an agent's history holds only interactions it owns or handled", async () => {
        const found = await retrieve('agent2', { operationName: 'RetrieveInteractionHistory' });
        expect(ids(found)).toEqual(idsOf('call', 'email', 'workitem'));
      });

      it("RetrieveAgentHistory: the caller's own history, or the userId's", async () => {
        const own = await retrieve('agent1', { operationName: 'RetrieveAgentHistory' });
        expect(ids(own)).toEqual(idsOf('chat', 'email', 'sms'));
        const other = await retrieve('super1', { operationName: 'RetrieveAgentHistory', userId: 'agent-2', sort: 'asc' });
        expect(ids(other)).toEqual(idsOf('workitem', 'email', 'call'));
      });

      it('RetrieveContactHistory: the contact of the path, with the other filters', async () => {
        const contact = (id: string, body: Record<string, unknown> = {}) =>
          retrieve('super1', { operationName: 'RetrieveContactHistory', ...body }, `/contacts/${id}/interactions`);
        expect(ids(await contact('contact-a'))).toEqual(idsOf('chat', 'email'));
        expect(ids(await contact('contact-a', { mediaType: 'email' }))).toEqual(idsOf('email'));
        expect(ids(await contact('contact-a', { fromDate: '2000-01-01', source: 'archive' }))).toEqual(idsOf('archived'));
        const withAttributes = await contact('contact-b', { customAttributes: ['SearchId'], maxSize: 1 });
        expect(withAttributes).toMatchObject([{ id: 'HIST0000000CALL1', customAttributes: { SearchId: '2' } }]);
        expect(await contact('nobody')).toEqual([]);
      });
    });
  }
});
