/**
 * The flow in a real browser: headless Chromium (Debian's, driven by
 * playwright-core) loads a page of the server's own origin that imports the
 * browser build of the CometD client (the package's ES modules, unbundled).
 * A Basic-authenticated API call sets the session cookie; from then on the
 * cookie alone authenticates the CometD handshake and the API calls.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumArgs } from '../helpers/chromium.js';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { TRANSPORTS } from './cometd.js';
import { daysAgo, ingest } from './helpers.js';

// The page is fulfilled by the test (page.route), not loaded over the network, so Chromium cannot tell its
// address space and would block its websocket to 127.0.0.1 as a public page reaching into the local network.
const CHROMIUM_ARGS = chromiumArgs('--disable-features=LocalNetworkAccessChecks');
const COMETD_DIR = resolve('node_modules/cometd');
/** Served by the test itself (page.route), on the server's origin so that the cookie and Origin are first-party. */
const PAGE_ROOT = '/__browser-test__/';

const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="module">
  import { CometD } from './cometd/cometd.js';

  /** Handshakes with only what the browser sends by itself (cookies), forcing one transport. */
  window.openCometD = (transport) => new Promise((resolve) => {
    const cometd = new CometD();
    for (const other of ['websocket', 'long-polling', 'callback-polling'])
      if (other !== transport) cometd.unregisterTransport(other);
    cometd.configure({ url: location.origin + '/api/v2/notifications', logLevel: 'warn' });
    window.received = [];
    cometd.addListener('/meta/handshake', (reply) => {
      if (!reply.successful) return resolve({ successful: false, error: reply.error, advice: reply.advice });
      cometd.subscribe('/v2/ucs/interactions', (m) => window.received.push(m.data), (sub) =>
        resolve({ successful: sub.successful, transport: cometd.getTransport().type }));
    });
    window.cometd = cometd;
    cometd.handshake();
  });

  window.api = async (method, path, body, authorization) => {
    const headers = { 'content-type': 'application/json' };
    if (authorization) headers.authorization = authorization;
    const res = await fetch(path, { method, headers, body: body && JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };

  window.resultFor = (referenceId) => new Promise((resolve) => {
    const poll = () => {
      const found = window.received.find((d) => d.referenceId === referenceId);
      if (found) resolve(found); else setTimeout(poll, 20);
    };
    poll();
  });

  window.closeCometD = () => new Promise((resolve) => window.cometd.disconnect(() => resolve()));

  window.scriptCookies = () => document.cookie;
</script>`;

const available = existsSync(CHROMIUM);

describe.skipIf(!available)(
  `headless Chromium with the browser CometD client (${BACKEND})${available ? '' : `: SKIPPED, ${CHROMIUM} is absent (apt-get install chromium)`}`,
  () => {
    let server: TestServer;
    let profile: string;
    let context: BrowserContext;
    let page: Page;
    /** Calls one of the page's functions (the project compiles without DOM types, hence globalThis). */
    const inPage = (name: string, ...args: unknown[]): Promise<any> =>
      page.evaluate(([fn, params]) => (globalThis as any)[fn](...params), [name, args] as const);

    beforeAll(async () => {
      server = await startTestServer();
      await ingest(server, [chatRecord({ id: 'BROWSER000000001', startDate: daysAgo(1), endDate: daysAgo(0.99) })]);
      profile = await mkdtemp(join(tmpdir(), 'ixvault-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      });
      await context.route(`${server.url}${PAGE_ROOT}**`, async (route) => {
        const path = new URL(route.request().url()).pathname.slice(PAGE_ROOT.length);
        if (path === 'index.html') return route.fulfill({ contentType: 'text/html', body: PAGE });
        const file = resolve(COMETD_DIR, path.replace(/^cometd\//, ''));
        if (!path.startsWith('cometd/') || !file.startsWith(COMETD_DIR) || !existsSync(file))
          return route.fulfill({ status: 404 });
        return route.fulfill({ contentType: 'text/javascript', body: await readFile(file, 'utf8') });
      });
      page = await context.newPage();
      await page.goto(`${server.url}${PAGE_ROOT}index.html`);
      await page.waitForFunction(() => typeof (globalThis as any).openCometD === 'function');
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
      await server?.stop();
      if (server) await removeTestData(server);
    });

    it('refuses the handshake before any authenticated call, and tells the client to stop', async () => {
      const reply = await inPage('openCometD', 'websocket');
      expect(reply).toEqual({ successful: false, error: expect.stringMatching(/^401::/), advice: { reconnect: 'none' } });
    });

    it('a Basic-authenticated call sets an HttpOnly session cookie', async () => {
      const res = await inPage('api', 'GET', '/api/v2/ucs/interactions?maxSize=1', undefined, server.basic('agent1'));
      expect(res.status).toBe(200);
      expect(await inPage('scriptCookies')).toBe('');
      const cookies = await context.cookies(server.url);
      expect(cookies).toMatchObject([{ name: 'ixv_session', httpOnly: true, sameSite: 'Strict' }]);
    });

    for (const transport of TRANSPORTS) {
      it(`${transport}: the cookie authenticates the handshake; a POST's result arrives`, async () => {
        expect(await inPage('openCometD', transport)).toEqual({ successful: true, transport });
        // No Authorization header: the cookie authenticates the API call too.
        const posted = await inPage('api', 'POST', '/api/v2/ucs/interactions', {
          operationName: 'RetrieveAgentHistory',
          maxSize: 5,
        });
        expect(posted.body).toEqual({ statusCode: 0, referenceId: expect.any(Number) });
        const result = await inPage('resultFor', posted.body.referenceId);
        expect(result).toMatchObject({
          referenceId: posted.body.referenceId,
          messageType: 'GetInteractionsHistoryMessage',
          interactions: [{ id: 'BROWSER000000001', mediaType: 'chat', ownerInformation: { id: 'agent-1' } }],
        });
        await inPage('closeCometD');
      });
    }
  },
);
