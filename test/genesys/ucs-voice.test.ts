/**
 * The "UCS integration with Voice API" operations and IdentifyUCSContact,
 * with the official CometD client over each transport: the reference pages'
 * sample requests give their sample notifications field by field (ids aside),
 * the changes land in the record, contacts are the ones the native API
 * keeps, and nobody reaches a call or contact that is not theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { TestClient, TRANSPORTS } from './cometd.js';
import { accepted, ingest, post } from './helpers.js';

describe(`Genesys UCS voice operations and contacts (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const native = (path: string, user = 'admin1', init: { method?: string; json?: unknown } = {}) =>
    call(`${server.url}/api/v1${path}`, { ...init, headers: { authorization: server.basic(user) } });
  const identifyPost = (auth: string, body: Record<string, unknown>) =>
    call(`${server.url}/api/v2/contacts/ucs`, { method: 'POST', headers: { authorization: auth }, json: body });

  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      const clients = new Map<string, TestClient>();
      afterAll(async () => {
        await Promise.all([...clients.values()].map((c) => c.disconnect()));
      });
      /** The user's CometD session, opened once. */
      async function session(user: string): Promise<TestClient> {
        let client = clients.get(user);
        if (!client) {
          client = await new TestClient(server.url, { transport, ext: server.basic(user) }).open();
          clients.set(user, client);
        }
        return client;
      }
      /** Posts under /api/v2/ucs and waits for the notification of its referenceId. */
      async function operation(path: string, body: Record<string, unknown>, user = 'agent1') {
        const client = await session(user);
        const referenceId = await accepted(server, path, server.basic(user), body);
        return { referenceId, data: await client.result(referenceId) };
      }
      async function identify(body: Record<string, unknown>, user = 'agent1') {
        const client = await session(user);
        const res = await identifyPost(server.basic(user), { operationName: 'IdentifyUCSContact', ...body });
        expect(res.body, JSON.stringify(res.body)).toEqual({ statusCode: 0, referenceId: expect.any(Number) });
        return { referenceId: res.body.referenceId as number, data: await client.result(res.body.referenceId) };
      }
      const suffix = transport === 'websocket' ? 'ws' : 'lp';

      it("FindPhoneCall with the reference page's sample creates the call, then finds it", async () => {
        const contactId = `0000DaA3G4VF000Q${suffix}`;
        expect((await native('/contacts', 'admin1', { method: 'POST', json: { id: contactId } })).status).toBe(201);
        const callId = `1231331${suffix}`;
        const sample = {
          operationName: 'FindPhoneCall',
          callId,
          status: 'InProcess',
          contactId,
          phoneNumber: '1231231231',
          type: 'Inbound',
          parentId: 'XXXDDDD',
          threadId: 'A34XX6BA0FX',
          userData: { key1: 'value1', key2: 'value2' },
        };
        const created = await operation('/interactions', sample);
        expect(created.data).toStrictEqual({
          referenceId: created.referenceId,
          messageType: 'createInteractionResponse',
          interactionId: callId,
          isCreated: 'true',
        });
        const found = await operation('/interactions', sample);
        expect(found.data).toStrictEqual({
          referenceId: found.referenceId,
          messageType: 'createInteractionResponse',
          interactionId: callId,
          isCreated: 'false',
        });
        const stored = await native(`/interactions/${callId}`, 'agent1');
        expect(stored.body).toMatchObject({
          id: callId,
          mediaType: 'call',
          typeId: 'Inbound',
          state: 'InProcess',
          phoneNumber: '1231231231',
          contactId,
          parentId: 'XXXDDDD',
          userData: { key1: 'value1', key2: 'value2' },
          ownerInformation: { id: 'agent-1', userName: 'agent1', firstName: 'Ann', lastName: 'Agent' },
          handlingAgents: [{ id: 'agent-1' }],
        });
      });

      it('SetCallNote, SetCallCompleted, SetCallContact with the samples: UcsOperationResponse, and the record follows', async () => {
        const [id] = await ingest(server, [
          callRecord({
            id: `VOICE00000001${suffix}`,
            state: 'InProcess',
            endDate: undefined,
            callDuration: undefined,
            startDate: new Date(Date.now() - 60_000).toISOString(),
            ownerInformation: { id: 'agent-1', userName: 'agent1' },
            handlingAgents: [{ id: 'agent-1' }],
            userData: { queue: 'billing' },
          }),
        ]);
        const ok = (referenceId: number) => ({ referenceId, messageType: 'UcsOperationResponse', success: true });

        const note = await operation(`/interactions/${id}`, {
          operationName: 'SetCallNote',
          note: 'Customer was satisfied with resolve',
        });
        expect(note.data).toStrictEqual(ok(note.referenceId));
        const completed = await operation(`/interactions/${id}`, {
          operationName: 'SetCallCompleted',
          callDuration: 15,
          userData: { key1: 'value1', key2: 'value2' },
        });
        expect(completed.data).toStrictEqual(ok(completed.referenceId));
        const contact = await native('/contacts', 'admin1', { method: 'POST', json: { firstName: 'Caller' } });
        const linked = await operation(`/interactions/${id}`, {
          operationName: 'SetCallContact',
          contactPath: `/path/${contact.body.id}`,
        });
        expect(linked.data).toStrictEqual(ok(linked.referenceId));

        const record = (await native(`/interactions/${id}`, 'agent1')).body;
        expect(record).toMatchObject({
          comment: 'Customer was satisfied with resolve',
          state: 'Stopped',
          callDuration: 15,
          contactId: contact.body.id,
          userData: { queue: 'billing', key1: 'value1', key2: 'value2' },
        });
        expect(Date.parse(record.endDate)).toBeGreaterThanOrEqual(Date.parse(record.startDate));
      });

      it('failures arrive as the documented error shapes; bad parameters and missing rights are HTTP errors', async () => {
        const [chatId] = await ingest(server, [chatRecord({ id: `VOICECHAT0001${suffix}` })]);
        const notACall = await operation(`/interactions/${chatId}`, { operationName: 'SetCallNote', note: 'x' });
        expect(notACall.data).toStrictEqual({
          referenceId: notACall.referenceId,
          messageType: 'UcsOperationResponse',
          success: false,
          errorMessage: `interaction ${chatId} is a chat interaction, not a call`,
        });
        const [callId] = await ingest(server, [callRecord({ id: `VOICECALL0002${suffix}` })]);
        const unknownContact = await operation(
          `/interactions/${callId}`,
          { operationName: 'SetCallContact', contactPath: '/path/NOSUCHCONTACT' },
          'agent2',
        );
        expect(unknownContact.data).toStrictEqual({
          referenceId: unknownContact.referenceId,
          messageType: 'UcsOperationResponse',
          success: false,
          errorMessage: 'contact NOSUCHCONTACT not found',
        });
        const missing = await post(server, `/interactions/${callId}`, server.basic('agent2'), { operationName: 'SetCallNote' });
        expect(missing.status).toBe(400);
        expect(missing.body).toEqual({ statusCode: 1, statusMessage: 'note is required' });
        const badCall = await post(server, '/interactions', server.basic('agent1'), {
          operationName: 'FindPhoneCall',
          callId: 'no spaces please',
          status: 'New',
          phoneNumber: '1',
          type: 'Inbound',
        });
        expect(badCall.body).toMatchObject({ statusCode: 2, statusMessage: expect.stringMatching(/^callId: /) });
        const reader = await server.bearer('acme-reader');
        const refused = await post(server, `/interactions/${callId}`, reader, { operationName: 'SetCallNote', note: 'x' });
        expect(refused.status).toBe(403);
        expect(refused.body.statusCode).toBe(5);
      });

      it("an agent can neither change nor claim another agent's call, and learns nothing of it", async () => {
        // agent2's call: agent1 neither owns nor handled it.
        const [theirs] = await ingest(server, [
          callRecord({ id: `THEIRCALL0001${suffix}`, comment: 'private', contactId: 'c-private' }),
        ]);
        const note = await operation(`/interactions/${theirs}`, { operationName: 'SetCallNote', note: 'mine now' });
        expect(note.data).toStrictEqual({
          referenceId: note.referenceId,
          messageType: 'UcsOperationResponse',
          success: false,
          errorMessage: `interaction ${theirs} not found`,
        });
        const claim = await operation('/interactions', {
          operationName: 'FindPhoneCall',
          callId: theirs,
          status: 'InProcess',
          phoneNumber: '5',
          type: 'Inbound',
        });
        expect(claim.data).toStrictEqual({
          referenceId: claim.referenceId,
          messageType: 'createInteractionResponse',
          errorMessage: `${theirs} is taken by another interaction`,
        });
        const stored = (await native(`/interactions/${theirs}`)).body;
        expect(stored).toMatchObject({ comment: 'private', contactId: 'c-private', handlingAgents: [{ id: 'agent-2' }] });
        expect((await native(`/interactions/${theirs}`, 'agent1')).status).toBe(404);
      });

      it("IdentifyUCSContact with the sample: {referenceId, contactId}; creation on request; the native API's contacts", async () => {
        const number = transport === 'websocket' ? '323-234-2342' : '323-234-2343';
        const existing = await native('/contacts', 'admin1', {
          method: 'POST',
          json: { lastName: 'Known', phoneNumbers: [`(${number.slice(0, 3)}) ${number.slice(4)}`] },
        });
        const sample = await identify({ phoneNumber: number, mediaType: 'call', userData: { key1: 'value1', key2: 'value2' } });
        expect(sample.data).toStrictEqual({ referenceId: sample.referenceId, contactId: existing.body.id });

        const email = `new.customer.${suffix}@example.org`;
        const unknown = await identify({ emailAddress: email, mediaType: 'email' });
        expect(unknown.data).toStrictEqual({ referenceId: unknown.referenceId, errorMessage: `no contact has ${email}` });
        const created = await identify({ emailAddress: email, lastName: 'New', createContactEnabled: true, mediaType: 'email' });
        expect(created.data).toStrictEqual({ referenceId: created.referenceId, contactId: expect.any(String) });
        const again = await identify({ emailAddress: email.toUpperCase(), createContactEnabled: true });
        expect(again.data.contactId).toBe(created.data.contactId);
        // The contact the Genesys operation created is the native API's.
        const stored = await native(`/contacts/${created.data.contactId}`, 'super1');
        expect(stored.body).toMatchObject({ lastName: 'New', emailAddresses: [email] });
        // From the attached data, as UCS identifies (EmailAddress, PhoneNumber, FirstName, LastName).
        const fromUserData = await identify({ userData: { PhoneNumber: number } });
        expect(fromUserData.data.contactId).toBe(existing.body.id);
      });

      it('IdentifyUCSContact: parameters, features and rights are checked before the answer; tenants stay apart', async () => {
        const missing = await identifyPost(server.basic('agent1'), { operationName: 'IdentifyUCSContact', mediaType: 'call' });
        expect(missing.body).toEqual({ statusCode: 1, statusMessage: 'emailAddress or phoneNumber is required' });
        const invalid = await identifyPost(server.basic('agent1'), { operationName: 'IdentifyUCSContact', emailAddress: 'nope' });
        expect(invalid.body).toEqual({ statusCode: 2, statusMessage: "emailAddress: 'nope' is not an email address" });
        const feature = await identifyPost(server.basic('agent1'), {
          operationName: 'IdentifyUCSContact',
          phoneNumber: '1',
          mediaType: 'facebook',
        });
        expect(feature.status).toBe(403);
        expect(feature.body.statusCode).toBe(3);
        const reader = await server.bearer('acme-reader');
        const noCreate = await identifyPost(reader, {
          operationName: 'IdentifyUCSContact',
          phoneNumber: '1',
          createContactEnabled: true,
        });
        expect(noCreate.status).toBe(403);
        expect(noCreate.body.statusCode).toBe(5);
        // globex has no contacts: acme's numbers identify nothing there.
        const number = transport === 'websocket' ? '323-234-2342' : '323-234-2343';
        const foreign = await identify({ phoneNumber: number }, 'gadmin');
        expect(foreign.data).toStrictEqual({ referenceId: foreign.referenceId, errorMessage: `no contact has ${number}` });
      });

      it("RetrieveContactHistory lists a contact's calls that FindPhoneCall linked by phone number, within each agent's visibility", async () => {
        const phone = transport === 'websocket' ? '+44 20 7946 0100' : '+44 20 7946 0101';
        const contact = await native('/contacts', 'admin1', { method: 'POST', json: { phoneNumbers: [phone] } });
        const find = (user: string, callId: string) =>
          operation(
            '/interactions',
            { operationName: 'FindPhoneCall', callId, status: 'New', phoneNumber: phone.replace(/\D/g, ''), type: 'Inbound' },
            user,
          );
        expect((await find('agent1', `LINKED000001${suffix}`)).data.isCreated).toBe('true');
        expect((await find('agent2', `LINKED000002${suffix}`)).data.isCreated).toBe('true');
        const history = async (user: string) => {
          const { data } = await operation(
            `/contacts/${contact.body.id}/interactions`,
            { operationName: 'RetrieveContactHistory' },
            user,
          );
          expect(data.messageType).toBe('GetInteractionsHistoryMessage');
          return data.interactions.map((i: { id: string }) => i.id).sort();
        };
        expect(await history('super1')).toEqual([`LINKED000001${suffix}`, `LINKED000002${suffix}`]);
        expect(await history('agent1')).toEqual([`LINKED000001${suffix}`]);
        expect(await history('agent2')).toEqual([`LINKED000002${suffix}`]);
        expect(await history('gadmin')).toEqual([]);
      });
    });
  }
});
