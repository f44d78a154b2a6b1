/**
 * Legal holds against changes, not only deletions (issue 14's rule that a
 * hold preserves what it covers): what was said in a held interaction — its
 * subject, comment, email and every message — can be added to but neither
 * changed nor removed, by any write path (upsert, batch, merge patch, message
 * append); the rest of the record follows its live workflow. And a change
 * that moves an interaction out of a contact or query hold's reach does not
 * let it be deleted: it stays held by the holds that covered it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';
import { auditLog, native, type Stored, storeCall } from './helpers.js';

describe(`legal holds preserve what they cover against changes (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const hold = async (body: Record<string, unknown>): Promise<string> => {
    const res = await native(server, '/holds', admin, {
      method: 'POST',
      json: { name: 'Case 7', reason: 'litigation', ...body },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id;
  };
  const release = async (holdId: string) =>
    expect((await native(server, `/holds/${holdId}/release`, admin, { method: 'POST', json: { reason: 'closed' } })).status).toBe(
      200,
    );
  const upsert = (record: Record<string, unknown>) => native(server, '/interactions', admin, { method: 'POST', json: record });
  const read = async (id: string) => (await native(server, `/interactions/${id}`, admin)).body;
  const remove = async (id: string) => (await native(server, `/interactions/${id}`, admin, { method: 'DELETE' })).status;

  function chat(overrides: Record<string, unknown> = {}) {
    const record = chatRecord({ comment: 'agent note', ...overrides });
    const messages = record.messages as Record<string, unknown>[];
    return {
      ...record,
      guid: randomUUID(),
      messages: [
        ...messages,
        {
          index: 3,
          from: { nickname: 'You', type: 'Customer', participantId: '00AF52939EBE5BC4' },
          text: 'I want to cancel my contract',
          visibility: 'All',
          timestamp: '2025-03-10T09:00:09.000Z',
          type: 'Text',
        },
      ],
    };
  }
  type Chat = ReturnType<typeof chat>;

  async function storeHeldChat(): Promise<{ record: Chat; stored: Stored; holdId: string }> {
    const record = chat();
    const created = await upsert(record);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const holdId = await hold({ interactionIds: [created.body.id] });
    return { record, stored: created.body, holdId };
  }

  function expectHeldRefusal(res: { status: number; body: any }, field: string) {
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body).toMatchObject({ code: 'IXV_INTERACTION_HELD', status: 409 });
    const fields = [res.body.field, ...(res.body.errors ?? []).map((p: { field: string }) => p.field)];
    expect(fields, JSON.stringify(res.body)).toContain(field);
  }

  it('refuses every write that changes or removes what was said, on every path, and stores nothing of it', async () => {
    const { record, stored } = await storeHeldChat();
    const before = await read(stored.id);
    const [joined, hello, cancel] = record.messages as Record<string, unknown>[];

    // A message left out is named by the list; a changed one by its place in the request.
    expectHeldRefusal(await upsert({ ...record, messages: [joined, hello] }), 'messages');
    expectHeldRefusal(await upsert({ ...record, messages: [joined, hello, { ...cancel, text: 'all good' }] }), 'messages.2');
    expectHeldRefusal(await upsert({ ...record, messages: [] }), 'messages');
    expectHeldRefusal(await upsert({ ...record, subject: 'something else' }), 'subject');
    expectHeldRefusal(await upsert({ ...record, subject: undefined }), 'subject');
    expectHeldRefusal(await upsert({ ...record, comment: 'rewritten note' }), 'comment');

    // A batch with the held record among others: all or nothing, as ever.
    const other = chat();
    const batch = await native(server, '/interactions:batch', admin, {
      method: 'POST',
      json: { records: [other, { ...record, messages: [joined, { ...hello, text: 'Bye!' }] }] },
    });
    expect(batch.status, JSON.stringify(batch.body)).toBe(409);
    expect(batch.body).toMatchObject({ code: 'IXV_INTERACTION_HELD' });
    expect(batch.body.invalidRecords).toEqual([
      {
        index: 1,
        problems: [expect.objectContaining({ field: 'messages.1' }), expect.objectContaining({ field: 'messages' })],
      },
    ]);
    expect((await native(server, `/interactions/${other.guid}`, admin)).status).toBe(404);

    expectHeldRefusal(
      await native(server, `/interactions/${stored.id}`, admin, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ subject: null }),
      }),
      'subject',
    );
    expectHeldRefusal(
      await native(server, `/interactions/${stored.id}/messages`, admin, {
        method: 'POST',
        json: { messages: [{ ...cancel, text: 'never mind' }] },
      }),
      'messages.0',
    );

    const after = await read(stored.id);
    expect({ ...after, updatedDate: undefined }).toEqual({ ...before, updatedDate: undefined });
    const refusals = (await auditLog(server)).filter((e) => e.interactionId === stored.id && e.action.endsWith('.refused'));
    expect(refusals.length).toBeGreaterThanOrEqual(9);
    expect(refusals.every((e) => e.action === 'interaction.write.refused')).toBe(true);
  });

  it('lets a held interaction grow and its workflow go on: new messages, a subject where there was none, metadata', async () => {
    const { record, stored } = await storeHeldChat();
    const added = {
      index: 4,
      from: { nickname: 'Ann', type: 'Agent', participantId: '00AF52939EDF5BC6' },
      text: 'Sorry to hear that',
      visibility: 'All',
      timestamp: '2025-03-10T09:00:12.000Z',
      type: 'Text',
    };
    const grown = await upsert({
      ...record,
      state: 'InProcess',
      endDate: undefined,
      customAttributes: { SearchId: '999' },
      messages: [...record.messages, added],
    });
    expect(grown.status, JSON.stringify(grown.body)).toBe(200);
    const appended = await native(server, `/interactions/${stored.id}/messages`, admin, {
      method: 'POST',
      json: { messages: [{ ...added, index: undefined, text: 'Anything else?' }] },
    });
    expect(appended.status, JSON.stringify(appended.body)).toBe(200);
    // The same message sent again (a client retrying) is no change.
    expect(
      (await native(server, `/interactions/${stored.id}/messages`, admin, { method: 'POST', json: { messages: [added] } }))
        .status,
    ).toBe(200);
    const patched = await native(server, `/interactions/${stored.id}`, admin, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ state: 'Stopped', endDate: '2025-03-10T09:10:00.000Z' }),
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const now = await read(stored.id);
    expect(now.messages.map((m: { text?: string }) => m.text)).toEqual([
      undefined,
      'Hello!',
      'I want to cancel my contract',
      'Sorry to hear that',
      'Anything else?',
    ]);
    expect(now).toMatchObject({ state: 'Stopped', customAttributes: { SearchId: '999' }, subject: record.subject });

    // An email's bodies and addresses are what was said too; a body where there was none is an addition.
    const email = {
      guid: randomUUID(),
      mediaType: 'email',
      typeId: 'Inbound',
      state: 'Stopped',
      startDate: '2025-03-11T10:00:00.000Z',
      ownerInformation: { id: 'agent-1' },
      handlingAgents: [{ id: 'agent-1' }],
      customAttributes: {},
      email: { from: 'customer@example.org', to: ['support@example.com'], text: 'Please cancel.' },
    };
    const mail = await upsert(email);
    expect(mail.status).toBe(201);
    await hold({ interactionIds: [mail.body.id] });
    expect((await upsert({ ...email, email: { ...email.email, html: '<p>Please cancel.</p>' } })).status).toBe(200);
    expectHeldRefusal(
      await upsert({ ...email, email: { ...email.email, text: 'Keep it.', html: '<p>Please cancel.</p>' } }),
      'email.text',
    );
    expectHeldRefusal(
      await upsert({ ...email, email: { ...email.email, to: ['other@example.com'], html: '<p>Please cancel.</p>' } }),
      'email.to',
    );
  });

  it('preserves an archived held interaction alike: a change is refused, an addition is written where it is', async () => {
    const record = chat({ startDate: '2019-06-01T09:00:00.000Z', endDate: '2019-06-01T09:05:00.000Z' });
    const created = await upsert(record);
    expect(created.status).toBe(201);
    await hold({ interactionIds: [created.body.id] });
    const moved = await server.runtime.vault.archive.moveBatch('acme', Date.UTC(2020, 0, 1), 1000);
    expect(moved).toBeGreaterThanOrEqual(1);
    const archived = await native(server, `/interactions/${created.body.id}?source=archive`, admin);
    expect(archived.status).toBe(200);
    const [joined, hello] = record.messages as Record<string, unknown>[];
    expectHeldRefusal(await upsert({ ...record, messages: [joined, hello] }), 'messages');
    const grown = await upsert({ ...record, state: 'InProcess' });
    expect(grown.status, JSON.stringify(grown.body)).toBe(200);
    expect((await native(server, `/interactions/${created.body.id}?source=archive`, admin)).body).toMatchObject({
      state: 'InProcess',
      messages: record.messages.map(() => expect.anything()),
    });
  });

  it('once released, the hold no longer stands in the way of changes', async () => {
    const { record, stored, holdId } = await storeHeldChat();
    await release(holdId);
    const changed = await upsert({ ...record, subject: 'renamed', messages: [] });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect((await read(stored.id)).messages).toEqual([]);
  });

  it('keeps an interaction held by a contact or query hold after a change moves it out of the hold’s reach', async () => {
    const contactId = `contact-${randomUUID()}`;
    const byContact = await storeCall(server, { contactId }, false);
    const contactHold = await hold({ contactId });
    const marker = randomUUID();
    const inside = { startDate: '2024-05-10T10:00:00Z', customAttributes: { Case: marker } };
    const byQuery = await storeCall(server, inside, false);
    const queryHold = await hold({
      query: { from: '2024-05-01T00:00:00Z', to: '2024-06-01T00:00:00Z', customAttributes: { Case: marker } },
    });

    const movedContact = await upsert({
      ...callRecord({ guid: byContact.guid, endDate: undefined }),
      contactId: `${contactId}-elsewhere`,
    });
    expect(movedContact.status, JSON.stringify(movedContact.body)).toBe(200);
    const movedQuery = await upsert({
      ...callRecord({ guid: byQuery.guid, endDate: undefined }),
      ...inside,
      startDate: '2023-01-01T00:00:00Z',
      customAttributes: { Case: 'x' },
    });
    expect(movedQuery.status, JSON.stringify(movedQuery.body)).toBe(200);

    expect(await remove(byContact.id)).toBe(409);
    expect(await remove(byQuery.id)).toBe(409);
    expect((await native(server, `/holds/${contactHold}`, admin)).body.pinnedInteractionIds).toEqual([byContact.id]);
    expect((await native(server, `/holds/${queryHold}`, admin)).body.pinnedInteractionIds).toEqual([byQuery.id]);
    // An interaction the holds never covered is not caught by them.
    const never = await storeCall(server, { contactId: `${contactId}-elsewhere` }, false);
    expect(await remove(never.id)).toBe(204);

    await release(contactHold);
    await release(queryHold);
    expect(await remove(byContact.id)).toBe(204);
    expect(await remove(byQuery.id)).toBe(204);
  });
});
