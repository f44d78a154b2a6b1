/**
 * An upload racing the deletion of its interaction (session 7, redteam; found
 * sound, kept as a guard). Large bodies (streamed to the blob store, published,
 * then recorded) and small ones (kept in the database with their row) are sent
 * to an interaction while it is deleted, many times over. Whatever the order:
 * every answer is 201, 204 or 404 (never a 5xx); once the deletion is
 * acknowledged no content row of the interaction is left; and no bytes are
 * left that nothing references — neither a published blob nor a kept one —
 * without waiting for a sweep.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';

const ROUNDS = 12;

describe(`uploads racing the deletion of their interaction (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  /** Published blob files of the tenant (the fs blob store's layout: <tenant>/<prefix>/<sha256>). */
  async function blobFiles(): Promise<string[]> {
    const root = join(server.dataDir, 'blobs', 'acme');
    const found: string[] = [];
    for (const prefix of await readdir(root).catch(() => [] as string[]))
      for (const name of await readdir(join(root, prefix)).catch(() => [] as string[])) found.push(name);
    return found;
  }

  it('leaves neither a content row nor bytes behind, and never answers 5xx', async () => {
    const statuses = new Map<number, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const created = await server.app.inject({
        method: 'POST',
        url: '/api/v1/interactions',
        headers: { authorization: admin, 'content-type': 'application/json' },
        payload: callRecord(),
      });
      const id = created.json().id as string;
      const upload = (key: string, bytes: Buffer) =>
        server.app.inject({
          method: 'PUT',
          url: `/api/v1/interactions/${id}/content/${key}?type=callRecording`,
          headers: { authorization: admin, 'content-type': 'audio/wav' },
          payload: bytes,
        });
      const large = Buffer.alloc(200 * 1024, `large ${round} `);
      const small = Buffer.from(`small ${round} `.repeat(20));
      const answers = await Promise.all([
        upload('big1', large),
        upload('small1', small),
        server.app.inject({ method: 'DELETE', url: `/api/v1/interactions/${id}`, headers: { authorization: admin } }),
        upload('big2', Buffer.concat([large, Buffer.from('2')])),
        upload('small2', Buffer.concat([small, Buffer.from('2')])),
      ]);
      for (const a of answers) {
        expect([201, 204, 404], a.body).toContain(a.statusCode);
        statuses.set(a.statusCode, (statuses.get(a.statusCode) ?? 0) + 1);
      }
      expect(answers[2]?.statusCode).toBe(204);
      const rows = await server.runtime.store
        .in('main')
        .selectFrom('content_items')
        .select('content_key')
        .where('tenant_id', '=', 'acme')
        .where('interaction_id', '=', id)
        .execute();
      expect(rows, `round ${round}`).toEqual([]);
    }
    // Every interaction is gone: no bytes may be left, in the blob store or in the database.
    expect(await blobFiles()).toEqual([]);
    const kept = await server.runtime.store
      .in('main')
      .selectFrom('content_blobs')
      .select('sha256')
      .where('tenant_id', '=', 'acme')
      .execute();
    expect(kept).toEqual([]);
    expect(statuses.get(204)).toBe(ROUNDS);
  });
});
