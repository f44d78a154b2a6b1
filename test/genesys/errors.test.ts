/** Request-time errors: Web Services return values with the field named, and the matching HTTP status. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, call, PRINCIPALS, removeTestData, type TestServer } from '../helpers/server.js';
import { post } from './helpers.js';

const HISTORY = { operationName: 'RetrieveInteractionHistory' };

describe(`Genesys return values (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await build({
      principals: {
        tenants: [
          ...PRINCIPALS.tenants,
          {
            id: 'voiceonly',
            features: ['api-ucs-voice'],
            users: [{ id: 'v1', userName: 'voice1', password: 'pw-voice1', role: 'supervisor' }],
          },
          { id: 'nofeatures', features: [], users: [{ id: 'n1', userName: 'none1', password: 'pw-none1', role: 'supervisor' }] },
        ],
      },
    });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  async function expectStatus(
    res: Promise<{ status: number; body: any }>,
    http: number,
    statusCode: number,
    message: RegExp,
  ): Promise<void> {
    const { status, body } = await res;
    expect(body).toStrictEqual({ statusCode, statusMessage: expect.stringMatching(message) });
    expect(status).toBe(http);
  }
  const super1 = (path: string, body: Record<string, unknown>) => post(server, path, server.basic('super1'), body);

  it('1: a missing parameter', async () => {
    await expectStatus(super1('/interactions', {}), 400, 1, /^operationName: is required$/);
    const client = await server.bearer('acme-qa');
    // An API client has no history of its own: RetrieveAgentHistory needs the agent.
    await expectStatus(
      post(server, '/interactions', client, { operationName: 'RetrieveAgentHistory' }),
      400,
      1,
      /^userId is required$/,
    );
  });

  it('2: an invalid parameter', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { operationName: 'GetInteractionContent' },
        /^operationName: must be one of RetrieveInteractionHistory, RetrieveAgentHistory, FindPhoneCall$/,
      ],
      [{ ...HISTORY, mediaType: 'fax' }, /^mediaType: 'fax' is not one of call, chat, /],
      [{ ...HISTORY, fromDate: '2025-13-01' }, /^fromDate: '2025-13-01' is neither yyyy-MM-dd nor a timestamp/],
      [{ ...HISTORY, toDate: 'yesterday' }, /^toDate: /],
      [{ ...HISTORY, fromDate: '2025-03-10', toDate: '2025-03-09' }, /^toDate: must not be before fromDate$/],
      [{ ...HISTORY, maxSize: 0 }, /^maxSize: must be >= 1$/],
      [{ ...HISTORY, maxSize: 5000 }, /^maxSize: must be <= 1000$/],
      [{ ...HISTORY, maxSize: 'many' }, /^maxSize: must be integer$/],
      [{ ...HISTORY, sort: 'sideways' }, /^sort: must be one of asc, desc$/],
      [{ ...HISTORY, source: 'attic' }, /^source: must be one of main, archive$/],
      [{ ...HISTORY, searchCustomAttributes: 'SearchId=1' }, /^searchCustomAttributes: must be object$/],
    ];
    for (const [body, message] of cases) await expectStatus(super1('/interactions', body), 400, 2, message);
    await expectStatus(
      super1('/contacts/c1/interactions', HISTORY),
      400,
      2,
      /^operationName: must be one of RetrieveContactHistory$/,
    );
    await expectStatus(super1('/interactions/X1', { operationName: 'GetInteractionContent', source: 'x' }), 400, 2, /^source: /);
    const broken = call(`${server.url}/api/v2/ucs/interactions`, {
      method: 'POST',
      headers: { authorization: server.basic('super1'), 'content-type': 'application/json' },
      body: '{"operationName":',
    });
    await expectStatus(broken, 400, 2, /^body: /);
  });

  it('3: an operation the tenant features forbid', async () => {
    await expectStatus(
      super1('/interactions', { ...HISTORY, mediaType: 'facebook' }),
      403,
      3,
      /^mediaType: the feature api-multimedia-facebook is not enabled for this tenant$/,
    );
    const voice = (path: string, body: Record<string, unknown>) => post(server, path, server.basic('voice1'), body);
    await expectStatus(voice('/interactions', { ...HISTORY, mediaType: 'chat' }), 403, 3, /api-multimedia-chat is not enabled/);
    await expectStatus(
      voice('/interactions/X1', { operationName: 'GetInteractionContent' }),
      403,
      3,
      /^operationName: the feature api-multimedia is not enabled/,
    );
    const voiceHistory = await voice('/interactions', HISTORY);
    expect(voiceHistory.body).toEqual({ statusCode: 0, referenceId: 1 });
    await expectStatus(post(server, '/interactions', server.basic('none1'), HISTORY), 403, 3, /^mediaType: the feature/);
  });

  it('5: the caller lacks the right', async () => {
    const writer = await server.bearer('acme-writer');
    await expectStatus(post(server, '/interactions', writer, HISTORY), 403, 5, /lacks the scope interactions:read/);
    await expectStatus(
      post(server, '/interactions/X1', writer, { operationName: 'GetInteractionContent' }),
      403,
      5,
      /lacks the scope/,
    );
  });

  it('6: no such resource', async () => {
    await expectStatus(super1('/contacts', HISTORY), 404, 6, /^no route POST \/api\/v2\/ucs\/contacts$/);
  });

  it('unauthenticated: 401 with a challenge', async () => {
    const anonymous = await call(`${server.url}/api/v2/ucs/interactions`, { method: 'POST', json: HISTORY });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ statusCode: 20, statusMessage: 'authentication required' });
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await post(server, '/interactions', `Basic ${Buffer.from('super1:nope').toString('base64')}`, HISTORY);
    expect(wrong.status).toBe(401);
    expect(wrong.body.statusCode).toBe(20);
  });

  it('unknown parameters are ignored, as Web Services does', async () => {
    const res = await super1('/interactions', { ...HISTORY, pageToken: 'whatever' });
    expect(res.status).toBe(200);
    expect(res.body.statusCode).toBe(0);
  });
});
