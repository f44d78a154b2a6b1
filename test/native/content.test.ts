import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INLINE_MAX_BYTES } from '../../src/blobs/inline.js';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, send, type TestServer } from '../helpers/server.js';

const LIMIT = 4 * 1024 * 1024;

describe(`native content (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  const blobFiles = (): string[] => {
    const root = join(server.dataDir, 'blobs', 'acme');
    if (!existsSync(root)) return [];
    return readdirSync(root).flatMap((dir) => readdirSync(join(root, dir)));
  };
  const tempFiles = () => readdirSync(join(server.dataDir, 'blobs', '.tmp'));
  const newInteraction = async () =>
    (await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: admin }, json: callRecord() })).body
      .id as string;
  const upload = (id: string, key: string, bytes: Uint8Array, query = '', type = 'audio/wav') =>
    call(`${api()}/interactions/${id}/content/${key}${query}`, {
      method: 'PUT',
      headers: { authorization: admin, 'content-type': type },
      body: bytes,
    });

  beforeAll(async () => {
    server = await build({ maxContentBytes: LIMIT });
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('round-trips bytes with their checksum, type and metadata', async () => {
    const id = await newInteraction();
    const bytes = randomBytes(300_000);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const put = await upload(id, 'callRecording', bytes, '?duration=180000&version=2');
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({
      contentKey: 'callRecording',
      type: 'callRecording',
      contentType: 'audio/wav',
      contentLength: bytes.length,
      sha256: sha,
      properties: { duration: 180000, version: 2 },
    });
    const res = await send(`${api()}/interactions/${id}/content/callRecording`, { headers: { authorization: admin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(res.headers.get('etag')).toBe(`"${sha}"`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(sha);
    const record = await call(`${api()}/interactions/${id}`, { headers: { authorization: admin } });
    expect(record.body.content).toHaveLength(1);
    expect(record.body.content[0]).toMatchObject({ contentKey: 'callRecording', sha256: sha, contentLength: bytes.length });
  });

  it('serves ranges and conditional requests', async () => {
    const id = await newInteraction();
    const bytes = randomBytes(10_000);
    await upload(id, 'transcript', bytes, '', 'application/json');
    const url = `${api()}/interactions/${id}/content/transcript`;
    const range = async (value: string) => send(url, { headers: { authorization: admin, range: value } });
    const middle = await range('bytes=100-199');
    expect(middle.status).toBe(206);
    expect(middle.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(Buffer.from(await middle.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const open = await range('bytes=9990-');
    expect(Buffer.from(await open.arrayBuffer()).equals(bytes.subarray(9990))).toBe(true);
    const suffix = await range('bytes=-5');
    expect(suffix.headers.get('content-range')).toBe('bytes 9995-9999/10000');
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(9995))).toBe(true);
    const beyond = await range('bytes=20000-');
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */10000');
    const etag = middle.headers.get('etag') ?? '';
    const cached = await send(url, { headers: { authorization: admin, 'if-none-match': etag } });
    expect(cached.status).toBe(304);
    const lastModified = middle.headers.get('last-modified') ?? '';
    const notModified = await send(url, { headers: { authorization: admin, 'if-modified-since': lastModified } });
    expect(notModified.status).toBe(304);
  });

  // Above INLINE_MAX_BYTES, so in the blob store (small content: test/native/inline-content.test.ts).
  it('stores identical bytes once and deletes them with the last reference', async () => {
    const a = await newInteraction();
    const b = await newInteraction();
    const bytes = randomBytes(INLINE_MAX_BYTES + 1);
    const sha = createHash('sha256').update(bytes).digest('hex');
    await upload(a, 'callRecording', bytes);
    await upload(b, 'callRecording', bytes);
    expect(blobFiles().filter((f) => f === sha)).toHaveLength(1);
    const delA = await call(`${api()}/interactions/${a}/content/callRecording`, {
      method: 'DELETE',
      headers: { authorization: admin },
    });
    expect(delA.status).toBe(204);
    expect(blobFiles()).toContain(sha);
    await call(`${api()}/interactions/${b}`, { method: 'DELETE', headers: { authorization: admin } });
    expect(blobFiles()).not.toContain(sha);
    const audit = await call(`${api()}/audit`, { headers: { authorization: admin } });
    const actions = audit.body.entries.map((e: { action: string; interactionId: string }) => [e.action, e.interactionId]);
    expect(actions).toContainEqual(['content.delete', a]);
    expect(actions).toContainEqual(['interaction.delete', b]);
  });

  it('replacing content under the same key releases the old bytes', async () => {
    const id = await newInteraction();
    const first = randomBytes(INLINE_MAX_BYTES + 1000);
    const second = randomBytes(INLINE_MAX_BYTES + 1000);
    await upload(id, 'callRecording', first);
    await upload(id, 'callRecording', second);
    const files = blobFiles();
    expect(files).not.toContain(createHash('sha256').update(first).digest('hex'));
    expect(files).toContain(createHash('sha256').update(second).digest('hex'));
    const record = await call(`${api()}/interactions/${id}`, { headers: { authorization: admin } });
    expect(record.body.content).toHaveLength(1);
  });

  it('validates keys, types and metadata, naming the field', async () => {
    const id = await newInteraction();
    const cases: [string, string, string, string | undefined][] = [
      ['bad key', 'has space', '', 'contentKey'],
      ['long key', 'x'.repeat(37), '?type=attachment', 'contentKey'],
      ['uuid key without type', '0a6b7c0e-8f56-4d3f-9a52-0b9f5c1e9d11', '', 'type'],
      ['unknown type', 'thing', '?type=hologram', 'type'],
      ['bad duration', 'callRecording', '?duration=long', 'duration'],
      ['unknown parameter', 'callRecording', '?colour=red', 'colour'],
    ];
    for (const [, key, query, field] of cases) {
      const res = await upload(id, encodeURIComponent(key), Buffer.from('x'), query);
      expect(res.status, key).toBe(400);
      expect(res.body.field, key).toBe(field);
    }
    const noType = await call(`${api()}/interactions/${id}/content/callRecording`, {
      method: 'PUT',
      headers: { authorization: admin },
      body: Buffer.from('x'),
    });
    expect(noType.status).toBe(400);
    expect(noType.body.field).toBe('Content-Type');
    const missing = await upload('NOSUCHINTERACTN1', 'callRecording', Buffer.from('x'));
    expect(missing.status).toBe(404);
    const missingContent = await call(`${api()}/interactions/${id}/content/voicemail`, { headers: { authorization: admin } });
    expect(missingContent.status).toBe(404);
    expect(missingContent.body.code).toBe('IXV_CONTENT_NOT_FOUND');
    expect(tempFiles()).toEqual([]);
  });
});
