/** The `uri` of every interaction resource resolves: GET on it returns that interaction, to those who may see it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { ingest } from './helpers.js';

describe(`Genesys interaction resource at its uri (${BACKEND})`, () => {
  let server: TestServer;
  let chatId: string;
  let callId: string;

  beforeAll(async () => {
    server = await startTestServer();
    [chatId = '', callId = ''] = await ingest(server, [
      chatRecord({ startDate: '2025-04-02T09:00:00.000Z', endDate: '2025-04-02T09:05:00.000Z' }),
      callRecord({ startDate: '2025-04-02T10:00:00.000Z', endDate: '2025-04-02T10:03:00.000Z' }),
    ]);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const get = (url: string, authorization?: string) =>
    call(url, { headers: authorization === undefined ? {} : { authorization } });

  async function history(authorization: string) {
    const res = await get(`${server.url}/api/v2/ucs/interactions?fromDate=2025-04-02&toDate=2025-04-02`, authorization);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.interactions as Record<string, unknown>[];
  }

  it('answers every uri of a history result with that interaction, field for field', async () => {
    const supervisor = server.basic('super1');
    const resources = await history(supervisor);
    expect(resources.map((r) => r.id).sort()).toEqual([chatId, callId].sort());
    for (const resource of resources) {
      const res = await get(String(resource.uri), supervisor);
      expect(res.status, String(resource.uri)).toBe(200);
      expect(res.body.statusCode).toBe(0);
      // The history resource plus the attached data, as GetInteractionContent delivers it.
      const { customAttributes: _projection, ...fields } = resource;
      expect(res.body.interaction).toEqual(resource.id === chatId ? { ...fields, userData: { queue: 'support' } } : fields);
    }
  });

  it('answers with the same credentials in every form: Basic, a session cookie, a bearer token', async () => {
    const uri = `${server.url}/api/v2/interactions/${callId}`;
    const first = await get(uri, server.basic('agent2'));
    expect(first.status).toBe(200);
    const cookie = first.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toBeTruthy();
    const byCookie = await call(uri, { headers: { cookie: cookie ?? '' } });
    expect(byCookie.status).toBe(200);
    expect(byCookie.body.interaction.id).toBe(callId);
    const byToken = await get(uri, await server.bearer('acme-qa', 'interactions:read'));
    expect(byToken.status).toBe(200);
    expect(byToken.body.interaction).toEqual(first.body.interaction);
  });

  it('also finds the interaction by its GUID', async () => {
    const byId = await get(`${server.url}/api/v2/interactions/${callId}`, server.basic('super1'));
    const guid = await call(`${server.url}/api/v1/interactions/${callId}`, {
      headers: { authorization: server.basic('admin1') },
    });
    const byGuid = await get(`${server.url}/api/v2/interactions/${guid.body.guid}`, server.basic('super1'));
    expect(byGuid.status).toBe(200);
    expect(byGuid.body).toEqual(byId.body);
  });

  it('shows nobody what is not theirs: another agent, another tenant, no credentials', async () => {
    const uri = `${server.url}/api/v2/interactions/${chatId}`;
    const otherAgent = await get(uri, server.basic('agent2'));
    expect(otherAgent.status).toBe(404);
    expect(otherAgent.body).toEqual({ statusCode: 6, statusMessage: expect.any(String) });
    const otherTenant = await get(uri, server.basic('gadmin'));
    expect(otherTenant.status).toBe(404);
    expect(otherTenant.body.statusCode).toBe(6);
    const anonymous = await get(uri);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ statusCode: 20, statusMessage: expect.any(String) });
  });

  it('answers an unknown id or path under /api/v2/interactions in Web Services form, never a framework 404', async () => {
    for (const path of ['/api/v2/interactions/0000NOSUCHID0000', '/api/v2/interactions/x/y']) {
      const res = await get(`${server.url}${path}`, server.basic('super1'));
      expect(res.status, path).toBe(404);
      expect(res.body, path).toEqual({ statusCode: 6, statusMessage: expect.any(String) });
    }
  });

  it('reads the archive when asked, as the UCS operations do', async () => {
    const res = await get(`${server.url}/api/v2/interactions/${callId}?source=archive`, server.basic('super1'));
    expect(res.status).toBe(404);
    expect(res.body.statusCode).toBe(6);
    const bad = await get(`${server.url}/api/v2/interactions/${callId}?source=elsewhere`, server.basic('super1'));
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ statusCode: 2, statusMessage: expect.stringContaining('source') });
  });
});
