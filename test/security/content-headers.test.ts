/**
 * Issue 8, finding 9: uploaded bytes are never run as a page of this origin
 * (nosniff, a sandboxing CSP, a download unless the type is a media type
 * browsers only display), every answer carries security headers, and
 * nothing personal may be stored by a browser or a cache.
 */
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_POLICY } from '../../src/api/shared/security-headers.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { type ContentUpload, type Ingested, ingest, V3 } from '../vonage/helpers.js';

const SAMPLES: { type: string; body: string; inline: boolean }[] = [
  { type: 'text/html', body: '<script>fetch("/api/v1/interactions").then(r=>r.text()).then(alert)</script>', inline: false },
  { type: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', inline: false },
  {
    type: 'application/xhtml+xml',
    body: '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    inline: false,
  },
  { type: 'application/octet-stream', body: '<script>alert(1)</script>', inline: false },
  { type: 'image/png', body: '\x89PNG\r\n\x1a\n', inline: true },
  { type: 'audio/wav', body: 'RIFF....WAVEfmt ', inline: true },
  { type: 'text/plain; charset=utf-8', body: 'a transcript', inline: true },
];

/** What helmet itself sets on a real Node response under the server's policy: the server computes it once at boot. */
function helmetsOwnHeaders(): [string, string][] {
  const response = new ServerResponse(new IncomingMessage(new Socket()));
  helmet(SECURITY_POLICY)(response.req, response, (err?: unknown) => {
    if (err) throw err;
  });
  return Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]);
}

describe(`safe content delivery and security headers (${BACKEND})`, () => {
  let server: TestServer;
  let interaction: Ingested;
  let uploads: (ContentUpload & { inline: boolean })[];
  beforeAll(async () => {
    server = await startTestServer();
    uploads = SAMPLES.map((s) => ({
      key: randomUUID(),
      body: s.body,
      contentType: s.type,
      query: { type: 'voicemail' },
      inline: s.inline,
    }));
    interaction = await ingest(server, await server.bearer('acme-writer'), { startDate: '2025-06-01T09:00:00Z' }, uploads);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const expectSafeContent = (headers: Headers, inline: boolean, what: string) => {
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('content-security-policy'), what).toBe("sandbox; default-src 'none'");
    expect(headers.get('content-disposition'), what).toBe(inline ? 'inline' : 'attachment');
    expect(headers.get('cache-control'), what).toContain('no-store');
  };

  it('serves every content item sandboxed, as a download unless it is a displayable media type (Vonage, native)', async () => {
    const reader = await server.bearer('acme-reader');
    for (const upload of uploads) {
      const vonage = await fetch(`${server.url}/interaction-content/interactions/${interaction.guid}/content/${upload.key}`, {
        headers: { accept: V3, authorization: reader },
      });
      expect(vonage.status).toBe(200);
      expect(vonage.headers.get('content-type')).toBe(upload.contentType);
      expectSafeContent(vonage.headers, upload.inline, `Vonage ${upload.contentType}`);
      const native = await fetch(`${server.url}/api/v1/interactions/${interaction.id}/content/${upload.key}`, {
        headers: { authorization: server.basic('admin1'), range: 'bytes=0-3' },
      });
      expect(native.status).toBe(206);
      expectSafeContent(native.headers, upload.inline, `native ${upload.contentType}`);
    }
  });

  it('puts security headers and no-store on every JSON answer, errors included', async () => {
    const answers = [
      await call(`${server.url}/api/v1/interactions?limit=1`, { headers: { authorization: server.basic('admin1') } }),
      await call(`${server.url}/api/v1/interactions?limit=1`),
      await call(`${server.url}/interaction-content/interactions?limit=1`, {
        headers: { accept: V3, authorization: await server.bearer('acme-reader') },
      }),
      await call(`${server.url}/api/v2/ucs/interactions`, {
        method: 'POST',
        headers: { authorization: server.basic('agent1') },
        json: { operationName: 'RetrieveInteractionHistory' },
      }),
    ];
    const helmets = helmetsOwnHeaders();
    expect(helmets.length).toBeGreaterThanOrEqual(10);
    for (const [i, res] of answers.entries()) {
      expect(res.status, `answer ${i}`).toBeLessThan(500);
      for (const [name, value] of helmets) expect(res.headers.get(name), `answer ${i}: ${name}`).toBe(value);
      expect(res.headers.get('x-content-type-options'), `answer ${i}`).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), `answer ${i}`).toBe('DENY');
      expect(res.headers.get('content-security-policy'), `answer ${i}`).toContain("frame-ancestors 'none'");
      expect(res.headers.get('referrer-policy'), `answer ${i}`).toBe('no-referrer');
      expect(res.headers.get('cache-control'), `answer ${i}`).toBe('no-store');
    }
    // Routes outside the APIs, unknown paths and refusals before any route get every header too.
    for (const url of ['/health', '/no/such/path', '/interaction-content/interactions?limit=1']) {
      const res = await fetch(`${server.url}${url}`);
      await res.arrayBuffer();
      for (const [name, value] of helmets) expect(res.headers.get(name), `${url} (${res.status}): ${name}`).toBe(value);
    }
    const bayeux = await fetch(`${server.url}/api/v2/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
    });
    expect(bayeux.headers.get('x-content-type-options')).toBe('nosniff');
    expect(bayeux.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('keeps the API reference page working under its CSP: scripts from this origin only, none inline', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    const html = await res.text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? '');
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toMatch(/\ssrc="/);
    for (const link of html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)) {
      const url = new URL(link[1] as string, `${server.url}/docs`);
      const asset = await fetch(url);
      expect(asset.status, url.pathname).toBe(200);
      // Read to the end: an unread body keeps the connection busy and the server from closing.
      await asset.arrayBuffer();
    }
  });
});
