/**
 * The S3 blob store (Ceph RGW) failing under a running server (session 8,
 * "deps"): the link to the endpoint is reset and refused, before a request and
 * in the middle of a download and of an upload. The server stays up; requests
 * are answered 503 in their API's format; an upload that did not reach the
 * bucket leaves no content row; a download cut in the middle ends its answer
 * (never a complete-looking answer with bytes missing); /ready says the content
 * store is unreachable; everything works again once the link is back.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRecord } from '../helpers/fixtures.js';
import { S3_UNAVAILABLE, startTestS3, type TestS3 } from '../helpers/s3.js';
import { BACKEND, call } from '../helpers/server.js';
import type { Link } from './link.js';
import { buildThroughLinks, expectUnavailable, type LinkedServer } from './through-links.js';

describe.skipIf(S3_UNAVAILABLE)(
  `S3 down under a running server (${BACKEND})${S3_UNAVAILABLE ? ` (${S3_UNAVAILABLE})` : ''}`,
  () => {
    let s3: TestS3;
    let bucket: string;
    let server: LinkedServer;
    let admin: string;
    let id: string;
    let base: string;
    const recording = randomBytes(3 * 1024 * 1024);
    beforeAll(async () => {
      s3 = await startTestS3();
      bucket = await s3.newBucket();
      server = await buildThroughLinks({ blobStore: s3.config(bucket) });
      admin = server.basic('admin1');
      // A real socket: a download cut in the middle is seen as a client sees it.
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      const address = server.app.server.address() as { port: number };
      base = `http://127.0.0.1:${address.port}`;
      const created = await call(`${base}/api/v1/interactions`, {
        method: 'POST',
        headers: { authorization: admin },
        json: callRecord({ guid: randomUUID() }),
      });
      expect(created.status).toBe(201);
      id = created.body.id;
    });
    afterAll(async () => {
      await server?.stop();
      if (bucket) await s3?.dropBucket(bucket);
      await s3?.stop();
    });

    const upload = (key: string, body: Uint8Array) =>
      call(`${base}/api/v1/interactions/${id}/content/${key}?type=callRecording`, {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': 'audio/wav' },
        body,
      });
    const download = (key: string) =>
      fetch(`${base}/api/v1/interactions/${id}/content/${key}`, { headers: { authorization: admin } });

    it('refuses uploads and downloads with a 503 while S3 is down, stores no row for them, and serves again after', async () => {
      const link = server.s3;
      if (!link) throw new Error('no link to S3');
      expect((await upload('before', recording)).status).toBe(201);

      await link.down();
      expectUnavailable(await upload('during', recording), String(link.port));
      const refused = await download('before');
      expectUnavailable({ status: refused.status, headers: refused.headers, body: await refused.json() }, String(link.port));
      const ready = await call(`${base}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'unavailable', reason: 'content store unreachable' });

      await link.up();
      expect((await call(`${base}/ready`)).status).toBe(200);
      // The refused upload left no row pointing at nothing.
      expect((await download('during')).status).toBe(404);
      const again = await download('before');
      expect(again.status).toBe(200);
      expect(Buffer.from(await again.arrayBuffer()).equals(recording)).toBe(true);
      expect((await upload('after', recording)).status).toBe(201);
    });

    /**
     * A 24 MiB download whose link `cut` changes (`when`: after its first bytes reached the client, or set before
     * it starts): the answer ends with an error, never as if complete with bytes missing, and the same download is
     * whole once the link is up again.
     */
    async function expectDownloadEnded(
      key: string,
      cut: (link: Link) => Promise<void>,
      when: 'after its first bytes' | 'before it' = 'after its first bytes',
    ) {
      const link = server.s3;
      if (!link) throw new Error('no link to S3');
      const big = randomBytes(24 * 1024 * 1024);
      expect((await upload(key, big)).status).toBe(201);
      if (when === 'before it') await cut(link);
      const res = await download(key);
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let received = (await reader.read()).value?.length ?? 0;
      if (when === 'after its first bytes') await cut(link);
      const rest = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return received;
          received += value.length;
        }
      })();
      await expect(rest).rejects.toThrow();
      expect(received).toBeLessThan(big.length);
      await link.up();
      const again = await download(key);
      expect(Buffer.from(await again.arrayBuffer()).equals(big)).toBe(true);
    }

    it('ends a download S3 stops serving in the middle, and the process serves on', () =>
      expectDownloadEnded('big', (link) => link.down()));

    // The SDK's timeouts end with the answer's head: a body S3 stopped sending held the download (and its
    // sockets) until the client gave up. 30 s of nothing, the same on either database, so run once.
    it.skipIf(BACKEND === 'postgres')(
      'ends a download whose body S3 stops sending while the client waits, and the process serves on (run on SQLite only)',
      // Silent after its first MiB: the sockets' buffers on loopback could otherwise carry all 24 MiB past the
      // link before a test could silence it.
      () => expectDownloadEnded('stalls', async (link) => link.silentAfter(1024 * 1024), 'before it'),
      180_000,
    );

    // Settling (the staged object's removal) comes after the row's commit: S3 failing there answered a stored
    // upload 503, and the client was told its content was not kept when it was.
    it('answers an upload whose row committed as stored when S3 fails while settling it, and the sweep tidies up', async () => {
      const link = server.s3;
      if (!link) throw new Error('no link to S3');
      const content = server.runtime.vault.content;
      const put = content.put;
      content.put = async (...args) => {
        content.put = put;
        const stored = await put.apply(content, args);
        await link.down();
        return stored;
      };
      // Larger than one part (8 MiB): staged under a temporary key, which settling removes.
      const bytes = randomBytes(10 * 1024 * 1024);
      try {
        const res = await upload('settled-later', bytes);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      } finally {
        content.put = put;
        await link.up();
      }
      const again = await download('settled-later');
      expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);
      // The staged object left behind is the sweep's.
      const swept = await server.runtime.sweep({ blobGraceMs: 0, tempGraceMs: 0 });
      expect(swept.tempFiles.length).toBeGreaterThan(0);
    });

    it('answers 503 for an upload S3 stops taking in the middle, and stores no row for it', async () => {
      const link = server.s3;
      if (!link) throw new Error('no link to S3');
      // Larger than one part (8 MiB): a multipart upload, cut after its first bytes reached S3.
      const big = randomBytes(20 * 1024 * 1024);
      const sent = link.bytesSent;
      let answered = false;
      const answer = upload('cut', big).finally(() => {
        answered = true;
      });
      // Cut once the first part is on its way to S3.
      while (link.bytesSent - sent < 1024 * 1024 && !answered) await new Promise((resolve) => setImmediate(resolve));
      await link.down();
      expectUnavailable(await answer, String(link.port));
      await link.up();
      expect((await download('cut')).status).toBe(404);
    });

    // S3 stopped or partitioned away without its connections closing: before, a request waited forever for S3's
    // answer, and so did the upload or download, and /ready.
    // A deletion commits (rows and audit entry) before the bytes nobody references any more are released: before,
    // the release failing with S3 down made the committed, audited deletion answer 503 (and a Vonage batch list
    // it as failed), so the client retried a deletion that was done. The bytes are the sweep's to remove.
    it('answers a deletion committed while S3 is down as done, and the sweep removes its bytes once S3 is back', async () => {
      const link = server.s3;
      if (!link) throw new Error('no link to S3');
      const created = await call(`${base}/api/v1/interactions`, {
        method: 'POST',
        headers: { authorization: admin },
        json: callRecord({ guid: randomUUID() }),
      });
      const bytes = randomBytes(200 * 1024);
      const put = await call(`${base}/api/v1/interactions/${created.body.id}/content/callRecording`, {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': 'audio/wav' },
        body: bytes,
      });
      expect(put.status).toBe(201);
      const sha256 = put.body.sha256 as string;
      expect(typeof sha256).toBe('string');
      await link.down();
      const deleted = await call(`${base}/api/v1/interactions/${created.body.id}`, {
        method: 'DELETE',
        headers: { authorization: admin },
      });
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
      await link.up();
      expect((await call(`${base}/api/v1/interactions/${created.body.id}`, { headers: { authorization: admin } })).status).toBe(
        404,
      );
      expect(await server.runtime.blobs.exists('acme', sha256)).toBe(true);
      const swept = await server.runtime.sweep({ blobGraceMs: 0, tempGraceMs: 0 });
      expect(swept.blobs).toContain(`acme/${sha256}`);
      expect(await server.runtime.blobs.exists('acme', sha256)).toBe(false);
    });

    // Each of the SDK's 3 attempts waits its 30 s for an answer: 1.5 min, the same on either database, so run once.
    it.skipIf(BACKEND === 'postgres')(
      'answers 503 while S3 does not answer at all, and serves again once it does (run on SQLite only)',
      async () => {
        const link = server.s3;
        if (!link) throw new Error('no link to S3');
        await link.silent();
        const [refusedUpload, refusedDownload, ready] = await Promise.all([
          upload('silent', recording),
          download('before'),
          call(`${base}/ready`),
        ]);
        expectUnavailable(refusedUpload, String(link.port));
        expectUnavailable(
          { status: refusedDownload.status, headers: refusedDownload.headers, body: await refusedDownload.json() },
          String(link.port),
        );
        expect(ready.status).toBe(503);
        await link.up();
        expect((await call(`${base}/ready`)).status).toBe(200);
        expect((await download('silent')).status).toBe(404);
        expect((await upload('silent', recording)).status).toBe(201);
      },
      240_000,
    );
  },
);
