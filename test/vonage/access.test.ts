import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';
import { type Ingested, ingest, searchPath, V2, V3, vonage } from './helpers.js';

const START = '2025-08-01T00:00:00Z';
const END = '2025-08-03T00:00:00Z';
const INVALID_VERSION =
  "Invalid api-version! Valid values: 'application/vnd.newvoicemedia.v2+json', 'application/vnd.newvoicemedia.v3+json'";

describe(`Vonage headers, auth and isolation (${BACKEND})`, () => {
  let server: TestServer;
  let reader: string;
  let ofAgent1: Ingested;
  let ofAgent2: Ingested;
  let shared: Ingested;

  beforeAll(async () => {
    server = await build();
    reader = await server.bearer('acme-reader');
    const writer = await server.bearer('acme-writer');
    const agent = (id: string) => ({ ownerInformation: { id }, handlingAgents: [{ id }] });
    ofAgent1 = await ingest(server, writer, { startDate: '2025-08-01T09:00:00Z', ...agent('agent-1') });
    ofAgent2 = await ingest(server, writer, { startDate: '2025-08-01T10:00:00Z', ...agent('agent-2') });
    shared = await ingest(server, writer, {
      startDate: '2025-08-01T11:00:00Z',
      ownerInformation: { id: 'agent-2' },
      handlingAgents: [{ id: 'agent-1' }, { id: 'agent-2' }],
    });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const guids = (body: { items: { guid: string }[] }) => body.items.map((i) => i.guid);
  const paths = () => [
    searchPath(START, END),
    `/interactions/${ofAgent1.guid}`,
    `/interactions/${ofAgent1.guid}/content/callRecording`,
  ];

  describe('the versioned Accept header', () => {
    it.each([
      ['missing', undefined],
      ['plain JSON', 'application/json'],
      ['anything', '*/*'],
      ['version 1', 'application/vnd.newvoicemedia.v1+json'],
      ['version 4', 'application/vnd.newvoicemedia.v4+json'],
    ])('refuses %s with Vonage’s message on every route', async (_name, accept) => {
      for (const path of paths()) {
        const headers: Record<string, string> = { authorization: reader };
        if (accept !== undefined) headers.accept = accept;
        const res = await call(`${server.url}/interaction-content${path}`, { headers });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ message: INVALID_VERSION });
      }
      const del = await call(`${server.url}/interaction-content/interactions/${shared.guid}`, {
        method: 'DELETE',
        headers: { authorization: await server.bearer('acme-qa'), accept: accept ?? '' },
      });
      expect(del.status).toBe(400);
    });

    it.each([
      ['v2', V2],
      ['v3', V3],
      ['in upper case', V3.toUpperCase()],
      ['in a list with weights', `application/json;q=0.5, ${V2};q=0.9`],
    ])('serves %s', async (_name, accept) => {
      for (const path of paths()) {
        const res = await vonage(server, path, reader, { headers: { accept } });
        expect(res.status).toBe(200);
      }
    });

    it('answers v2 and v3 alike', async () => {
      const v2 = await vonage(server, searchPath(START, END), reader, { headers: { accept: V2 } });
      const v3 = await vonage(server, searchPath(START, END), reader, { headers: { accept: V3 } });
      expect(v2.body).toEqual(v3.body);
    });
  });

  describe('credentials and scopes', () => {
    it('answers 401 without a token, with a bad one, or with an unknown scheme, before looking at the Accept header', async () => {
      for (const authorization of [undefined, 'Bearer not-a-token', 'Bearer ', 'Token abc']) {
        for (const path of paths()) {
          const res = await vonage(server, path, authorization, { headers: { accept: 'text/html' } });
          expect(res.status).toBe(401);
          expect(Object.keys(res.body)).toEqual(['message']);
          expect(res.headers.get('www-authenticate')).toBe('Bearer');
        }
      }
    });

    it('answers 401 for a token whose signature was altered', async () => {
      const token = reader.slice('Bearer '.length);
      const altered = `${token.slice(0, -3)}${token.endsWith('A') ? 'BBB' : 'AAA'}`;
      expect((await vonage(server, searchPath(START, END), `Bearer ${altered}`)).status).toBe(401);
    });

    it('answers 403 without interaction-content:read, before validating parameters', async () => {
      const writer = await server.bearer('acme-writer');
      const historyOnly = await server.bearer('acme-qa', 'interactions:read');
      for (const auth of [writer, historyOnly]) {
        for (const path of [...paths(), '/interactions?limit=0']) {
          const res = await vonage(server, path, auth);
          expect(res.status).toBe(403);
          expect(res.body).toEqual({ message: expect.stringContaining('interaction-content:read') });
        }
      }
    });

    it('serves a token limited to interaction-content:read', async () => {
      const narrowed = await server.bearer('acme-qa', 'interaction-content:read');
      const res = await vonage(server, searchPath(START, END), narrowed);
      expect(guids(res.body)).toEqual([ofAgent1.guid, ofAgent2.guid, shared.guid]);
    });
  });

  describe('isolation', () => {
    it("never shows another tenant's interactions: empty search, 404 for its GUIDs", async () => {
      const globex = await server.bearer('globex-qa');
      expect((await vonage(server, searchPath(START, END), globex)).body).toEqual({
        items: [],
        meta: { nextContinuationToken: null },
      });
      for (const path of paths().slice(1)) {
        const res = await vonage(server, path, globex);
        expect(res.status).toBe(404);
        expect(JSON.stringify(res.body)).not.toContain('agent-1');
      }
    });

    it('keeps two tenants apart even when they hold the same GUID', async () => {
      const globex = await server.bearer('globex-qa');
      await call(`${server.url}/api/v1/interactions`, {
        method: 'POST',
        headers: { authorization: globex },
        json: {
          guid: ofAgent2.guid,
          mediaType: 'call',
          typeId: 'Outbound',
          startDate: '2025-08-01T10:00:00Z',
          connectFrom: 'globex',
        },
      });
      await call(`${server.url}/api/v1/interactions/${ofAgent2.guid}/content/transcript`, {
        method: 'PUT',
        headers: { authorization: globex, 'content-type': 'application/json' },
        body: '{"globex":true}',
      });
      const theirs = await vonage(server, `/interactions/${ofAgent2.guid}`, globex);
      expect(theirs.body).toMatchObject({
        connectFrom: 'globex',
        direction: 'outbound',
        content: [{ contentKey: 'transcript' }],
      });
      const ours = await vonage(server, `/interactions/${ofAgent2.guid}`, reader);
      expect(ours.body).toMatchObject({
        connectFrom: '14154204204',
        direction: 'inbound',
        content: [{ contentKey: 'callRecording' }],
      });
      expect((await vonage(server, `/interactions/${ofAgent2.guid}/content/transcript`, reader)).status).toBe(404);
    });

    it('shows an agent only the interactions it owns or handled', async () => {
      const agent1 = server.basic('agent1');
      expect(guids((await vonage(server, searchPath(START, END), agent1)).body)).toEqual([ofAgent1.guid, shared.guid]);
      expect(guids((await vonage(server, searchPath(START, END, { handlingAgentId: 'agent-2' }), agent1)).body)).toEqual([
        shared.guid,
      ]);
      expect((await vonage(server, `/interactions/${ofAgent2.guid}`, agent1)).status).toBe(404);
      expect((await vonage(server, `/interactions/${ofAgent2.guid}/content/callRecording`, agent1)).status).toBe(404);
      expect((await vonage(server, `/interactions/${shared.guid}/content/callRecording`, agent1)).status).toBe(200);
      const supervisor = await vonage(server, searchPath(START, END), server.basic('super1'));
      expect(guids(supervisor.body)).toEqual([ofAgent1.guid, ofAgent2.guid, shared.guid]);
    });

    it('lets an agent read but not delete', async () => {
      const res = await vonage(server, `/interactions/${ofAgent1.guid}`, server.basic('agent1'), { method: 'DELETE' });
      expect(res.status).toBe(403);
    });
  });

  describe('GUIDs and routes', () => {
    it.each([
      ['too short', '111414121313', 'GUID must be 36 characters in length'],
      ['too long', `${'a'.repeat(36)}0`, 'GUID must be 36 characters in length'],
      [
        '36 characters but not a UUID',
        '2480fc2c-bbd7-427c-9439+02f76583aef5',
        "GUID '2480fc2c-bbd7-427c-9439+02f76583aef5' is not a valid UUID string",
      ],
    ])('refuses a GUID %s with Vonage’s message', async (_name, guid, message) => {
      for (const path of [`/interactions/${guid}`, `/interactions/${guid}/content/callRecording`]) {
        const res = await vonage(server, path, reader);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ message });
      }
    });

    it('answers 404 with a message for an unknown path or an unknown GUID', async () => {
      const unknownPath = await vonage(server, '/nothing-here', reader);
      expect(unknownPath.status).toBe(404);
      expect(Object.keys(unknownPath.body)).toEqual(['message']);
      const unknownGuid = await vonage(server, '/interactions/2480fc2c-bbd7-427c-9439-02f76583aef5', reader);
      expect(unknownGuid).toMatchObject({ status: 404, body: { message: expect.stringContaining('2480fc2c') } });
    });

    it('documents every route in the OpenAPI description', async () => {
      const res = await call(`${server.url}/openapi.json`);
      const spec = res.body as {
        paths: Record<string, Record<string, { tags: string[]; parameters: { name: string; in: string }[] }>>;
      };
      const expected: [string, string[]][] = [
        ['/interaction-content/interactions', ['get']],
        ['/interaction-content/interactions/{guid}', ['get', 'delete']],
        ['/interaction-content/interactions/{guid}/content/{contentKey}', ['get', 'delete']],
      ];
      for (const [path, methods] of expected) {
        for (const method of methods) {
          const operation = spec.paths[path]?.[method];
          expect(operation?.tags).toEqual(['vonage']);
          expect(operation?.parameters).toContainEqual(expect.objectContaining({ name: 'accept', in: 'header' }));
        }
      }
      const searchParameters = spec.paths['/interaction-content/interactions']?.get?.parameters.map((p) => p.name);
      expect(searchParameters).toEqual(
        expect.arrayContaining([
          'start',
          'end',
          'handlingAgentId',
          'connectFrom',
          'connectTo',
          'direction',
          'continuationToken',
          'limit',
        ]),
      );
    });
  });
});
