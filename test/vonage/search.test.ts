import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';
import { type Ingested, ingest, searchPath, V2, vonage } from './helpers.js';

const DAY_START = '2025-04-01T00:00:00Z';
const DAY_END = '2025-04-02T00:00:00Z';
const SECONDS_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe(`Vonage search (${BACKEND})`, () => {
  let server: TestServer;
  let reader: string;
  const at: Record<string, Ingested> = {};

  beforeAll(async () => {
    server = await build();
    reader = await server.bearer('acme-reader');
    const writer = await server.bearer('acme-writer');
    at.atStart = await ingest(
      server,
      writer,
      { startDate: DAY_START, connectFrom: '01473111', connectTo: '22222', handlingAgents: [{ id: 'agent-2' }] },
      [
        { key: 'callRecording', body: 'RIFF....WAVEfmt ', contentType: 'audio/wav', query: { duration: '180000' } },
        { key: 'vm-1', body: 'voicemail bytes', contentType: 'audio/wav', query: { type: 'voicemail', owningAgent: 'agent-2' } },
        {
          key: 'ivr-1',
          body: 'ivr bytes',
          contentType: 'audio/wav',
          query: { type: 'ivrAudioRecording', owningInteractionPlan: '816f1144-ac27-4bba-a280-cc66' },
        },
        {
          key: 'chat-1',
          body: '{"messages":[]}',
          contentType: 'application/json',
          query: { type: 'chatTranscript', version: '1', duration: '5000' },
        },
      ],
    );
    at.outbound = await ingest(server, writer, {
      startDate: '2025-04-01T10:00:00.250Z',
      typeId: 'Outbound',
      connectFrom: '+14155550100',
      connectTo: '01473999',
      ownerInformation: { id: 'agent-1' },
      handlingAgents: [{ id: 'agent-1' }],
    });
    at.noContent = await ingest(server, writer, { startDate: '2025-04-01T12:00:00Z' }, []);
    at.unknownType = await ingest(server, writer, {
      startDate: '2025-04-01T20:00:00Z',
      typeId: 'Unknown',
      connectFrom: undefined,
      connectTo: undefined,
    });
    at.atEnd = await ingest(server, writer, {
      startDate: DAY_END,
      connectFrom: '01473222',
      ownerInformation: { id: 'agent-2' },
      handlingAgents: [{ id: 'agent-1' }, { id: 'agent-2' }],
    });
    at.justAfter = await ingest(server, writer, { startDate: '2025-04-02T00:00:00.001Z' });
    at.justBefore = await ingest(server, writer, { startDate: '2025-03-31T23:59:59.999Z' });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const guids = (body: { items: { guid: string }[] }) => body.items.map((i) => i.guid);
  const search = (params: Record<string, string> = {}, start = DAY_START, end = DAY_END) =>
    vonage(server, searchPath(start, end, params), reader);

  it('warns when connectFrom starts with a space, as an unencoded + becomes', async () => {
    const res = await vonage(server, `/interactions?start=${DAY_START}&end=${DAY_END}&connectFrom=+1415`, reader);
    expect(res.status).toBe(200);
    expect(res.headers.get('warning')).toContain('connectFrom starts with a space');
  });

  it('returns the interactions with content in the inclusive window, oldest first, on one last page', async () => {
    const res = await search();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(guids(res.body)).toEqual([at.atStart?.guid, at.outbound?.guid, at.unknownType?.guid, at.atEnd?.guid]);
    expect(res.body.meta).toEqual({ nextContinuationToken: null });
  });

  it('prints an item in the shape of the seed, field by field', async () => {
    const res = await search({ connectFrom: '01473111' });
    expect(res.body.items).toHaveLength(1);
    const item = res.body.items[0];
    expect(Object.keys(item)).toEqual(['guid', 'start', 'connectFrom', 'connectTo', 'direction', 'handlingAgents', 'content']);
    expect(item.guid).toBe(at.atStart?.guid);
    expect(item.start).toBe('2025-04-01T00:00:00Z');
    expect(item.connectFrom).toBe('01473111');
    expect(item.connectTo).toBe('22222');
    expect(item.direction).toBe('inbound');
    expect(item.handlingAgents).toEqual([{ id: 'agent-2' }]);
    const byKey = Object.fromEntries(item.content.map((c: { contentKey: string }) => [c.contentKey, c]));
    for (const c of item.content) expect(c.lastModified).toMatch(SECONDS_INSTANT);
    expect(byKey.callRecording).toEqual({
      contentKey: 'callRecording',
      type: 'callRecording',
      contentType: 'audio/wav',
      contentLength: 16,
      lastModified: byKey.callRecording.lastModified,
      properties: { duration: { value: 180000 } },
    });
    expect(byKey['vm-1']).toMatchObject({ type: 'voicemail', owningAgent: { id: 'agent-2' }, contentLength: 15, properties: {} });
    expect(byKey['vm-1']).not.toHaveProperty('owningInteractionPlan');
    expect(byKey['ivr-1']).toMatchObject({
      type: 'ivrAudioRecording',
      owningInteractionPlan: { id: '816f1144-ac27-4bba-a280-cc66' },
      properties: {},
    });
    expect(byKey['ivr-1']).not.toHaveProperty('owningAgent');
    expect(byKey['chat-1']).toMatchObject({
      type: 'chatTranscript',
      contentType: 'application/json',
      contentLength: 15,
      properties: { version: { value: 1 }, duration: { value: 5000 } },
    });
  });

  it('prints milliseconds only when the start has them, and null for what the record lacks', async () => {
    const res = await search({ limit: '3' });
    const [, outbound, unknown] = res.body.items;
    expect(outbound.start).toBe('2025-04-01T10:00:00.250Z');
    expect(outbound.direction).toBe('outbound');
    expect(unknown).toMatchObject({ connectFrom: null, connectTo: null, direction: null });
  });

  it('filters by handling agent, prefixes and direction', async () => {
    expect(guids((await search({ handlingAgentId: 'agent-1' })).body)).toEqual([at.outbound?.guid, at.atEnd?.guid]);
    expect(guids((await search({ handlingAgentId: 'nobody' })).body)).toEqual([]);
    expect(guids((await search({ connectFrom: '01473' })).body)).toEqual([at.atStart?.guid, at.atEnd?.guid]);
    expect(guids((await search({ connectFrom: '+1415' })).body)).toEqual([at.outbound?.guid]);
    expect(guids((await search({ connectTo: '01473' })).body)).toEqual([at.outbound?.guid]);
    expect(guids((await search({ connectTo: '2' })).body)).toEqual([at.atStart?.guid, at.atEnd?.guid]);
    expect(guids((await search({ direction: 'outbound' })).body)).toEqual([at.outbound?.guid]);
    expect(guids((await search({ direction: 'inbound' })).body)).toEqual([at.atStart?.guid, at.atEnd?.guid]);
    expect(guids((await search({ direction: 'inbound', handlingAgentId: 'agent-2', connectFrom: '014732' })).body)).toEqual([
      at.atEnd?.guid,
    ]);
  });

  it('matches parameter names in any case, as the seed sample sends connectfrom', async () => {
    const res = await vonage(
      server,
      `/interactions?START=${DAY_START}&end=${DAY_END}&connectfrom=01473&HANDLINGAGENTID=agent-2&Direction=inbound`,
      reader,
      { headers: { accept: V2 } },
    );
    expect(res.status).toBe(200);
    expect(guids(res.body)).toEqual([at.atStart?.guid, at.atEnd?.guid]);
  });

  it('ignores parameters it does not know', async () => {
    const res = await search({ cacheBuster: '12345' });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(4);
  });

  it('pages by limit, defaulting to 1000', async () => {
    const one = await search({ limit: '1' });
    expect(guids(one.body)).toEqual([at.atStart?.guid]);
    expect(typeof one.body.meta.nextContinuationToken).toBe('string');
    const max = await search({ limit: '1000' });
    expect(max.body.items).toHaveLength(4);
    expect(max.body.meta.nextContinuationToken).toBeNull();
  });

  it('accepts a window of exactly 7 days', async () => {
    const res = await search({}, '2025-03-26T00:00:00Z', '2025-04-02T00:00:00Z');
    expect(res.status).toBe(200);
    expect(guids(res.body)).toEqual([
      at.justBefore?.guid,
      at.atStart?.guid,
      at.outbound?.guid,
      at.unknownType?.guid,
      at.atEnd?.guid,
    ]);
  });

  it.each([
    ['start missing', `/interactions?end=${DAY_END}`, 'start'],
    ['end missing', `/interactions?start=${DAY_START}`, 'end'],
    ['start not ISO 8601', searchPath('yesterday', DAY_END), 'start'],
    ['end not a real date', searchPath(DAY_START, '2025-02-30T00:00:00Z'), 'end'],
    ['end before start', searchPath(DAY_END, DAY_START), 'end'],
    ['more than 7 days', searchPath('2025-03-26T00:00:00Z', '2025-04-02T00:00:00.001Z'), 'end'],
    ['limit 0', searchPath(DAY_START, DAY_END, { limit: '0' }), 'limit'],
    ['limit 1001', searchPath(DAY_START, DAY_END, { limit: '1001' }), 'limit'],
    ['limit not a number', searchPath(DAY_START, DAY_END, { limit: 'ten' }), 'limit'],
    ['connectFrom over 50', searchPath(DAY_START, DAY_END, { connectFrom: '1'.repeat(51) }), 'connectFrom'],
    ['connectTo over 50', searchPath(DAY_START, DAY_END, { connectTo: 'x'.repeat(51) }), 'connectTo'],
    ['connectFrom empty', searchPath(DAY_START, DAY_END, { connectFrom: '' }), 'connectFrom'],
    ['handlingAgentId empty', searchPath(DAY_START, DAY_END, { handlingAgentId: '' }), 'handlingAgentId'],
    ['direction unknown', searchPath(DAY_START, DAY_END, { direction: 'sideways' }), 'direction'],
    ['start given twice', `${searchPath(DAY_START, DAY_END)}&Start=${DAY_START}`, 'start'],
  ])('refuses %s with a 400 naming the parameter', async (_name, path, parameter) => {
    const res = await vonage(server, path, reader);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['message']);
    expect(res.body.message).toContain(parameter);
  });

  it('accepts exactly 50 characters of prefix', async () => {
    const res = await search({ connectFrom: '0'.repeat(50), connectTo: '2'.repeat(50) });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
  });

  it('gets one interaction in the same item shape, and only one with content', async () => {
    const listed = (await search({ connectFrom: '01473111' })).body.items[0];
    const one = await vonage(server, `/interactions/${at.atStart?.guid}`, reader);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(listed);
    const upper = await vonage(server, `/interactions/${at.atStart?.guid.toUpperCase()}`, reader);
    expect(upper.body.guid).toBe(at.atStart?.guid);
    const empty = await vonage(server, `/interactions/${at.noContent?.guid}`, reader);
    expect(empty.status).toBe(404);
    expect(empty.body.message).toContain(at.noContent?.guid);
  });
});
