/**
 * The console's server side, over real HTTP: the built page and its first-load
 * budget, caching and Content-Security-Policy; browser sign-in with the session
 * cookie and the CSRF guard; and the native live channel, heard through the
 * official CometD client, reaching only users who may see the interaction.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script of the build, without type declarations
import { FIRST_LOAD_BUDGET, firstLoadFiles } from '../../scripts/build-web.mjs';
import { TestClient } from '../genesys/cometd.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';

const LIVE = '/v1/interactions';
const JSON_HEADERS = { 'content-type': 'application/json', 'x-requested-with': 'test' };

describe(`console server side (${BACKEND})`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
    if (server) await removeTestData(server);
  });

  const signIn = async (userName: string, password = `pw-${userName}`, headers: Record<string, string> = {}) =>
    call(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, origin: server.url, ...headers },
      json: { userName, password },
    });
  const cookieOf = (res: { headers: Headers }) => (res.headers.get('set-cookie') ?? '').split(';')[0] as string;

  it('sends a browser opened at the server address to the console', async () => {
    const res = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/console/');
  });

  it(`serves the page with a strict CSP; its first load is under ${FIRST_LOAD_BUDGET / 1024} KB gzipped`, async () => {
    const page = await fetch(`${server.url}/console/interactions/ANY?range=7d`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    const html = await page.text();
    expect(nonce && html.includes(`content="${nonce}"`)).toBe(true);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

    let total = 0;
    for (const file of firstLoadFiles(html) as string[]) {
      const res = await fetch(`${server.url}/console/${file === 'index.html' ? '' : file}`);
      expect(res.status, file).toBe(200);
      if (file.startsWith('assets/')) expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      total += gzipSync(Buffer.from(await res.arrayBuffer()), { level: 9 }).length;
    }
    console.log(`console first load: ${(total / 1024).toFixed(1)} KB gzipped`);
    expect(total).toBeLessThan(FIRST_LOAD_BUDGET);
    expect((await fetch(`${server.url}/console/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/console`)).status).toBe(200);
  });

  it('signs a user in with a strict HttpOnly cookie, tells who it is, and signs out', async () => {
    const res = await signIn('super1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      userName: 'super1',
      role: 'supervisor',
      tenant: 'acme',
      canDelete: false,
      canReadAudit: false,
      canReadSensitive: false,
    });
    expect(res.headers.get('set-cookie')).toMatch(/^ixv_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = cookieOf(res);
    const me = await call(`${server.url}/api/v1/session`, { headers: { cookie } });
    expect(me.body).toMatchObject({ userName: 'super1' });
    expect((await call(`${server.url}/api/v1/interactions?limit=1`, { headers: { cookie } })).status).toBe(200);
    const admin = await signIn('admin1');
    expect(admin.body).toMatchObject({ canDelete: true, canReadAudit: true, canReadSensitive: true });

    const out = await call(`${server.url}/api/v1/session`, {
      method: 'DELETE',
      headers: { cookie, origin: server.url, 'x-requested-with': 'x' },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^ixv_session=; Max-Age=0;/);
  });

  it('refuses bad sign-ins with problem JSON naming the field', async () => {
    const wrong = await signIn('super1', 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ status: 401, code: 'IXV_UNAUTHENTICATED' });
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const missing = await call(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, origin: server.url },
      json: { userName: 'super1' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ field: 'password' });
    expect((await call(`${server.url}/api/v1/session`)).status).toBe(401);
  });

  it('CSRF: sign-in and cookie-authenticated writes need this origin and X-Requested-With', async () => {
    expect((await signIn('admin1', 'pw-admin1', { origin: 'http://evil.example' })).status).toBe(403);
    const noHeader = await call(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      json: { userName: 'admin1', password: 'pw-admin1' },
    });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body).toMatchObject({ status: 403, detail: expect.stringContaining('X-Requested-With') });

    const cookie = cookieOf(await signIn('admin1'));
    const [id] = await ingestAs(server, 'admin1', [chatRecord()]);
    const del = (headers: Record<string, string>) =>
      call(`${server.url}/api/v1/interactions/${id}`, { method: 'DELETE', headers: { cookie, ...headers } });
    expect((await del({ origin: server.url })).status).toBe(403);
    expect((await del({ origin: 'http://evil.example', 'x-requested-with': 'x' })).status).toBe(403);
    expect((await del({ 'x-requested-with': 'x' })).status).toBe(403); // no Origin, no Sec-Fetch-Site
    expect((await call(`${server.url}/api/v1/interactions/${id}`, { headers: { cookie } })).status).toBe(200);
    expect((await del({ origin: server.url, 'x-requested-with': 'x' })).status).toBe(204);
    // Basic and Bearer callers are not browsers: nothing changes for them.
    const [other] = await ingestAs(server, 'admin1', [chatRecord()]);
    const basic = await call(`${server.url}/api/v1/interactions/${other}`, {
      method: 'DELETE',
      headers: { authorization: server.basic('admin1') },
    });
    expect(basic.status).toBe(204);
  });

  it(`live channel ${LIVE}: each user hears only the interactions they may see`, async () => {
    const open = async (user: string) => {
      const client = new TestClient(server.url, { transport: 'long-polling', header: server.basic(user), subscribe: false });
      await client.open();
      client.subscribe(LIVE);
      await client.until(() => client.subscribes.some((s) => s.successful), 'live subscription');
      return client;
    };
    const [agent1, agent2, supervisor] = await Promise.all([open('agent1'), open('agent2'), open('super1')]);
    try {
      const now = { startDate: new Date().toISOString(), endDate: undefined, state: 'InProcess' };
      const [ofAgent1] = await ingestAs(server, 'admin1', [chatRecord(now)]);
      const [ofAgent2] = await ingestAs(server, 'admin1', [callRecord(now)]);
      const heard1 = await agent1.next((d) => d.id === ofAgent1);
      expect(heard1).toEqual({
        id: ofAgent1,
        guid: expect.any(String),
        created: true,
        mediaType: 'chat',
        startDate: expect.any(String),
      });
      await agent2.next((d) => d.id === ofAgent2);
      await supervisor.next((d) => d.id === ofAgent2);
      expect(supervisor.received.map((d) => d.id)).toEqual([ofAgent1, ofAgent2]);
      // Delivered in order: had agent 2 been told of agent 1's chat, it would have come first.
      expect(agent2.received.map((d) => d.id)).toEqual([ofAgent2]);
      expect(agent1.received.map((d) => d.id)).not.toContain(ofAgent2);
    } finally {
      await Promise.all([agent1.disconnect(), agent2.disconnect(), supervisor.disconnect()]);
    }
  });
});

async function ingestAs(server: TestServer, user: string, records: Record<string, unknown>[]): Promise<string[]> {
  const ids: string[] = [];
  for (const record of records) {
    const res = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: server.basic(user) },
      json: record,
    });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    ids.push(res.body.id);
  }
  return ids;
}
