/**
 * kill -9 during a Vonage batch deletion: the real `ixvault serve` in a child
 * process is killed as soon as the audit log shows the batch under way; the
 * store, reopened, holds every GUID either deleted and audited, or untouched
 * with all its content.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { INLINE_MAX_BYTES } from '../../src/blobs/inline.js';
import { visibilityOf } from '../../src/domain/principal.js';
import { serveCli, storeArgs } from '../helpers/cli.js';
import { ADMIN, killStore, storeCalls } from '../helpers/kill-store.js';
import { BACKEND } from '../helpers/server.js';
import { V3 } from './helpers.js';

const SECRET = 'delete-batch-kill-secret-0123456789abcdef';
const COUNT = 200;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe(`Vonage batch deletion killed midway (${BACKEND})`, () => {
  it('leaves every GUID deleted and audited, or untouched with all its content', async () => {
    const { dataDir, store, principalsFile, open } = await killStore('batch', SECRET);

    // The interactions and their content, stored in this process before the server starts.
    const bytes = new Map<string, { recording: Buffer; transcript: Buffer }>();
    let runtime = await open();
    const admin = await runtime.auth.fromAuthorization(ADMIN);
    const stored = await storeCalls(runtime, admin, COUNT, Date.UTC(2025, 9, 1));
    // Every other recording is over the inline limit: a file whose release a kill can interrupt, and
    // deletions slow enough for the kill to land midway (inline bytes alone can finish first).
    for (const [i, { id }] of stored.entries()) {
      const recording = randomBytes(i % 2 === 0 ? 512 : INLINE_MAX_BYTES + 1024);
      const item = { recording, transcript: Buffer.from(JSON.stringify({ id })) };
      bytes.set(id, item);
      await runtime.vault.putContent(admin, id, 'callRecording', Readable.from([item.recording]), { contentType: 'audio/wav' });
      await runtime.vault.putContent(admin, id, 'transcript', Readable.from([item.transcript]), {
        contentType: 'application/json',
      });
    }
    await runtime.close();

    const {
      child: server,
      url,
      exited,
    } = await serveCli(['--config', principalsFile, ...storeArgs(store)], {
      IXVAULT_SECRET: SECRET,
    });
    try {
      const token = await fetch(`${url}/Auth/connect/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('acme-qa:secret-acme-qa').toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'interaction-content:delete' }),
      });
      const { access_token } = (await token.json()) as { access_token: string };
      let finished = false;
      const running = fetch(`${url}/interaction-content/interactions/delete-batch`, {
        method: 'POST',
        headers: { accept: V3, authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ guids: stored.map((s) => s.guid) }),
      }).then(
        () => {
          finished = true;
        },
        () => undefined,
      );
      // Poll the audit log (a condition, with a generous deadline) until the first deletion committed.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const audit = await fetch(`${url}/api/v1/audit?limit=1`, { headers: { authorization: ADMIN } });
        const { entries } = (await audit.json()) as { entries: unknown[] };
        if (entries.length > 0 || finished || Date.now() > deadline) break;
      }
      server.kill('SIGKILL');
      await exited;
      await running;
      expect(finished, 'the batch finished before the kill; the trial proves nothing').toBe(false);
    } finally {
      server.kill('SIGKILL');
      await exited;
    }

    runtime = await open();
    try {
      const visibility = visibilityOf(admin);
      const audited = new Map<string, number>();
      for (const entry of (await runtime.vault.auditSearch(admin, {}, { limit: 10_000 })).entries) {
        if (entry.action === 'interaction.delete') audited.set(entry.interactionId, (audited.get(entry.interactionId) ?? 0) + 1);
      }
      const db = runtime.store.in('main');
      const rowsLeft = new Set<string>();
      for (const table of ['content_items', 'interaction_agents', 'messages', 'custom_attributes'] as const) {
        for (const row of await db.selectFrom(table).select('interaction_id').where('tenant_id', '=', 'acme').execute())
          rowsLeft.add(row.interaction_id);
      }
      let deleted = 0;
      for (const { id } of stored) {
        const record = await runtime.vault.interactions.get(visibility, id);
        if (record === undefined) {
          deleted++;
          expect(rowsLeft.has(id), `${id}: deleted, but rows are left`).toBe(false);
          expect(audited.get(id), `${id}: deleted without its audit entry`).toBe(1);
          continue;
        }
        expect(audited.has(id), `${id}: audited, but still there`).toBe(false);
        expect(record.content.map((c) => c.contentKey).sort()).toEqual(['callRecording', 'transcript']);
        const expected = bytes.get(id);
        const recording = await runtime.vault.openContent(admin, id, 'callRecording');
        expect((await readAll(await recording.read())).equals(expected?.recording ?? Buffer.alloc(0))).toBe(true);
        const transcript = await runtime.vault.openContent(admin, id, 'transcript');
        expect((await readAll(await transcript.read())).equals(expected?.transcript ?? Buffer.alloc(0))).toBe(true);
      }
      expect(deleted).toBeGreaterThan(0);
      expect(deleted).toBeLessThan(COUNT);
    } finally {
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
