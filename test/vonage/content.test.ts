import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, removeTestData, send, type TestServer } from '../helpers/server.js';
import { type Ingested, ingest, V3, vonage } from './helpers.js';

const SIZE = 10_000;

describe(`Vonage content download (${BACKEND})`, () => {
  let server: TestServer;
  let reader: string;
  let interaction: Ingested;
  const recording = new Uint8Array(randomBytes(SIZE));
  const voicemail = new TextEncoder().encode('a voicemail for agent-2');

  beforeAll(async () => {
    server = await build();
    reader = await server.bearer('acme-reader');
    interaction = await ingest(server, await server.bearer('acme-writer'), { startDate: '2025-06-01T09:00:00Z' }, [
      { key: 'callRecording', body: recording, contentType: 'audio/wav' },
      { key: 'fbebd00a-9017-48d3-ad5c-156f4c45024e', body: voicemail, contentType: 'audio/wav', query: { type: 'voicemail' } },
    ]);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  /** The raw answer: status, headers and the exact bytes. */
  async function download(key: string, headers: Record<string, string> = {}, guid = interaction.guid) {
    const res = await send(`${server.url}/interaction-content/interactions/${guid}/content/${key}`, {
      headers: { accept: V3, authorization: reader, ...headers },
    });
    return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
  }

  it('serves the whole file with its stored type, length and validators', async () => {
    const res = await download('callRecording');
    expect(res.status).toBe(200);
    expect(res.bytes).toEqual(recording);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect(Date.parse(res.headers.get('last-modified') ?? '')).not.toBeNaN();
  });

  it('serves a content item by its own key', async () => {
    const res = await download('fbebd00a-9017-48d3-ad5c-156f4c45024e');
    expect(res.status).toBe(200);
    expect(res.bytes).toEqual(voicemail);
  });

  it.each([
    ['first 1024 bytes, as the Vonage sample asks', 'bytes=0-1023', 0, 1023],
    ['a middle range', 'bytes=1000-1999', 1000, 1999],
    ['an open range', 'bytes=9000-', 9000, SIZE - 1],
    ['a suffix range', 'bytes=-500', SIZE - 500, SIZE - 1],
    ['a suffix longer than the file', 'bytes=-20000', 0, SIZE - 1],
    ['a range past the end, clipped', 'bytes=9990-20000', 9990, SIZE - 1],
    ['the last byte', 'bytes=9999-9999', SIZE - 1, SIZE - 1],
  ])('serves %s as 206, byte for byte', async (_name, range, first, last) => {
    const res = await download('callRecording', { range });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${first}-${last}/${SIZE}`);
    expect(res.headers.get('content-length')).toBe(String(last - first + 1));
    expect(res.bytes).toEqual(recording.slice(first, last + 1));
  });

  it.each([
    ['starting at the end', 'bytes=10000-'],
    ['starting past the end', 'bytes=20000-30000'],
    ['an empty suffix', 'bytes=-0'],
  ])('answers a range %s with 416 and the size', async (_name, range) => {
    const res = await download('callRecording', { range });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${SIZE}`);
    expect(JSON.parse(new TextDecoder().decode(res.bytes))).toEqual({ message: expect.stringContaining('range') });
  });

  it('serves the whole file for a Range it cannot honour or an outdated If-Range', async () => {
    expect((await download('callRecording', { range: 'bytes=0-1,5-6' })).status).toBe(200);
    expect((await download('callRecording', { range: 'items=0-1' })).bytes).toEqual(recording);
    const stale = await download('callRecording', { range: 'bytes=0-9', 'if-range': '"0000"' });
    expect(stale.status).toBe(200);
    expect(stale.bytes).toEqual(recording);
    const { headers } = await download('callRecording');
    const fresh = await download('callRecording', { range: 'bytes=0-9', 'if-range': headers.get('etag') ?? '' });
    expect(fresh.status).toBe(206);
    expect(fresh.bytes).toEqual(recording.slice(0, 10));
  });

  it('answers conditional GETs with 304 while the content is unchanged', async () => {
    const { headers } = await download('callRecording');
    const etag = headers.get('etag') ?? '';
    const lastModified = headers.get('last-modified') ?? '';
    const byTag = await download('callRecording', { 'if-none-match': etag });
    expect(byTag.status).toBe(304);
    expect(byTag.bytes).toHaveLength(0);
    expect(byTag.headers.get('etag')).toBe(etag);
    expect((await download('callRecording', { 'if-none-match': `"other", ${etag}` })).status).toBe(304);
    expect((await download('callRecording', { 'if-none-match': '"other"' })).status).toBe(200);
    expect((await download('callRecording', { 'if-modified-since': lastModified })).status).toBe(304);
    const before = new Date(Date.parse(lastModified) - 1000).toUTCString();
    const modified = await download('callRecording', { 'if-modified-since': before });
    expect(modified.status).toBe(200);
    expect(modified.bytes).toEqual(recording);
  });

  it('finds a type-named key written in another case, as the Vonage samples write callrecording', async () => {
    const res = await download('callrecording', { range: 'bytes=0-1023' });
    expect(res.status).toBe(206);
    expect(res.bytes).toEqual(recording.slice(0, 1024));
    expect((await download('CALLRECORDING')).bytes).toEqual(recording);
  });

  it('answers 404 with a message for a key the interaction does not have', async () => {
    for (const key of ['transcript', 'vm-unknown']) {
      const res = await vonage(server, `/interactions/${interaction.guid}/content/${key}`, reader);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ message: expect.stringContaining(key) });
    }
    const unknownInteraction = await vonage(
      server,
      '/interactions/00000000-0000-4000-8000-000000000000/content/callRecording',
      reader,
    );
    expect(unknownInteraction.status).toBe(404);
  });

  it('refuses a malformed content key or GUID with a 400 naming it', async () => {
    const longKey = await vonage(server, `/interactions/${interaction.guid}/content/${'k'.repeat(37)}`, reader);
    expect(longKey.status).toBe(400);
    expect(longKey.body.message).toContain('contentKey');
    const badKey = await vonage(server, `/interactions/${interaction.guid}/content/call%20recording`, reader);
    expect(badKey.status).toBe(400);
    expect(badKey.body.message).toContain('contentKey');
    const badGuid = await vonage(server, '/interactions/111414121313/content/callRecording', reader);
    expect(badGuid).toMatchObject({ status: 400, body: { message: 'GUID must be 36 characters in length' } });
  });
});
