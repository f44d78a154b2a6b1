/** Vonage's token endpoint path, `POST /Auth/connect/token`, answering as `/oauth2/token` does (one handler). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { ingest, vonage } from './helpers.js';

const QA_SCOPES = [
  'interactions:read',
  'interaction-content:read',
  'interaction-content:delete',
  'interactions:write',
  'interaction-content:read-sensitive',
];

describe(`Vonage token endpoint (${BACKEND})`, () => {
  let server: TestServer;
  let guid: string;

  beforeAll(async () => {
    server = await startTestServer();
    ({ guid } = await ingest(server, await server.bearer('acme-writer'), { startDate: '2025-06-01T09:00:00Z' }));
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  async function token(path: string, form: Record<string, string>, basic?: [string, string]) {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (basic) headers.authorization = `Basic ${Buffer.from(basic.join(':')).toString('base64')}`;
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  }

  it("answers Vonage's documented request (form fields, one scope) with Vonage's fields", async () => {
    const res = await token('/Auth/connect/token', {
      grant_type: 'client_credentials',
      client_id: 'acme-qa',
      client_secret: 'secret-acme-qa',
      scope: 'interaction-content:read',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      scope: 'interaction-content:read',
    });
    expect(res.body.expires_in).toBeGreaterThan(0);
  });

  it('takes the client credentials by HTTP Basic as well', async () => {
    const res = await token(
      '/Auth/connect/token',
      { grant_type: 'client_credentials', scope: 'interaction-content:read interaction-content:delete' },
      ['acme-qa', 'secret-acme-qa'],
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('interaction-content:read interaction-content:delete');
  });

  it('grants every scope the client holds when none is asked for', async () => {
    const res = await token('/Auth/connect/token', { grant_type: 'client_credentials' }, ['acme-qa', 'secret-acme-qa']);
    expect(res.status).toBe(200);
    expect(res.body.scope.split(' ').sort()).toEqual([...QA_SCOPES].sort());
  });

  it('the token carries only the requested scopes: a read token cannot delete', async () => {
    const read = await token('/Auth/connect/token', { grant_type: 'client_credentials', scope: 'interaction-content:read' }, [
      'acme-qa',
      'secret-acme-qa',
    ]);
    const auth = `Bearer ${read.body.access_token}`;
    expect((await vonage(server, `/interactions/${guid}`, auth)).status).toBe(200);
    const del = await vonage(server, `/interactions/${guid}`, auth, { method: 'DELETE' });
    expect(del.status).toBe(403);
    expect(del.body).toEqual({ message: expect.stringContaining('interaction-content:delete') });
    expect((await vonage(server, `/interactions/${guid}`, auth)).status).toBe(200);
  });

  it('refuses a scope the client does not hold with invalid_scope, on both paths alike', async () => {
    for (const path of ['/Auth/connect/token', '/oauth2/token']) {
      const res = await token(
        path,
        { grant_type: 'client_credentials', scope: 'interaction-content:read interaction-content:delete' },
        ['acme-reader', 'secret-acme-reader'],
      );
      expect(res.status, path).toBe(400);
      expect(res.body, path).toMatchObject({ error: 'invalid_scope' });
    }
  });

  it('answers bad credentials and grants on both paths alike', async () => {
    for (const path of ['/Auth/connect/token', '/oauth2/token']) {
      const wrong = await token(path, { grant_type: 'client_credentials' }, ['acme-qa', 'not-the-secret']);
      expect(wrong.status, path).toBe(401);
      expect(wrong.body).toMatchObject({ error: 'invalid_client' });
      const grant = await token(path, { grant_type: 'password' }, ['acme-qa', 'secret-acme-qa']);
      expect(grant.status, path).toBe(400);
      expect(grant.body).toMatchObject({ error: 'unsupported_grant_type' });
    }
  });
});
