/**
 * Finding 12: bad input is a 4xx naming the field in each facade's own format
 * (native RFC 7807, Vonage {message}, Genesys statusCode), OAuth errors follow
 * RFC 6749, and an unexpected failure never shows its internal message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND } from '../helpers/server.js';
import { type InProcess, openInProcess, VONAGE_ACCEPT } from './harness.js';

type Facade = 'native' | 'vonage' | 'genesys';

const DEEP = (levels: number) => `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`;
const WEEK = 'start=2025-03-01T00:00:00Z&end=2025-03-02T00:00:00Z';

describe(`bad input answered 4xx, never 5xx (${BACKEND})`, () => {
  let ix: InProcess;
  let admin: string;
  let reader: string;

  beforeAll(async () => {
    ix = await openInProcess();
    admin = ix.basic('admin1');
    reader = await ix.bearer('acme-qa');
  });
  afterAll(() => ix.close());

  /** The request's answer is a 400 in the facade's format whose text names the field. */
  async function expectRefused(facade: Facade, request: Parameters<InProcess['inject']>[0], field: string, status = 400) {
    const res = await ix.inject(request);
    const what = `${request.method} ${String(request.url).slice(0, 80)}`;
    expect(res.statusCode, `${what}: ${res.body.slice(0, 200)}`).toBe(status);
    const body = res.json();
    if (facade === 'native') {
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(body.status).toBe(status);
      expect(body.field ?? body.errors?.[0]?.field, what).toContain(field);
      expect(body.detail).toContain(field);
    } else if (facade === 'vonage') {
      expect(Object.keys(body)).toEqual(['message']);
      expect(body.message).toContain(field);
    } else {
      expect(body.statusCode, what).toBe(status === 401 ? 20 : 2);
      expect(body.statusMessage).toContain(field);
    }
    return res;
  }

  it('limit=1e309 or Infinity on every search names the parameter', async () => {
    for (const huge of ['1e309', 'Infinity', '-Infinity']) {
      const get = (url: string) => ({ method: 'GET' as const, url, headers: { authorization: admin } });
      await expectRefused('native', get(`/api/v1/interactions?limit=${huge}`), 'limit');
      await expectRefused('native', get(`/api/v1/audit?limit=${huge}`), 'limit');
      await expectRefused('genesys', get(`/api/v2/ucs/interactions?maxSize=${huge}`), 'maxSize');
      await expectRefused(
        'vonage',
        {
          method: 'GET',
          url: `/interaction-content/interactions?${WEEK}&limit=${huge}`,
          headers: { authorization: reader, accept: VONAGE_ACCEPT },
        },
        'limit',
      );
    }
    for (const payload of [
      '{"operationName":"RetrieveInteractionHistory","maxSize":"Infinity"}',
      '{"operationName":"RetrieveInteractionHistory","maxSize":1e309}',
    ])
      for (const url of ['/api/v2/ucs/interactions', '/api/v2/ucs/contacts/c1/interactions'])
        await expectRefused(
          'genesys',
          {
            method: 'POST',
            url,
            headers: { authorization: admin, 'content-type': 'application/json' },
            payload: url.includes('contacts') ? payload.replace('RetrieveInteractionHistory', 'RetrieveContactHistory') : payload,
          },
          'maxSize',
        );
  });

  it('deeply nested JSON names the field instead of overflowing the stack', async () => {
    const record = `{"mediaType":"chat","startDate":"2025-03-10T09:00:00Z","userData":${DEEP(20_000)}}`;
    const json = { authorization: admin, 'content-type': 'application/json' };
    await expectRefused('native', { method: 'POST', url: '/api/v1/interactions', headers: json, payload: record }, 'userData');
    await expectRefused(
      'native',
      { method: 'POST', url: '/api/v1/interactions:batch', headers: json, payload: `[${record}]` },
      'userData',
    );
    await expectRefused(
      'genesys',
      {
        method: 'POST',
        url: '/api/v2/ucs/interactions',
        headers: json,
        payload: `{"operationName":"RetrieveInteractionHistory","searchCustomAttributes":${DEEP(20_000)}}`,
      },
      'searchCustomAttributes',
    );
    // Just past the limit, through the domain's own check too (what `ixvault import` uses).
    const { validateInteraction } = await import('../../src/domain/validate.js');
    expect(() =>
      validateInteraction({ mediaType: 'chat', startDate: '2025-03-10T09:00:00Z', userData: JSON.parse(DEEP(40)) }),
    ).toThrow(/userData.*deeper than 32/);
  });

  it('a merge patch is parsed like JSON: malformed text or a __proto__ key is a 400 naming the body', async () => {
    const created = await ix.inject({
      method: 'POST',
      url: '/api/v1/interactions',
      headers: { authorization: admin, 'content-type': 'application/json' },
      payload: { mediaType: 'chat', startDate: '2025-03-10T09:00:00Z' },
    });
    const patch = (payload: string) => ({
      method: 'PATCH' as const,
      url: `/api/v1/interactions/${created.json().id}`,
      headers: { authorization: admin, 'content-type': 'application/merge-patch+json' },
      payload,
    });
    await expectRefused('native', patch('{"subject":'), 'body');
    await expectRefused('native', patch('{"__proto__":{"mediaType":"call"}}'), 'body');
    expect((await ix.inject(patch('{"subject":"fine"}'))).statusCode).toBe(200);
  });

  it('the NUL character is refused in any parameter or string (PostgreSQL cannot store it)', async () => {
    const get = (url: string) => ({ method: 'GET' as const, url, headers: { authorization: admin } });
    await expectRefused('native', get('/api/v1/interactions/x1/content/%00'), 'contentKey');
    await expectRefused('native', get('/api/v1/interactions/a%00b'), 'id');
    await expectRefused('native', get('/api/v1/interactions?contactId=a%00'), 'contactId');
    await expectRefused('genesys', get('/api/v2/ucs/interactions?userId=%00'), 'userId');
    await expectRefused(
      'vonage',
      {
        method: 'GET',
        url: '/interaction-content/interactions/2480fc2c-bbd7-427c-9439-02f76583aef5/content/%00',
        headers: { authorization: reader, accept: VONAGE_ACCEPT },
      },
      'contentKey',
    );
    const json = { authorization: admin, 'content-type': 'application/json' };
    const record = (extra: string) => `{"mediaType":"chat","startDate":"2025-03-10T09:00:00Z",${extra}}`;
    await expectRefused(
      'native',
      { method: 'POST', url: '/api/v1/interactions', headers: json, payload: record('"subject":"a\\u0000b"') },
      'subject',
    );
    await expectRefused(
      'native',
      { method: 'POST', url: '/api/v1/interactions', headers: json, payload: record('"userData":{"k\\u0000":1}') },
      'userData',
    );
    const { validateInteraction } = await import('../../src/domain/validate.js');
    expect(() =>
      validateInteraction({ mediaType: 'chat', startDate: '2025-03-10T09:00:00Z', customAttributes: { a: 'b\u0000' } }),
    ).toThrow(/NUL/);
  });

  it('1500 repeated mediaType values name the parameter', async () => {
    const many = (name: string, value: string) => Array.from({ length: 1500 }, () => `${name}=${value}`).join('&');
    const get = (url: string) => ({ method: 'GET' as const, url, headers: { authorization: admin } });
    await expectRefused('native', get(`/api/v1/interactions?mediaType=${Array(1500).fill('chat').join(',')}`), 'mediaType');
    await expectRefused('native', get(`/api/v1/interactions?${many('mediaType', 'chat')}`), 'mediaType');
    await expectRefused('genesys', get(`/api/v2/ucs/interactions?${many('mediaType', 'chat')}`), 'mediaType');
    await expectRefused('native', get(`/api/v1/interactions?${many('customAttribute', 'a%3Db')}`), 'customAttribute');
    await expectRefused(
      'genesys',
      get(`/api/v2/ucs/interactions?${many('searchCustomAttributes', 'a%3Db')}`),
      'searchCustomAttributes',
    );
    // A few repeated media types are one filter, not an error.
    expect((await ix.inject(get('/api/v1/interactions?mediaType=chat,chat,CHAT'))).statusCode).toBe(200);
  });

  it('a malformed percent-escape in the session cookie is a 401, on every facade', async () => {
    for (const cookie of ['ixv_session=%E0%A4%A', 'ixv_session=%', 'ixv_session=%zz; other=%%']) {
      const res = await ix.inject({ method: 'GET', url: '/api/v1/interactions', headers: { cookie } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('IXV_UNAUTHENTICATED');
      expect((await ix.inject({ method: 'GET', url: '/api/v2/ucs/interactions', headers: { cookie } })).json().statusCode).toBe(
        20,
      );
      const vonage = await ix.inject({
        method: 'GET',
        url: `/interaction-content/interactions?${WEEK}`,
        headers: { cookie, accept: VONAGE_ACCEPT },
      });
      expect(vonage.statusCode).toBe(401);
    }
  });

  describe('POST /oauth2/token (RFC 6749 §5.2)', () => {
    const form = (body: string, headers: Record<string, string> = {}) =>
      ix.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: body,
      });
    const json = (body: unknown) => ix.inject({ method: 'POST', url: '/oauth2/token', payload: body as object });
    const expectOAuth = (res: Awaited<ReturnType<typeof form>>, status: number, error: string, mentions?: string) => {
      expect(res.statusCode, res.body).toBe(status);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
      expect(body.error).toBe(error);
      if (mentions) expect(body.error_description).toContain(mentions);
      expect(body.error_description).not.toMatch(/is not a function|URI malformed|undefined|TypeError/);
      expect(res.headers['cache-control']).toBe('no-store');
    };

    it('malformed Basic credentials are invalid_client with a Basic challenge', async () => {
      for (const pair of ['a%zz:b', 'acme-qa:%E0%A4%A', 'no-colon', ':']) {
        const res = await form('grant_type=client_credentials', {
          authorization: `Basic ${Buffer.from(pair).toString('base64')}`,
        });
        expectOAuth(res, 401, 'invalid_client');
        expect(res.headers['www-authenticate']).toContain('Basic');
      }
    });

    it('parameters of the wrong type or repeated are invalid_request naming them', async () => {
      const credentials = { grant_type: 'client_credentials', client_id: 'acme-qa', client_secret: 'secret-acme-qa' };
      expectOAuth(await json({ ...credentials, scope: ['interactions:read'] }), 400, 'invalid_request', 'scope');
      expectOAuth(await json({ ...credentials, client_id: ['acme-qa'] }), 400, 'invalid_request', 'client_id');
      expectOAuth(await json({ ...credentials, scope: { a: 1 } }), 400, 'invalid_request', 'scope');
      expectOAuth(await json([credentials]), 400, 'invalid_request', 'body');
      expectOAuth(
        await form('grant_type=client_credentials&grant_type=client_credentials'),
        400,
        'invalid_request',
        'grant_type',
      );
      expectOAuth(
        await form(`grant_type=client_credentials&client_id=acme-qa&client_secret=${'x'.repeat(5000)}`),
        400,
        'invalid_request',
        'client_secret',
      );
      expectOAuth(await form('client_id=acme-qa&client_secret=secret-acme-qa'), 400, 'invalid_request', 'grant_type');
      expectOAuth(
        await form('grant_type=password&client_id=acme-qa&client_secret=x'),
        400,
        'unsupported_grant_type',
        'grant_type',
      );
      expectOAuth(
        await form('grant_type=client_credentials&client_id=acme-qa&client_secret=secret-acme-qa&scope=admin:everything'),
        400,
        'invalid_scope',
        'scope',
      );
      expectOAuth(await form('grant_type=client_credentials&client_id=acme-qa&client_secret=wrong'), 401, 'invalid_client');
      const malformedJson = await ix.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/json' },
        payload: '{"grant_type":',
      });
      expectOAuth(malformedJson, 400, 'invalid_request', 'body');
    });
  });
});

describe(`unexpected failures show no internal message (${BACKEND})`, () => {
  it('answers 500 with the generic text in each facade’s format when the database is gone', async () => {
    const ix = await openInProcess();
    const admin = ix.basic('admin1');
    const reader = await ix.bearer('acme-qa');
    await ix.runtime.store.close();
    try {
      const native = await ix.inject({ method: 'GET', url: '/api/v1/interactions/x1', headers: { authorization: admin } });
      const genesys = await ix.inject({ method: 'GET', url: '/api/v2/ucs/interactions', headers: { authorization: admin } });
      const vonage = await ix.inject({
        method: 'GET',
        url: `/interaction-content/interactions?${WEEK}`,
        headers: { authorization: reader, accept: VONAGE_ACCEPT },
      });
      for (const res of [native, genesys, vonage]) expect(res.statusCode, res.body).toBe(500);
      expect(native.json()).toMatchObject({ status: 500, code: 'IXV_INTERNAL', detail: 'internal error' });
      expect(genesys.json()).toEqual({ statusCode: 4, statusMessage: 'internal error' });
      expect(vonage.json()).toEqual({ message: 'internal error' });
    } finally {
      await ix.app.close();
    }
  });
});
