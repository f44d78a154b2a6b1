import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

describe(`native ingestion (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  const post = (json: unknown, auth = admin) =>
    call(`${api()}/interactions`, { method: 'POST', headers: { authorization: auth }, json });
  const get = (id: string, auth = admin) => call(`${api()}/interactions/${id}`, { headers: { authorization: auth } });

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('creates with generated, time-ordered ids and returns the canonical record', async () => {
    const first = await post(chatRecord());
    const second = await post(chatRecord());
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/api/v1/interactions/${first.body.id}`);
    expect(first.body.id).toMatch(/^[0-9A-Za-z]{16}$/);
    expect(first.body.guid).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.body.id > first.body.id).toBe(true);
    const got = await get(first.body.id);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: first.body.id,
      guid: first.body.guid,
      mediaType: 'chat',
      typeId: 'Inbound',
      state: 'Stopped',
      startDate: '2025-03-10T09:00:00.000Z',
      endDate: '2025-03-10T09:05:00.000Z',
      contactId: 'contact-1',
      ownerInformation: { id: 'agent-1', userName: 'agent1', firstName: 'Ann', lastName: 'Agent' },
      handlingAgents: [{ id: 'agent-1' }],
      customAttributes: { SearchId: '123456', CustomerId: 'a21d4c3' },
      userData: { queue: 'support' },
      content: [],
    });
    expect(got.body.messages.map((m: { index: number; type: string }) => [m.index, m.type])).toEqual([
      [1, 'ParticipantJoined'],
      [2, 'Text'],
    ]);
    expect(got.body.messages[1]).toMatchObject({ text: 'Hello!', from: { nickname: 'Ann', type: 'Agent' } });
  });

  it('is found by id and by guid, and media types are accepted in any case', async () => {
    const guid = randomUUID();
    const created = await post(chatRecord({ guid, mediaType: 'Chat' }));
    expect(created.body.guid).toBe(guid);
    const byGuid = await get(guid);
    const byId = await get(created.body.id);
    expect(byGuid.body.id).toBe(created.body.id);
    expect(byId.body.guid).toBe(guid);
    expect(byId.body.mediaType).toBe('chat');
  });

  it('upserts idempotently: the same record twice is one interaction in the same state', async () => {
    const record = callRecord({ id: 'IDEMPOTENT000001' });
    const first = await post(record);
    const again = await post(record);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: 'IDEMPOTENT000001', guid: record.guid, created: false });
    const a = await get('IDEMPOTENT000001');
    const search = await call(`${api()}/interactions?contactId=&limit=1000`, { headers: { authorization: admin } });
    expect(search.status).toBe(400); // empty contactId is refused, naming the field
    expect(search.body.field).toBe('contactId');
    const all = await call(`${api()}/interactions?limit=1000`, { headers: { authorization: admin } });
    expect(all.body.items.filter((i: { id: string }) => i.id === 'IDEMPOTENT000001')).toHaveLength(1);
    const { content: _c, ...withoutContent } = a.body;
    const updated = await post({ ...record, state: 'Pending', subject: 'changed' });
    expect(updated.status).toBe(200);
    const b = await get(record.guid);
    expect(b.body).toMatchObject({ ...withoutContent, state: 'Pending', subject: 'changed' });
  });

  it('keeps stored messages when an update carries none, and replaces them when it does', async () => {
    const record = chatRecord({ id: 'KEEPMESSAGES0001' });
    await post(record);
    const { messages: _m, ...withoutMessages } = record;
    await post({ ...withoutMessages, subject: 'updated' });
    expect((await get('KEEPMESSAGES0001')).body.messages).toHaveLength(2);
    await post({ ...record, messages: [] });
    expect((await get('KEEPMESSAGES0001')).body.messages).toHaveLength(0);
  });

  it('refuses an update that would move a guid to another interaction', async () => {
    const a = await post(callRecord());
    const b = await post(callRecord());
    const res = await post(callRecord({ id: a.body.id, guid: b.body.guid }));
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.field).toBe('guid');
  });

  it('stores a batch all or nothing, listing every invalid record with its index', async () => {
    const good = [callRecord({ id: 'BATCHGOOD0000001' }), callRecord({ id: 'BATCHGOOD0000002' })];
    const bad = await call(`${api()}/interactions:batch`, {
      method: 'POST',
      headers: { authorization: admin },
      json: {
        records: [
          good[0],
          { mediaType: 'fax', startDate: 'yesterday' },
          good[1],
          { startDate: '2025-01-01T00:00:00Z', typeId: 'Sideways' },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('IXV_INVALID_BATCH');
    expect(bad.body.invalidRecords.map((r: { index: number }) => r.index)).toEqual([1, 3]);
    const fields = (i: number) => bad.body.invalidRecords[i].problems.map((p: { field: string }) => p.field).sort();
    expect(fields(0)).toEqual(['mediaType', 'startDate']);
    expect(fields(1)).toEqual(['mediaType', 'typeId']);
    expect((await get('BATCHGOOD0000001')).status).toBe(404);

    const ok = await call(`${api()}/interactions:batch`, { method: 'POST', headers: { authorization: admin }, json: good });
    expect(ok.status).toBe(200);
    expect(ok.body.results).toEqual([
      { id: 'BATCHGOOD0000001', guid: good[0]?.guid, created: true },
      { id: 'BATCHGOOD0000002', guid: good[1]?.guid, created: true },
    ]);
  });

  it('refuses duplicates inside one batch and batches over 1000 records', async () => {
    const dup = await call(`${api()}/interactions:batch`, {
      method: 'POST',
      headers: { authorization: admin },
      json: [callRecord({ id: 'DUPINBATCH000001' }), callRecord({ id: 'DUPINBATCH000001' })],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.invalidRecords).toEqual([{ index: 1, problems: [{ field: 'id', message: 'same id as record 0' }] }]);
    const tooMany = await call(`${api()}/interactions:batch`, {
      method: 'POST',
      headers: { authorization: admin },
      json: Array.from({ length: 1001 }, () => callRecord()),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.field).toBe('records');
    expect((await get('DUPINBATCH000001')).status).toBe(404);
  });

  it('a batch that conflicts with stored identities stores nothing', async () => {
    const a = await post(callRecord());
    const res = await call(`${api()}/interactions:batch`, {
      method: 'POST',
      headers: { authorization: admin },
      json: [callRecord({ id: 'CONFLICTBATCH001' }), callRecord({ id: a.body.id, guid: randomUUID() })],
    });
    expect(res.status).toBe(409);
    expect(res.body.invalidRecords[0].index).toBe(1);
    expect((await get('CONFLICTBATCH001')).status).toBe(404);
  });

  it('patches with JSON merge patch semantics and validates the result', async () => {
    const created = await post(chatRecord({ state: 'InProcess', endDate: undefined }));
    const id = created.body.id;
    const patched = await call(`${api()}/interactions/${id}`, {
      method: 'PATCH',
      headers: { authorization: admin, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({
        state: 'Stopped',
        endDate: '2025-03-10T09:10:00Z',
        customAttributes: { CustomerId: null, Extra: 'x' },
      }),
    });
    expect(patched.status).toBe(200);
    const got = await get(id);
    expect(got.body.state).toBe('Stopped');
    expect(got.body.endDate).toBe('2025-03-10T09:10:00.000Z');
    expect(got.body.customAttributes).toEqual({ SearchId: '123456', Extra: 'x' });
    expect(got.body.messages).toHaveLength(2);

    const bad = await call(`${api()}/interactions/${id}`, {
      method: 'PATCH',
      headers: { authorization: admin },
      json: { endDate: '2025-03-09T00:00:00Z' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('endDate');
    const guidChange = await call(`${api()}/interactions/${id}`, {
      method: 'PATCH',
      headers: { authorization: admin },
      json: { guid: randomUUID() },
    });
    expect(guidChange.status).toBe(400);
    expect(guidChange.body.field).toBe('guid');
    expect((await get(id)).body.endDate).toBe('2025-03-10T09:10:00.000Z');
  });

  it('appends messages, numbering those without index after the last one', async () => {
    const created = await post(chatRecord());
    const res = await call(`${api()}/interactions/${created.body.id}/messages`, {
      method: 'POST',
      headers: { authorization: admin },
      json: {
        messages: [
          { from: { type: 'Customer', nickname: 'You' }, text: 'Still there?', timestamp: '2025-03-10T09:01:00Z', type: 'Text' },
          { from: { type: 'Agent' }, timestamp: '2025-03-10T09:02:00+02:00', type: 'ParticipantLeft' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.indexes).toEqual([3, 4]);
    const got = await get(created.body.id);
    expect(got.body.messages.map((m: { index: number }) => m.index)).toEqual([1, 2, 3, 4]);
    expect(got.body.messages[3].timestamp).toBe('2025-03-10T07:02:00.000Z');
  });

  it('deletes an interaction with everything it owns', async () => {
    const created = await post(chatRecord());
    const del = await call(`${api()}/interactions/${created.body.id}`, { method: 'DELETE', headers: { authorization: admin } });
    expect(del.status).toBe(204);
    expect((await get(created.body.id)).status).toBe(404);
    const again = await call(`${api()}/interactions/${created.body.id}`, { method: 'DELETE', headers: { authorization: admin } });
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('IXV_INTERACTION_NOT_FOUND');
  });

  it('round-trips awkward text exactly (quotes, backslashes, braces, NULL, unicode)', async () => {
    const awkward = ['"quoted"', 'back\\slash', '{braces}', 'a,b', "it's", 'NULL', '', '  ', 'Müller 🎧', 'line\nbreak'];
    const record = chatRecord({
      subject: awkward.join(' | '),
      comment: 'NULL',
      customAttributes: Object.fromEntries(awkward.map((v, i) => [`k${i}`, v])),
      userData: { nested: { list: awkward } },
      messages: awkward.map((text, i) => ({
        index: i + 1,
        from: { type: 'Customer', nickname: text },
        text,
        timestamp: '2025-03-10T09:00:00Z',
        type: 'Text',
      })),
    });
    const batch = await call(`${api()}/interactions:batch`, {
      method: 'POST',
      headers: { authorization: admin },
      json: [record],
    });
    expect(batch.status).toBe(200);
    const got = await get(batch.body.results[0].id);
    expect(got.body.subject).toBe(record.subject);
    expect(got.body.comment).toBe('NULL');
    expect(got.body.customAttributes).toEqual(record.customAttributes);
    expect(got.body.userData).toEqual(record.userData);
    expect(got.body.messages.map((m: { text: string }) => m.text)).toEqual(awkward);
    expect(got.body.messages.map((m: { from: { nickname: string } }) => m.from.nickname)).toEqual(awkward);
  });

  describe('malformed input gets a problem naming the field', () => {
    const cases: [string, unknown, string][] = [
      ['not an object', [1, 2], 'body'],
      ['missing mediaType', { startDate: '2025-01-01T00:00:00Z' }, 'mediaType'],
      ['unknown mediaType', { mediaType: 'pigeon', startDate: '2025-01-01T00:00:00Z' }, 'mediaType'],
      ['missing startDate', { mediaType: 'call' }, 'startDate'],
      ['date without zone', { mediaType: 'call', startDate: '2025-01-01T00:00:00' }, 'startDate'],
      ['impossible date', { mediaType: 'call', startDate: '2025-02-30T00:00:00Z' }, 'startDate'],
      ['bad guid', { mediaType: 'call', startDate: '2025-01-01T00:00:00Z', guid: 'not-a-guid' }, 'guid'],
      ['bad id', { mediaType: 'call', startDate: '2025-01-01T00:00:00Z', id: 'has space' }, 'id'],
      ['bad state', { mediaType: 'call', startDate: '2025-01-01T00:00:00Z', state: 'Exploded' }, 'state'],
      ['negative duration', { mediaType: 'call', startDate: '2025-01-01T00:00:00Z', callDuration: -1 }, 'callDuration'],
      [
        'owner without id',
        { mediaType: 'call', startDate: '2025-01-01T00:00:00Z', ownerInformation: { userName: 'x' } },
        'ownerInformation.id',
      ],
      [
        'attribute not a string',
        { mediaType: 'call', startDate: '2025-01-01T00:00:00Z', customAttributes: { a: { b: 1 } } },
        'customAttributes.a',
      ],
      ['userData not an object', { mediaType: 'call', startDate: '2025-01-01T00:00:00Z', userData: 'x' }, 'userData'],
      [
        'message without timestamp',
        { mediaType: 'chat', startDate: '2025-01-01T00:00:00Z', messages: [{ from: { type: 'Agent' }, type: 'Text' }] },
        'messages.0.timestamp',
      ],
      [
        'handling agent without id',
        { mediaType: 'call', startDate: '2025-01-01T00:00:00Z', handlingAgents: [{}] },
        'handlingAgents.0.id',
      ],
    ];
    for (const [name, body, field] of cases) {
      it(name, async () => {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
        expect(res.body).toMatchObject({ status: 400, title: 'Bad Request', instance: '/api/v1/interactions' });
      });
    }

    it('broken JSON', async () => {
      const res = await call(`${api()}/interactions`, {
        method: 'POST',
        headers: { authorization: admin, 'content-type': 'application/json' },
        body: '{"mediaType": ',
      });
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('body');
    });

    it('messages that are not an array, and unknown query parameters', async () => {
      const created = await post(chatRecord());
      const res = await call(`${api()}/interactions/${created.body.id}/messages`, {
        method: 'POST',
        headers: { authorization: admin },
        json: { messages: 'hi' },
      });
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('messages');
      const q = await call(`${api()}/interactions/${created.body.id}?sauce=archive`, { headers: { authorization: admin } });
      expect(q.status).toBe(400);
      expect(q.body.field).toBe('sauce');
      const src = await call(`${api()}/interactions/${created.body.id}?source=attic`, { headers: { authorization: admin } });
      expect(src.status).toBe(400);
      expect(src.body.field).toBe('source');
    });

    it('unknown routes are problems too', async () => {
      const res = await call(`${api()}/nothing-here`, { headers: { authorization: admin } });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    });
  });
});
