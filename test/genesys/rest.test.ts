/** The synchronous GET of the interaction history resource, the session cookie, and the OpenAPI description. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';
import { idsOf, loadContactCenter } from './data.js';

describe(`Genesys REST extras (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await build();
    await loadContactCenter(server);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });
  const get = (query: string, authorization = server.basic('super1')) =>
    call(`${server.url}/api/v2/ucs/interactions${query}`, { headers: { authorization } });

  it('GET answers at once with the same filters as query parameters', async () => {
    const res = await get(
      '?fromDate=2025-03-10&toDate=2025-03-10&mediaType=CHAT&sort=asc&maxSize=5&customAttributes=SearchId,CustomerId&searchCustomAttributes=SearchId=123456',
    );
    expect(res.status).toBe(200);
    expect(res.body.statusCode).toBe(0);
    expect(res.body.interactions.map((i: any) => i.id)).toEqual(idsOf('dayStart', 'dayEnd'));
    expect(res.body.interactions[0]).toEqual({
      uri: `${server.url}/api/v2/interactions/DAY00000000START`,
      id: 'DAY00000000START',
      path: '/interactions/DAY00000000START',
      mediaType: 'chat',
      typeId: 'Inbound',
      state: 'Stopped',
      startDate: '2025-03-10 00:30:00.000+0200',
      endDate: '2025-03-10 00:30:00.000+0200',
      subject: expect.any(String),
      contactId: 'days',
      ownerInformation: { id: 'agent-1', userName: 'agent1', firstName: 'Ann', lastName: 'Agent' },
      customAttributes: { SearchId: '123456', CustomerId: 'a21d4c3' },
    });
  });

  it('GET: contactId, userId, source and repeated list parameters', async () => {
    const contact = await get('?contactId=contact-a&customAttributes=SearchId&customAttributes=CustomerId');
    expect(contact.body.interactions.map((i: any) => [i.id, i.customAttributes])).toEqual([
      ['HIST0000000CHAT1', { SearchId: '1', CustomerId: 'x' }],
      ['HIST000000EMAIL1', { SearchId: '1' }],
    ]);
    const agent = await get('?userId=agent-2&searchCustomAttributes=SearchId=2&searchCustomAttributes=CustomerId=x');
    expect(agent.body.interactions.map((i: any) => i.id)).toEqual(idsOf('call'));
    const archive = await get('?source=archive&fromDate=2019-01-01&toDate=2019-12-31');
    expect(archive.body.interactions.map((i: any) => i.id)).toEqual(idsOf('archived'));
  });

  it('GET: errors as Web Services return values', async () => {
    expect((await get('?mediaType=twitter')).body).toEqual({
      statusCode: 3,
      statusMessage: 'mediaType: the feature api-multimedia-twitter is not enabled for this tenant',
    });
    const bad = await get('?searchCustomAttributes=novalue');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ statusCode: 2, statusMessage: expect.stringMatching(/^searchCustomAttributes\.0: /) });
  });

  it('a call authenticated by Basic sets a strict, HttpOnly session cookie that authenticates later calls', async () => {
    const first = await get('?maxSize=1');
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^ixv_session=[\w.-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0] as string;
    const byCookie = await call(`${server.url}/api/v2/ucs/interactions?maxSize=1`, { headers: { cookie } });
    expect(byCookie.status).toBe(200);
    expect(byCookie.headers.get('set-cookie')).toBeNull();
    // API clients have no browser session.
    const byToken = await get('?maxSize=1', await server.bearer('acme-qa'));
    expect(byToken.status).toBe(200);
    expect(byToken.headers.get('set-cookie')).toBeNull();
  });

  it('publishes the routes in the OpenAPI description under the genesys tag', async () => {
    const spec = await call(`${server.url}/openapi.json`);
    const paths = spec.body.paths as Record<string, Record<string, { tags?: string[] }>>;
    const genesys = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.tags?.includes('genesys'))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(genesys.sort()).toEqual([
      'GET /api/v2/emails/{id}/attachments/{attachmentId}',
      'GET /api/v2/interactions/{id}',
      'GET /api/v2/ucs/interactions',
      'POST /api/v2/contacts/ucs',
      'POST /api/v2/ucs/contacts/{id}/interactions',
      'POST /api/v2/ucs/interactions',
      'POST /api/v2/ucs/interactions/{id}',
    ]);
  });
});
