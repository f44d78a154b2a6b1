import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, send, type TestServer } from '../helpers/server.js';

/**
 * Tenant isolation and agent visibility on every native read and write path.
 * acme has agent-1's chat (with agent-2 as a second handler), agent-2's call,
 * and a call of agent-3 only; globex has one interaction of its own.
 */
describe(`native access control (${BACKEND})`, () => {
  let server: TestServer;
  const ids: Record<string, string> = {};
  const api = () => `${server.url}/api/v1`;

  beforeAll(async () => {
    server = await build();
    const admin = server.basic('admin1');
    const post = async (json: unknown, auth = admin) =>
      (await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: auth }, json })).body;
    ids.shared = (await post(chatRecord({ handlingAgents: [{ id: 'agent-1' }, { id: 'agent-2' }] }))).id;
    ids.agent2 = (await post(callRecord())).id;
    ids.agent3 = (await post(callRecord({ ownerInformation: { id: 'agent-3' }, handlingAgents: [] }))).id;
    ids.agent1only = (await post(chatRecord())).id;
    ids.globex = (await post(callRecord(), server.basic('gadmin'))).id;
    for (const id of [ids.agent1only, ids.globex]) {
      const auth = id === ids.globex ? server.basic('gadmin') : admin;
      await call(`${api()}/interactions/${id}/content/callRecording`, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'audio/wav' },
        body: Buffer.from('RIFF'),
      });
    }
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const visibleIds = async (auth: string) => {
    const res = await call(`${api()}/interactions?limit=1000`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
    return res.body.items.map((i: { id: string }) => i.id).sort();
  };

  it('refuses requests without or with bad credentials', async () => {
    for (const authorization of [
      undefined,
      'Basic bm9ib2R5Om5vdGhpbmc=',
      `Basic ${Buffer.from('agent1:wrong').toString('base64')}`,
      'Bearer x.y.z',
      'Digest abc',
    ]) {
      const res = await call(`${api()}/interactions`, { headers: authorization ? { authorization } : {} });
      expect(res.status, String(authorization)).toBe(401);
      expect(res.body.code).toBe('IXV_UNAUTHENTICATED');
      expect(res.headers.get('www-authenticate')).toContain('Basic');
    }
  });

  it('an agent sees only what it owns or handled, on every read path', async () => {
    const agent1 = server.basic('agent1');
    expect(await visibleIds(agent1)).toEqual([ids.shared, ids.agent1only].sort());
    expect(await visibleIds(server.basic('agent2'))).toEqual([ids.shared, ids.agent2].sort());
    for (const hidden of [ids.agent2, ids.agent3, ids.globex]) {
      const got = await call(`${api()}/interactions/${hidden}`, { headers: { authorization: agent1 } });
      expect(got.status).toBe(404);
      const content = await call(`${api()}/interactions/${hidden}/content/callRecording`, { headers: { authorization: agent1 } });
      expect(content.status).toBe(404);
    }
    const own = await call(`${api()}/interactions/${ids.agent1only}/content/callRecording`, {
      headers: { authorization: agent1 },
    });
    expect(own.status).toBe(200);
    const other = await call(`${api()}/interactions?handlingAgentId=agent-2&limit=1000`, { headers: { authorization: agent1 } });
    expect(other.body.items.map((i: { id: string }) => i.id)).toEqual([ids.shared]);
  });

  it('supervisors and admins see their whole tenant and nothing of another', async () => {
    const acme = [ids.shared, ids.agent2, ids.agent3, ids.agent1only].sort();
    expect(await visibleIds(server.basic('super1'))).toEqual(acme);
    expect(await visibleIds(server.basic('admin1'))).toEqual(acme);
    expect(await visibleIds(server.basic('gadmin'))).toEqual([ids.globex]);
    for (const id of acme) {
      expect((await call(`${api()}/interactions/${id}`, { headers: { authorization: server.basic('gadmin') } })).status).toBe(
        404,
      );
    }
    const crossContent = await call(`${api()}/interactions/${ids.globex}/content/callRecording`, {
      headers: { authorization: server.basic('admin1') },
    });
    expect(crossContent.status).toBe(404);
  });

  it('clients see their tenant within their scopes', async () => {
    const qa = await server.bearer('acme-qa');
    expect(await visibleIds(qa)).toHaveLength(4);
    const globex = await server.bearer('globex-qa');
    expect(await visibleIds(globex)).toEqual([ids.globex]);
    const writer = await server.bearer('acme-writer');
    const read = await call(`${api()}/interactions`, { headers: { authorization: writer } });
    expect(read.status).toBe(403);
    expect(read.body.code).toBe('IXV_FORBIDDEN');
    const narrowed = await server.bearer('acme-qa', 'interaction-content:read');
    const write = await call(`${api()}/interactions`, {
      method: 'POST',
      headers: { authorization: narrowed },
      json: callRecord(),
    });
    expect(write.status).toBe(403);
  });

  it('writes need interactions:write or the admin role, and stay in the tenant', async () => {
    for (const user of ['agent1', 'super1']) {
      const auth = server.basic(user);
      const post = await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: auth }, json: callRecord() });
      expect(post.status, user).toBe(403);
      const patch = await call(`${api()}/interactions/${ids.agent1only}`, {
        method: 'PATCH',
        headers: { authorization: auth },
        json: { state: 'New' },
      });
      expect(patch.status, user).toBe(403);
      const del = await call(`${api()}/interactions/${ids.agent1only}`, { method: 'DELETE', headers: { authorization: auth } });
      expect(del.status, user).toBe(403);
      const msg = await call(`${api()}/interactions/${ids.agent1only}/messages`, {
        method: 'POST',
        headers: { authorization: auth },
        json: [{ from: { type: 'Agent' }, type: 'Text', timestamp: '2025-03-10T09:01:00Z' }],
      });
      expect(msg.status, user).toBe(403);
    }
    const writer = await server.bearer('acme-writer');
    const created = await call(`${api()}/interactions`, {
      method: 'POST',
      headers: { authorization: writer },
      json: callRecord(),
    });
    expect(created.status).toBe(201);
    // Another tenant's interaction cannot be changed, deleted, appended to or given content: it does not exist for them.
    const gadmin = server.basic('gadmin');
    const paths: [string, string, unknown][] = [
      ['PATCH', `${api()}/interactions/${ids.agent1only}`, { state: 'New' }],
      ['DELETE', `${api()}/interactions/${ids.agent1only}`, undefined],
      [
        'POST',
        `${api()}/interactions/${ids.agent1only}/messages`,
        [{ from: { type: 'Agent' }, type: 'Text', timestamp: '2025-03-10T09:01:00Z' }],
      ],
      ['DELETE', `${api()}/interactions/${ids.agent1only}/content/callRecording`, undefined],
    ];
    for (const [method, url, json] of paths) {
      const res = await call(url, { method, headers: { authorization: gadmin }, json });
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    const upload = await call(`${api()}/interactions/${ids.agent1only}/content/voicemail`, {
      method: 'PUT',
      headers: { authorization: gadmin, 'content-type': 'audio/wav' },
      body: Buffer.from('x'),
    });
    expect(upload.status).toBe(404);
    // Upserting the same id in another tenant creates that tenant's own record.
    const same = await call(`${api()}/interactions`, {
      method: 'POST',
      headers: { authorization: gadmin },
      json: callRecord({ id: ids.agent1only }),
    });
    expect(same.status).toBe(201);
    const acmeCopy = await call(`${api()}/interactions/${ids.agent1only}`, {
      headers: { authorization: server.basic('admin1') },
    });
    expect(acmeCopy.body.mediaType).toBe('chat');
  });

  it('only admins read the audit log', async () => {
    expect((await call(`${api()}/audit`, { headers: { authorization: server.basic('super1') } })).status).toBe(403);
    expect((await call(`${api()}/audit`, { headers: { authorization: server.basic('admin1') } })).status).toBe(200);
  });

  it('issues tokens only for valid client credentials and granted scopes', async () => {
    const token = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      send(`${server.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams(body), headers }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    const ok = await token(
      { grant_type: 'client_credentials' },
      { authorization: `Basic ${Buffer.from('acme-reader:secret-acme-reader').toString('base64')}` },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'interaction-content:read' });
    expect((await token({ grant_type: 'client_credentials', client_id: 'acme-reader', client_secret: 'nope' })).body.error).toBe(
      'invalid_client',
    );
    expect((await token({ grant_type: 'password', client_id: 'acme-reader', client_secret: 'x' })).body.error).toBe(
      'unsupported_grant_type',
    );
    expect((await token({ client_id: 'acme-reader', client_secret: 'x' })).body.error).toBe('invalid_request');
    const scope = await token({
      grant_type: 'client_credentials',
      client_id: 'acme-reader',
      client_secret: 'secret-acme-reader',
      scope: 'interactions:write',
    });
    expect(scope.status).toBe(400);
    expect(scope.body.error).toBe('invalid_scope');
  });
});
