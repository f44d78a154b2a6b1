/**
 * GetInteractionContent over each transport: the interaction, its messages in
 * index order for the media that have them, and failures that arrive after
 * the HTTP answer as the same message type with `errorMessage`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { TestClient, TRANSPORTS } from './cometd.js';
import { ID, loadContactCenter } from './data.js';
import { accepted } from './helpers.js';

describe(`Genesys GetInteractionContent (${BACKEND})`, () => {
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

      async function content(id: string, body: Record<string, unknown> = {}, userName = 'super1') {
        let client = clients.get(userName);
        if (!client) {
          client = await new TestClient(server.url, { transport, ext: server.basic(userName) }).open();
          clients.set(userName, client);
        }
        const referenceId = await accepted(server, `/interactions/${id}`, server.basic(userName), {
          operationName: 'GetInteractionContent',
          ...body,
        });
        const data = await client.result(referenceId);
        expect(data.messageType).toBe('GetInteractionContentMessage');
        return data;
      }

      it('a chat: the interaction with its attached data, and its messages in index order', async () => {
        const data = await content(ID.chat);
        expect(data.interaction).toMatchObject({
          id: 'HIST0000000CHAT1',
          uri: `${server.url}/api/v2/interactions/HIST0000000CHAT1`,
          path: '/interactions/HIST0000000CHAT1',
          mediaType: 'chat',
          contactId: 'contact-a',
          ownerInformation: { id: 'agent-1', userName: 'agent1', firstName: 'Ann', lastName: 'Agent' },
          userData: { queue: 'support' },
        });
        expect(data.interaction).not.toHaveProperty('customAttributes');
        expect(data.messages).toEqual([
          {
            index: 1,
            from: { nickname: 'You', type: 'Customer', participantId: 'p1' },
            visibility: 'All',
            timestamp: '2025-03-10 11:00:00.000+0200',
            type: 'ParticipantJoined',
            timestampSeconds: Date.parse('2025-03-10T09:00:00.000Z'),
          },
          {
            index: 2,
            from: { nickname: 'Ann', type: 'Agent', participantId: 'p2' },
            text: 'Hello!',
            visibility: 'All',
            timestamp: '2025-03-10 11:00:03.036+0200',
            type: 'Text',
            timestampSeconds: Date.parse('2025-03-10T09:00:03.036Z'),
          },
          {
            index: 3,
            from: { nickname: 'Ann', type: 'Agent', participantId: 'p3' },
            text: 'How can I help?',
            visibility: 'All',
            timestamp: '2025-03-10 11:00:05.000+0200',
            type: 'Text',
            timestampSeconds: Date.parse('2025-03-10T09:00:05.000Z'),
          },
        ]);
      });

      it('an SMS session has messages; a call and an email have none', async () => {
        const sms = await content(ID.sms);
        expect(sms.messages).toMatchObject([{ index: 1, text: 'STOP' }]);
        const call = await content(ID.call);
        expect(call.interaction).toMatchObject({ id: 'HIST0000000CALL1', phoneNumber: '+14154204204', callDuration: 180 });
        expect(call).not.toHaveProperty('messages');
        expect(await content(ID.email)).not.toHaveProperty('messages');
      });

      it('source: archive finds what left main', async () => {
        const archived = await content('HIST00000ARCHIVE', { source: 'archive' });
        expect(archived.interaction.id).toBe('HIST00000ARCHIVE');
        const inMain = await content('HIST00000ARCHIVE', { source: 'main' });
        expect(inMain).toStrictEqual({
          referenceId: inMain.referenceId,
          messageType: 'GetInteractionContentMessage',
          errorMessage: 'interaction HIST00000ARCHIVE not found',
        });
      });

      it('failures after the answer: unknown, not visible to the agent, media feature off', async () => {
        expect((await content('NOSUCHINTERACTN')).errorMessage).toBe('interaction NOSUCHINTERACTN not found');
        // agent2 neither owns nor handled agent1's chat: for it, the chat does not exist.
        const foreign = await content(ID.chat, {}, 'agent2');
        expect(foreign.errorMessage).toBe('interaction HIST0000000CHAT1 not found');
        expect(foreign).not.toHaveProperty('interaction');
        const facebook = await content(ID.facebook);
        expect(facebook.errorMessage).toMatch(/api-multimedia-facebook is not enabled/);
        expect(facebook).not.toHaveProperty('interaction');
      });
    });
  }
});
