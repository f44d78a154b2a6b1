/**
 * Downloads by redirect (`--s3-download-redirect`, issue 11): with content on
 * S3 (Ceph RGW), a download is answered with a 302 to a presigned URL of the
 * bucket, after the read is authorised and audited; the URL's answer carries
 * the download's Content-Type, Content-Disposition and Cache-Control, and
 * honours the Range the client sends again. Conditional requests, 416 and
 * refusals are still answered by ixvault, without a URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INLINE_MAX_BYTES } from '../../src/blobs/inline.js';
import { auditLog, native, type Stored, storeCall } from '../governance/helpers.js';
import { build } from '../helpers/app.js';
import { S3_UNAVAILABLE, startTestS3, type TestS3 } from '../helpers/s3.js';
import { BACKEND, call, removeTestData, send, type TestServer } from '../helpers/server.js';
import { vonage } from '../vonage/helpers.js';

// Above INLINE_MAX_BYTES, so kept in the bucket: small content is kept in the database (src/blobs/inline.ts).
const RECORDING = Buffer.from(`RIFF${'recorded call '.repeat(5000)}`);
const PDF = Buffer.from(`%PDF-1.7 ${'not really '.repeat(7000)}`);
const SMALL = Buffer.from('a small transcript, kept in the database');

describe.skipIf(S3_UNAVAILABLE)(`downloads by redirect to S3 (${BACKEND})${S3_UNAVAILABLE ? ` (${S3_UNAVAILABLE})` : ''}`, () => {
  let s3: TestS3;
  let bucket: string;
  let server: TestServer;
  let target: Stored;
  const url = (key: string) => `${server.url}/api/v1/interactions/${target.id}/content/${key}`;

  beforeAll(async () => {
    s3 = await startTestS3();
    bucket = await s3.newBucket();
    const config = s3.config(bucket, 'vault/');
    if (config.kind !== 's3') throw new Error('an S3 configuration was expected');
    server = await build({ blobStore: { ...config, downloadRedirect: true } });
    target = await storeCall(server, {}, false);
    const admin = server.basic('admin1');
    for (const [key, type, body, query] of [
      ['callRecording', 'audio/wav', RECORDING, ''],
      ['attachment', 'application/pdf', PDF, ''],
      ['transcript', 'text/plain', SMALL, ''],
      ['screenRecording', 'video/webm', Buffer.from('webm of a card number'), '?containsSensitiveData=true'],
    ] as const) {
      const put = await call(`${url(key)}${query}`, {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': type },
        body,
      });
      expect(put.status, JSON.stringify(put.body)).toBe(201);
    }
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    if (server) await removeTestData(server);
    await s3?.dropBucket(bucket).catch(() => {});
    await s3?.stop();
  });

  it('answers a download with a redirect to the bucket, audited first, whose answer has the download headers', async () => {
    const auth = { authorization: server.basic('super1') };
    const before = (await auditLog(server)).filter((e) => e.action === 'content.read').length;
    const res = await call(url('callRecording'), { headers: auth });
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${s3.endpoint}/${bucket}/vault/`)).toBe(true);
    const reads = (await auditLog(server)).filter((e) => e.action === 'content.read');
    expect(reads.length).toBe(before + 1);
    expect(reads[0]).toMatchObject({ actor: expect.stringContaining('super-1'), contentKey: 'callRecording' });
    const bytes = await fetch(location);
    expect(bytes.status).toBe(200);
    expect(bytes.headers.get('content-type')).toBe('audio/wav');
    expect(bytes.headers.get('content-disposition')).toBe('inline');
    expect(bytes.headers.get('cache-control')).toBe('private, no-store');
    expect(Buffer.from(await bytes.arrayBuffer()).equals(RECORDING)).toBe(true);
    // Anything browsers would render is still a download.
    const attachment = await call(url('attachment'), { headers: auth });
    expect(attachment.status).toBe(302);
    const pdf = await fetch(attachment.headers.get('location') ?? '');
    expect([pdf.status, pdf.headers.get('content-disposition'), pdf.headers.get('content-type')]).toEqual([
      200,
      'attachment',
      'application/pdf',
    ]);
  });

  it('honours Range at the bucket, and answers conditional requests and unsatisfiable ranges itself', async () => {
    const auth = { authorization: server.basic('super1') };
    const ranged = await call(url('callRecording'), { headers: { ...auth, range: 'bytes=4-17' } });
    expect(ranged.status).toBe(302);
    const part = await fetch(ranged.headers.get('location') ?? '', { headers: { range: 'bytes=4-17' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-17/${RECORDING.length}`);
    expect(Buffer.from(await part.arrayBuffer()).toString()).toBe(RECORDING.subarray(4, 18).toString());
    const etag = ranged.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const unchanged = await call(url('callRecording'), { headers: { ...auth, 'if-none-match': etag } });
    expect([unchanged.status, unchanged.headers.get('location')]).toEqual([304, null]);
    const beyond = await call(url('callRecording'), { headers: { ...auth, range: `bytes=${RECORDING.length}-` } });
    expect([beyond.status, beyond.headers.get('location')]).toEqual([416, null]);
    // A presigned URL is for a GET: a HEAD is answered here, with the length.
    const head = await call(url('callRecording'), { method: 'HEAD', headers: auth });
    expect([head.status, head.headers.get('location'), head.headers.get('content-length')]).toEqual([
      200,
      null,
      String(RECORDING.length),
    ]);
  });

  it('refuses without a URL whoever may not read the item, on every facade', async () => {
    // agent-2 handles the fixture's call but may not read sensitive content; agent-1 does not handle it.
    const refused = await call(url('screenRecording'), { headers: { authorization: server.basic('agent2') } });
    expect([refused.status, refused.headers.get('location')]).toEqual([403, null]);
    const hidden = await call(url('callRecording'), { headers: { authorization: server.basic('agent1') } });
    expect(hidden.status).toBe(404);
    expect(hidden.headers.get('location')).toBeNull();
    const reader = await server.bearer('acme-reader', 'interaction-content:read');
    const viaVonage = await vonage(server, `/interactions/${target.guid}/content/callrecording`, reader);
    expect(viaVonage.status).toBe(302);
    const sensitive = await vonage(server, `/interactions/${target.guid}/content/screenrecording`, reader);
    expect(sensitive.status).toBe(403);
  });

  it('serves small content kept in the database itself: no object to redirect to, the read audited all the same', async () => {
    expect(RECORDING.length).toBeGreaterThan(INLINE_MAX_BYTES);
    const auth = { authorization: server.basic('super1') };
    const before = (await auditLog(server)).filter((e) => e.action === 'content.read').length;
    const res = await send(url('transcript'), { headers: auth });
    expect([res.status, res.headers.get('location')]).toEqual([200, null]);
    expect(Buffer.from(await res.arrayBuffer()).equals(SMALL)).toBe(true);
    expect((await auditLog(server)).filter((e) => e.action === 'content.read').length).toBe(before + 1);
    const ranged = await send(url('transcript'), { headers: { ...auth, range: 'bytes=2-6' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).toString()).toBe('small');
  });

  it('keeps streaming the bytes through when the store does not redirect', async () => {
    const plain = await build();
    try {
      const stored = await storeCall(plain);
      const res = await native(plain, `/interactions/${stored.id}/content/callRecording`, plain.basic('admin1'));
      expect(res.status).toBe(200);
      expect(String(res.body)).toMatch(/^RIFF-/);
    } finally {
      await plain.stop();
      await removeTestData(plain);
    }
  });
});
