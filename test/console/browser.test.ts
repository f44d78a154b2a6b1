/**
 * The console end to end: a real ixvault with demo-like data, Debian's
 * Chromium driven by playwright-core, nothing stubbed. Each screen is checked
 * with axe-core (no serious or critical violations) and photographed at 1280
 * and 390 px into test-results/console/ (IXVAULT_UPDATE_SCREENSHOTS=1 also
 * refreshes docs/console-*.png). The tests share one browser and run in order.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonTranscript, wavRecording } from '../../src/demo/media.js';
import { seedContactCenter } from '../../src/demo/seed.js';
import { CHROMIUM, chromiumArgs } from '../helpers/chromium.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';

const CHROMIUM_ARGS = chromiumArgs('--autoplay-policy=no-user-gesture-required');
const SHOTS = resolve('test-results/console');
const WIDTHS = [1280, 390] as const;
const AXE = resolve('node_modules/axe-core/axe.min.js');
const available = existsSync(CHROMIUM);
if (!available) {
  const reason = `console browser tests: ${CHROMIUM} is absent (apt-get install chromium)`;
  // .ci/run installs it: in CI a missing browser is a failure, never a silent skip.
  if (process.env.CI) throw new Error(reason);
  console.warn(`SKIPPED ${reason}`);
}

const DAY = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const CALL_SECONDS = 600;
const TRANSCRIPT = {
  lines: Array.from({ length: CALL_SECONDS / 15 }, (_, k) => ({
    speaker: k % 2 === 0 ? 'agent' : 'customer',
    text: k % 2 === 0 ? `Agent line ${k}: let me check that for you.` : `Customer line ${k}: thanks, I will wait.`,
    offsetMs: k * 15_000,
  })),
};

describe.skipIf(!available)(
  `console in headless Chromium (${BACKEND})${available ? '' : `: SKIPPED, ${CHROMIUM} is absent`}`,
  () => {
    let server: TestServer;
    let profile: string;
    let context: BrowserContext;
    let page: Page;
    const cspViolations: string[] = [];
    let currentTest = '';
    let capturing = false;
    const ids = { chat: '', call: '', email: '', other: '', doomed: '', sensitive: '' };
    const doomedKeys = ['attachment-1', 'attachment-2'];

    const upload = async (id: string, key: string, body: Buffer, contentType: string, query = '') => {
      const res = await fetch(`${server.url}/api/v1/interactions/${id}/content/${key}${query}`, {
        method: 'PUT',
        headers: { authorization: server.basic('admin1'), 'content-type': contentType },
        body,
      });
      expect(res.status, await res.clone().text()).toBe(201);
    };
    const ingest = async (record: Record<string, unknown>) => {
      const res = await call(`${server.url}/api/v1/interactions`, {
        method: 'POST',
        headers: { authorization: server.basic('admin1') },
        json: record,
      });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      return res.body.id as string;
    };

    /** axe-core on the page as it is: no serious or critical violations. */
    const checkAccessibility = async (screen: string) => {
      const violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] = await page.evaluate(
        async () => (await (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] })).violations,
      );
      const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(
        bad.map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
      ).toEqual([]);
    };

    /** axe at both widths and a screenshot of each. */
    const capture = async (screen: string) => {
      // axe-core adds style elements of its own while it checks; the page's CSP refuses them, as it should.
      capturing = true;
      await page.evaluate(await readFile(AXE, 'utf8'));
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: width > 800 ? 860 : 844 });
        await checkAccessibility(`${screen} at ${width}px`);
        const file = join(SHOTS, `console-${screen}-${width}.png`);
        await page.screenshot({ path: file, fullPage: width > 800 });
        if (process.env.IXVAULT_UPDATE_SCREENSHOTS === '1')
          await copyFile(file, resolve('docs', `console-${screen}-${width}.png`));
      }
      await page.setViewportSize({ width: 1280, height: 860 });
      await page.evaluate(() => 0); // lets the console messages of the checks arrive first
      capturing = false;
    };

    const signIn = async (userName: string) => {
      await page.goto(`${server.url}/console/`);
      await page.getByLabel('User name').fill(userName);
      await page.getByLabel('Password').fill(`pw-${userName}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    };
    const rows = () => page.locator('table.results tbody tr');
    const mediaTime = () => page.evaluate(() => (globalThis as any).document.querySelector('audio')?.currentTime ?? -1);

    beforeAll(async () => {
      server = await startTestServer();
      const tenant = server.runtime.directory.tenants.get('acme');
      if (!tenant) throw new Error('test tenant missing');
      const now = Date.now();
      // Demo-like bulk: every media type, content, chats with messages; more than two pages.
      await seedContactCenter(server.runtime.vault, tenant, {
        seed: 11,
        agents: 6,
        contacts: 60,
        interactions: 130,
        fromMs: now - 20 * DAY,
        toMs: now - 2 * DAY,
        contentRatio: 0.2,
        messagesPerChat: 8,
      });
      ids.chat = await ingest(
        chatRecord({
          startDate: ago(DAY),
          endDate: ago(DAY - 300_000),
          subject: 'Refund for order 1142',
          contactId: 'C-CHAT-1',
          messages: [
            { index: 1, from: { nickname: 'Maria', type: 'Customer' }, timestamp: ago(DAY), type: 'ParticipantJoined' },
            { index: 2, from: { nickname: 'Ann', type: 'Agent' }, timestamp: ago(DAY - 5000), type: 'ParticipantJoined' },
            {
              index: 3,
              from: { nickname: 'Maria', type: 'Customer' },
              text: 'My order arrived broken.',
              timestamp: ago(DAY - 20_000),
              type: 'Text',
            },
            {
              index: 4,
              from: { nickname: 'Ann', type: 'Agent' },
              text: 'Sorry to hear that! I am refunding it now.',
              timestamp: ago(DAY - 60_000),
              type: 'Text',
            },
            { index: 5, from: { nickname: 'Maria', type: 'Customer' }, timestamp: ago(DAY - 90_000), type: 'ParticipantLeft' },
          ],
        }),
      );
      ids.call = await ingest(
        callRecord({
          startDate: ago(DAY / 2),
          endDate: ago(DAY / 2 - CALL_SECONDS * 1000),
          callDuration: CALL_SECONDS,
          subject: 'Card blocked abroad',
          ownerInformation: { id: 'agent-1', userName: 'agent1', firstName: 'Ann', lastName: 'Agent' },
          handlingAgents: [{ id: 'agent-1' }],
          customAttributes: { Queue: 'Cards', Segment: 'Gold' },
        }),
      );
      // Ten minutes of 8 kHz audio (9.6 MB): long enough that a seek needs a new Range request.
      await upload(ids.call, 'callRecording', wavRecording(5, CALL_SECONDS), 'audio/wav', `?duration=${CALL_SECONDS * 1000}`);
      await upload(ids.call, 'transcript', jsonTranscript(TRANSCRIPT.lines), 'application/json');
      ids.email = await ingest(
        chatRecord({
          mediaType: 'email',
          messages: [],
          subject: 'Invoice question',
          startDate: ago(DAY / 3),
          endDate: ago(DAY / 3 - 60_000),
        }),
      );
      await upload(
        ids.email,
        'body',
        Buffer.from(
          '<html><head><style>p{color:red}</style></head><body><p>Hello <b>there</b>,</p><p>where is my invoice?</p>' +
            '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2"></body></html>',
        ),
        'text/html; charset=utf-8',
        '?type=attachment',
      );
      ids.other = await ingest(
        callRecord({ startDate: ago(DAY / 4), endDate: ago(DAY / 4 - 60_000), subject: 'Agent two only' }),
      );
      ids.doomed = await ingest(
        chatRecord({ startDate: ago(DAY / 5), endDate: ago(DAY / 5 - 60_000), subject: 'To be deleted' }),
      );
      for (const key of doomedKeys) await upload(ids.doomed, key, Buffer.from(`file ${key}\n`), 'text/plain', '?type=attachment');
      ids.sensitive = await ingest(
        callRecord({
          startDate: ago(DAY / 6),
          endDate: ago(DAY / 6 - 60_000),
          subject: 'Payment by phone',
          ownerInformation: { id: 'agent-1', userName: 'agent1' },
          handlingAgents: [{ id: 'agent-1' }],
        }),
      );
      await upload(ids.sensitive, 'callRecording', wavRecording(7, 2), 'audio/wav', '?containsSensitiveData=true');

      await mkdir(SHOTS, { recursive: true });
      profile = await mkdtemp(join(tmpdir(), 'ixvault-console-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        acceptDownloads: true,
        viewport: { width: 1280, height: 860 },
      });
      page = await context.newPage();
      page.on('console', (m) => {
        if (!capturing && m.type() === 'error' && /Content.Security.Policy/i.test(m.text()))
          cspViolations.push(`${page.url()} [${currentTest}]: ${m.text()}`);
      });
    }, 120_000);

    beforeEach((ctx) => {
      currentTest = ctx.task.name;
    });

    afterAll(async () => {
      await context?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
      await server?.stop();
      if (server) await removeTestData(server);
    });

    it('says when ixvault does not answer, instead of asking to sign in, and tries again', async () => {
      // As a proxy in front of a restarting ixvault answers: an HTML error page.
      await page.route('**/api/v1/session', (route) =>
        route.fulfill({ status: 502, contentType: 'text/html', body: '<html>bad gateway</html>' }),
      );
      await page.goto(`${server.url}/console/`);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('502 Bad Gateway');
      expect(await page.getByLabel('User name').count()).toBe(0);
      await capture('unreachable');
      await page.unroute('**/api/v1/session');
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByLabel('User name').waitFor();
    });

    it('signs in through the form', async () => {
      await page.goto(`${server.url}/console/`);
      await page.getByLabel('User name').waitFor();
      await capture('login');
      await page.getByLabel('User name').fill('admin1');
      await page.getByLabel('Password').fill('wrong');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('invalid user name or password');
      await page.getByLabel('Password').fill('pw-admin1');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await expect.poll(() => rows().count()).toBeGreaterThan(10);
    });

    it('searches with filters kept in the URL, and pages by scrolling', async () => {
      await page.getByLabel('Media type').selectOption('chat');
      await page.getByLabel('Contact id').fill('C-CHAT-1');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(() => page.url()).toContain('mediaType=chat');
      expect(page.url()).toContain('contactId=C-CHAT-1');
      await expect.poll(() => rows().count()).toBe(1);
      expect(await rows().first().getAttribute('data-id')).toBe(ids.chat);

      await page.getByRole('button', { name: 'Any time' }).click();
      await page.getByRole('button', { name: 'Clear' }).click();
      await page.goto(`${server.url}/console/?range=all`);
      await expect.poll(() => rows().count()).toBe(50);
      await capture('search');
      const nextPage = page.waitForRequest((r) => r.url().includes('/api/v1/interactions?') && r.url().includes('cursor='));
      await page.locator('.sentinel').scrollIntoViewIfNeeded();
      await nextPage;
      await expect.poll(() => rows().count()).toBe(100);
      const times = await rows().evaluateAll((trs) => trs.map((tr) => tr.querySelector('time, a')?.textContent ?? ''));
      expect(new Set(await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')))).size).toBe(100);
      expect(times.length).toBe(100);

      // Sorting by time: the oldest first, in order.
      await page.getByRole('button', { name: /^Start/ }).click();
      await expect.poll(() => page.url()).toContain('sort=asc');
      const starts = () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-start') ?? ''));
      await expect
        .poll(async () => {
          const s = await starts();
          return s.length === 50 && s.every((v, k) => k === 0 || (s[k - 1] ?? '') <= v);
        })
        .toBe(true);
    });

    it('opens a chat from the results with the keyboard alone, and reads it as a conversation', async () => {
      await page.goto(`${server.url}/console/?range=7d&contactId=C-CHAT-1`);
      await expect.poll(() => rows().count()).toBe(1);
      // Tab from the top of the page to the result's link, then Enter.
      const focusedIsResult = () =>
        page.evaluate(() => (globalThis as any).document.activeElement?.closest('table.results tbody a') != null);
      for (let tabs = 0; tabs < 60 && !(await focusedIsResult()); tabs++) await page.keyboard.press('Tab');
      expect(await focusedIsResult()).toBe(true);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Conversation' }).waitFor();
      const bubbles = page.locator('.conversation .bubble');
      await expect.poll(() => bubbles.count()).toBe(2);
      expect(await bubbles.first().textContent()).toContain('My order arrived broken.');
      expect(await page.locator('.conversation .event').first().textContent()).toContain('Maria joined');
      await capture('chat');
    });

    it('plays a call, seeks with a Range request, and the transcript follows', async () => {
      const ranges: string[] = [];
      page.on('request', (r) => {
        // The audio element's own requests; the waveform's samples are fetches.
        if (
          r.resourceType() === 'media' &&
          r.url().includes(`/interactions/${ids.call}/content/callRecording`) &&
          r.headers().range
        )
          ranges.push(r.headers().range as string);
      });
      await page.goto(`${server.url}/console/interactions/${ids.call}`);
      await page.getByRole('button', { name: 'Play' }).click();
      await expect.poll(mediaTime, { timeout: 20_000 }).toBeGreaterThan(0.5);
      await page.getByRole('button', { name: 'Pause' }).click();

      // A click on a transcript line seeks there; that line is then the current one.
      const line = page.locator('.transcript li').nth(30); // 450 s
      await line.getByRole('button').click();
      await expect.poll(mediaTime).toBeGreaterThanOrEqual(450);
      await expect.poll(() => line.getAttribute('aria-current')).toBe('true');
      await expect
        .poll(() => ranges.some((r) => Number(/^bytes=(\d+)-/.exec(r)?.[1] ?? 0) > 4_000_000), { timeout: 20_000 })
        .toBe(true);

      // Keyboard: J goes back 10 s, L forward; the highlight moves with the audio.
      await page.locator('body').press('j');
      await expect.poll(mediaTime).toBeLessThan(445);
      await expect.poll(() => page.locator('.transcript li').nth(29).getAttribute('aria-current')).toBe('true');
      await page.getByLabel('Speed').selectOption('1.5');
      expect(await page.evaluate(() => (globalThis as any).document.querySelector('audio')?.playbackRate)).toBe(1.5);
      // Playing on from there: time advances past the seek target.
      const before = await mediaTime();
      await page.locator('body').press('k');
      await expect.poll(mediaTime, { timeout: 20_000 }).toBeGreaterThan(before + 0.5);
      await page.locator('body').press('k');
      // The waveform is drawn (from sampled Range requests: the file is too long to fetch whole).
      await expect
        .poll(
          () =>
            page.evaluate(
              () =>
                (globalThis as any).document.querySelector('.waveform > div')?.shadowRoot?.querySelectorAll('canvas').length ?? 0,
            ),
          { timeout: 30_000 },
        )
        .toBeGreaterThan(0);
      expect(await page.locator('[data-testid="current-time"]').textContent()).toMatch(/^7:\d\d$/);
      await capture('call');
    }, 90_000);

    it('finds words in a transcript, marks them, and opens the call at that second', async () => {
      await page.goto(`${server.url}/console/?range=all`);
      await page.getByLabel('Words').fill('"customer line 21"');
      await page.getByLabel('Words').press('Enter');
      await expect.poll(() => page.url()).toContain('q=');
      const hit = page.locator('.hit').first();
      await expect.poll(() => hit.locator('mark').allTextContents(), { timeout: 20_000 }).toEqual(['Customer line 21']);
      await hit.getByRole('link', { name: 'transcript 5:15' }).click();
      await expect.poll(() => page.url()).toContain(`/interactions/${ids.call}?t=315`);
      await expect.poll(mediaTime, { timeout: 20_000 }).toBeGreaterThanOrEqual(315);
    }, 60_000);

    it('downloads a content item', async () => {
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Download transcript transcript' }).click();
      const file = await (await download).path();
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ lines: TRANSCRIPT.lines });
    });

    it('shows an email as text, its HTML never executed', async () => {
      await page.goto(`${server.url}/console/interactions/${ids.email}`);
      const body = page.locator('pre.email');
      await expect.poll(() => body.textContent()).toContain('Hello there,');
      const text = (await body.textContent()) ?? '';
      expect(text).toContain('where is my invoice?');
      expect(text).not.toMatch(/<|pwned|color:red/);
      expect(await page.evaluate(() => (globalThis as any).__pwned)).toBeUndefined();
      await capture('email');
    });

    it('deletes a content item, then the interaction, each after a confirmation naming what goes', async () => {
      await page.goto(`${server.url}/console/interactions/${ids.doomed}`);
      await page.getByRole('button', { name: `Delete attachment ${doomedKeys[0]}` }).click();
      const dialog = page.getByRole('dialog');
      await expect.poll(() => dialog.textContent()).toContain(`attachment ${doomedKeys[0]}`);
      await capture('confirm');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(() => dialog.count()).toBe(0);
      expect(
        (await call(`${server.url}/api/v1/interactions/${ids.doomed}`, { headers: { authorization: server.basic('admin1') } }))
          .body.content,
      ).toHaveLength(2);

      await page.getByRole('button', { name: `Delete attachment ${doomedKeys[0]}` }).click();
      await dialog.getByRole('button', { name: 'Delete content item' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain(`Deleted attachment ${doomedKeys[0]}`);
      await expect.poll(() => page.locator('table.content tbody tr').count()).toBe(1);

      await page.getByRole('button', { name: 'Delete interaction' }).click();
      const text = (await dialog.textContent()) ?? '';
      expect(text).toContain(`Delete interaction ${ids.doomed}?`);
      expect(text).toContain(`attachment ${doomedKeys[1]}`);
      expect(text).toContain('2 messages and 1 content item');
      await dialog.getByRole('button', { name: 'Delete interaction' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain(`Interaction ${ids.doomed} was deleted.`);
      expect(
        (await call(`${server.url}/api/v1/interactions/${ids.doomed}`, { headers: { authorization: server.basic('admin1') } }))
          .status,
      ).toBe(404);
    });

    it('shows the deletions in the audit log, filterable', async () => {
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      const auditRows = page.locator('table.audit tbody tr');
      await expect.poll(() => auditRows.count()).toBeGreaterThanOrEqual(2);
      const all = await auditRows.allTextContents();
      expect(all.some((r) => r.includes('interaction.delete') && r.includes(ids.doomed) && r.includes('user:acme/admin-1'))).toBe(
        true,
      );
      expect(all.some((r) => r.includes('content.delete') && r.includes(doomedKeys[0] as string))).toBe(true);
      await page.getByLabel('Action').selectOption('content.delete');
      await page.getByRole('button', { name: 'Filter' }).click();
      await expect.poll(() => page.url()).toContain('action=content.delete');
      await expect.poll(async () => (await auditRows.allTextContents()).every((r) => r.includes('content.delete'))).toBe(true);
      await capture('audit');
    });

    it('shows a new interaction live in a search that reaches now', async () => {
      await page.goto(`${server.url}/console/?range=1h`);
      await page.locator('.live-live').waitFor({ timeout: 20_000 });
      const id = await ingest(
        chatRecord({ startDate: new Date().toISOString(), endDate: undefined, state: 'InProcess', subject: 'Just arrived' }),
      );
      const row = page.locator(`tr[data-id="${id}"]`);
      await row.waitFor({ timeout: 20_000 });
      expect(await row.getAttribute('class')).toBe('fresh');
      expect(await row.textContent()).toContain('Just arrived');
      await capture('live');
    });

    it("an agent sees its own interactions and cannot reach another agent's by URL", async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signIn('agent1');
      expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
      await page.goto(`${server.url}/console/interactions/${ids.other}`);
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toContain(`Interaction ${ids.other} was not found, or you may not see it.`);
      await page.goto(`${server.url}/console/interactions/${ids.call}`);
      await page.getByRole('heading', { name: /Card blocked abroad/ }).waitFor();
      expect(await page.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
      await page.goto(`${server.url}/console/?range=all`);
      await expect.poll(() => rows().count()).toBeGreaterThan(0);
      const owners = await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
      expect(owners).not.toContain(ids.other);
    });

    it('marks sensitive content, and offers it to no one without the right to download it', async () => {
      await page.goto(`${server.url}/console/interactions/${ids.sensitive}`);
      await page.getByRole('heading', { name: /Payment by phone/ }).waitFor();
      const row = page.getByRole('row', { name: /callRecording/ });
      expect(await row.textContent()).toContain('sensitive');
      expect(await row.textContent()).toContain('Restricted');
      expect(await row.getByRole('link', { name: /Download/ }).count()).toBe(0);
      // No player either: it would only fetch a 403.
      expect(await page.locator('audio').count()).toBe(0);
    });

    it('ran without any Content-Security-Policy violation', () => {
      expect(cspViolations).toEqual([]);
    });
  },
);
