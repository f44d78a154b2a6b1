/**
 * Small content kept in the database (src/blobs/inline.ts, migration 011):
 * bytes up to INLINE_MAX_BYTES are written with their row, in its transaction,
 * and never touch the blob store; every reader finds them (downloads whole and
 * by Range, the archive, transcripts' index), identical bytes are kept once
 * and dropped with their last reference, a replacement drops the old bytes,
 * bytes a crash left unreferenced are dropped by the sweep, and bytes kept in
 * the blob store before (or above the threshold) are still read from there.
 * Concurrent uploads are written as one group (ContentRepository.writeBatch).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INLINE_MAX_BYTES } from '../../src/blobs/inline.js';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, send, type TestServer } from '../helpers/server.js';

const TENANT = 'acme';
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe(`small content kept in the database (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  const blobFiles = (): string[] => {
    const root = join(server.dataDir, 'blobs', TENANT);
    if (!existsSync(root)) return [];
    return readdirSync(root).flatMap((dir) => readdirSync(join(root, dir)));
  };
  const tempFiles = () => readdirSync(join(server.dataDir, 'blobs', '.tmp'));
  /** The hashes of the bytes kept in the database. */
  const inlineRows = async () =>
    (
      await server.runtime.store.in('main').selectFrom('content_blobs').select('sha256').where('tenant_id', '=', TENANT).execute()
    ).map((r) => r.sha256);
  const newInteraction = async (overrides: Record<string, unknown> = {}) =>
    (await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: admin }, json: callRecord(overrides) })).body
      .id as string;
  const upload = (id: string, key: string, bytes: Uint8Array, type = 'audio/wav') =>
    call(
      `${api()}/interactions/${id}/content/${key}${key === 'callRecording' || key === 'transcript' ? '' : '?type=attachment'}`,
      {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': type },
        body: bytes,
      },
    );
  const download = async (id: string, key: string, headers: Record<string, string> = {}, query = '') => {
    const res = await send(`${api()}/interactions/${id}/content/${key}${query}`, {
      headers: { authorization: admin, ...headers },
    });
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  };
  const remove = (id: string, key?: string) =>
    call(`${api()}/interactions/${id}${key ? `/content/${key}` : ''}`, { method: 'DELETE', headers: { authorization: admin } });

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('keeps small content in the database with its row, and serves it whole, by Range and conditionally', async () => {
    const id = await newInteraction();
    const bytes = randomBytes(2048);
    const put = await upload(id, 'callRecording', bytes);
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ contentLength: 2048, sha256: sha(bytes) });
    expect(await inlineRows()).toContain(sha(bytes));
    expect(blobFiles()).not.toContain(sha(bytes));
    expect(tempFiles()).toEqual([]);

    const whole = await download(id, 'callRecording');
    expect(whole.res.status).toBe(200);
    expect(whole.res.headers.get('content-length')).toBe('2048');
    expect(whole.res.headers.get('etag')).toBe(`"${sha(bytes)}"`);
    expect(whole.body.equals(bytes)).toBe(true);
    const part = await download(id, 'callRecording', { range: 'bytes=100-1099' });
    expect(part.res.status).toBe(206);
    expect(part.res.headers.get('content-range')).toBe('bytes 100-1099/2048');
    expect(part.body.equals(bytes.subarray(100, 1100))).toBe(true);
    const tail = await download(id, 'callRecording', { range: 'bytes=-10' });
    expect(tail.body.equals(bytes.subarray(2038))).toBe(true);
    const cached = await download(id, 'callRecording', { 'if-none-match': `"${sha(bytes)}"` });
    expect(cached.res.status).toBe(304);
  });

  it('keeps content up to the threshold inline and streams larger content to the blob store', async () => {
    const id = await newInteraction();
    const atLimit = randomBytes(INLINE_MAX_BYTES);
    const above = randomBytes(INLINE_MAX_BYTES + 1);
    expect((await upload(id, 'atLimit', atLimit)).status).toBe(201);
    expect((await upload(id, 'above', above)).status).toBe(201);
    expect(await inlineRows()).toContain(sha(atLimit));
    expect(blobFiles()).not.toContain(sha(atLimit));
    expect(await inlineRows()).not.toContain(sha(above));
    expect(blobFiles()).toContain(sha(above));
    expect((await download(id, 'atLimit')).body.equals(atLimit)).toBe(true);
    expect((await download(id, 'above')).body.equals(above)).toBe(true);
    const record = await call(`${api()}/interactions/${id}`, { headers: { authorization: admin } });
    expect(record.body.contentCount ?? record.body.content.length).toBe(2);
  });

  it('keeps identical bytes once and drops them with the last reference', async () => {
    const a = await newInteraction();
    const b = await newInteraction();
    const bytes = randomBytes(3000);
    await upload(a, 'callRecording', bytes);
    await upload(b, 'callRecording', bytes);
    expect((await inlineRows()).filter((s) => s === sha(bytes))).toHaveLength(1);
    expect((await remove(a, 'callRecording')).status).toBe(204);
    expect(await inlineRows()).toContain(sha(bytes));
    expect((await download(b, 'callRecording')).body.equals(bytes)).toBe(true);
    expect((await remove(b)).status).toBe(204);
    expect(await inlineRows()).not.toContain(sha(bytes));
  });

  it('drops the replaced bytes, whether the new ones are kept inline or in the blob store', async () => {
    const id = await newInteraction();
    const first = randomBytes(1000);
    const second = randomBytes(1000);
    const large = randomBytes(INLINE_MAX_BYTES + 10);
    await upload(id, 'callRecording', first);
    await upload(id, 'callRecording', second);
    expect(await inlineRows()).not.toContain(sha(first));
    expect(await inlineRows()).toContain(sha(second));
    await upload(id, 'callRecording', large);
    expect(await inlineRows()).not.toContain(sha(second));
    expect(blobFiles()).toContain(sha(large));
    await upload(id, 'callRecording', first);
    expect(blobFiles()).not.toContain(sha(large));
    expect((await download(id, 'callRecording')).body.equals(first)).toBe(true);
    const record = await call(`${api()}/interactions/${id}`, { headers: { authorization: admin } });
    expect(record.body.content).toHaveLength(1);
  });

  it('writes concurrent uploads together: all stored, counts right, the last of one key wins and the other bytes go', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, () => newInteraction()));
    const bodies = ids.flatMap((id) => [0, 1, 2].map((k) => ({ id, key: `part${k}`, bytes: randomBytes(500 + k) })));
    const sameKey = [randomBytes(700), randomBytes(701)];
    const [target] = ids as [string];
    const answers = await Promise.all([
      ...bodies.map((b) => upload(b.id, b.key, b.bytes)),
      ...sameKey.map((bytes) => upload(target, 'contested', bytes)),
      upload('no-such-interaction', 'callRecording', randomBytes(10)),
    ]);
    expect(answers.slice(0, -1).map((a) => a.status)).toEqual(answers.slice(0, -1).map(() => 201));
    expect(answers.at(-1)?.status).toBe(404);
    for (const b of bodies) expect((await download(b.id, b.key)).body.equals(b.bytes)).toBe(true);
    const contested = (await download(target, 'contested')).body;
    const winner = sameKey.find((b) => b.equals(contested));
    const loser = sameKey.find((b) => !b.equals(contested));
    expect(winner).toBeDefined();
    expect(await inlineRows()).not.toContain(sha(loser as Buffer));
    for (const id of ids) {
      const row = await server.runtime.store
        .in('main')
        .selectFrom('interactions')
        .select('content_count')
        .where('tenant_id', '=', TENANT)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(Number(row.content_count)).toBe(id === target ? 4 : 3);
    }
  });

  it('indexes a small transcript from its bytes, in the same transaction', async () => {
    const id = await newInteraction();
    const transcript = Buffer.from(
      JSON.stringify({ segments: [{ speaker: 'agent', text: 'quetzalcoatl inline transcript', startMs: 0 }] }),
    );
    const put = await upload(id, 'transcript', transcript, 'application/json');
    expect(put.status).toBe(201);
    expect(await inlineRows()).toContain(sha(transcript));
    const found = await call(`${api()}/interactions?q=quetzalcoatl`, { headers: { authorization: admin } });
    expect(found.status).toBe(200);
    expect(JSON.stringify(found.body)).toContain(id);
  });

  it('reads the bytes of items in the archive, and keeps them while the archive references them', async () => {
    const id = await newInteraction({ startDate: '2001-01-01T00:00:00.000Z', endDate: '2001-01-01T00:01:00.000Z' });
    const bytes = randomBytes(1500);
    await upload(id, 'callRecording', bytes);
    expect(await server.runtime.vault.archive.moveBatch(TENANT, Date.UTC(2002, 0, 1), 10)).toBe(1);
    await server.runtime.sweep({ blobGraceMs: 0 });
    expect(await inlineRows()).toContain(sha(bytes));
    const archived = await download(id, 'callRecording', {}, '?source=archive');
    expect(archived.res.status).toBe(200);
    expect(archived.body.equals(bytes)).toBe(true);
  });

  it('the sweep drops bytes a crash left unreferenced, and only those', async () => {
    const id = await newInteraction();
    const kept = randomBytes(800);
    await upload(id, 'callRecording', kept);
    // What a crash between a deletion's commit and its release leaves: bytes no row references.
    const orphan = randomBytes(900);
    await server.runtime.store
      .in('main')
      .insertInto('content_blobs')
      .values({ tenant_id: TENANT, sha256: sha(orphan), bytes: orphan })
      .execute();
    const report = await server.runtime.sweep({ blobGraceMs: 0 });
    expect(report.blobs).toContain(`${TENANT}/${sha(orphan)}`);
    expect(await inlineRows()).not.toContain(sha(orphan));
    expect(await inlineRows()).toContain(sha(kept));
    expect((await download(id, 'callRecording')).body.equals(kept)).toBe(true);
  });

  it('still reads small bytes kept in the blob store (stored before the threshold, or under another one)', async () => {
    const id = await newInteraction();
    const bytes = randomBytes(1200);
    const { vault } = server.runtime;
    const staged = await vault.blobs.stage(TENANT, Readable.from([bytes]), { maxBytes: 1 << 20 });
    await staged.publish();
    await vault.content.put({ tenantId: TENANT }, id, {
      contentKey: 'callRecording',
      type: 'callRecording',
      contentType: 'audio/wav',
      contentLength: staged.size,
      sha256: staged.sha256,
      lastModifiedMs: Date.now(),
      properties: {},
    });
    await staged.settle();
    expect(await inlineRows()).not.toContain(sha(bytes));
    expect((await download(id, 'callRecording')).body.equals(bytes)).toBe(true);
    expect((await download(id, 'callRecording', { range: 'bytes=0-9' })).body.equals(bytes.subarray(0, 10))).toBe(true);
    expect((await remove(id, 'callRecording')).status).toBe(204);
    expect(blobFiles()).not.toContain(sha(bytes));
  });
});
