/**
 * kill -9 during `ixvault retention run`: each removal is the one audited
 * deletion path's own transaction, so the store, reopened, holds every
 * expired interaction either removed (no rows left, audited once) or intact
 * with all its content bytes; a second run finishes the job, and the sweep
 * removes bytes a killed release left behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PrincipalsConfig } from '../../src/auth/directory.js';
import { INLINE_MAX_BYTES } from '../../src/blobs/inline.js';
import { visibilityOf } from '../../src/domain/principal.js';
import { runCli, startCli, storeArgs } from '../helpers/cli.js';
import { ADMIN, killStore, storeCalls } from '../helpers/kill-store.js';
import { BACKEND, PRINCIPALS } from '../helpers/server.js';

const SECRET = 'retention-kill-secret-0123456789abcdef';
// Enough that the run outlasts the first removal's detection, on a fast machine too (150 finished before the kill once).
const COUNT = 600;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe(`retention run killed midway (${BACKEND})`, () => {
  it('leaves every expired interaction removed and audited, or intact; a second run and the sweep finish the job', async () => {
    const principals: PrincipalsConfig = structuredClone(PRINCIPALS);
    const acme = principals.tenants.find((t) => t.id === 'acme');
    if (acme) acme.retention = { rules: [{ maxAgeDays: 365 }], graceDays: 0 };
    const { dataDir, store, principalsFile, open: openStore } = await killStore('retention', SECRET, principals);
    const open = () => openStore({ sweep: false });

    const bytes = new Map<string, Buffer>();
    let runtime = await open();
    const admin = await runtime.auth.fromAuthorization(ADMIN);
    const stored = await storeCalls(runtime, admin, COUNT, Date.UTC(2019, 0, 1));
    // Every other recording is over the inline limit: its bytes are a file whose release a kill can
    // interrupt (the sweep's part), and each removal takes long enough for the kill to land midway.
    for (const [i, { id }] of stored.entries()) {
      const recording = randomBytes(i % 2 === 0 ? 512 : INLINE_MAX_BYTES + 1024);
      bytes.set(id, recording);
      await runtime.vault.putContent(admin, id, 'callRecording', Readable.from([recording]), { contentType: 'audio/wav' });
    }
    await runtime.close();

    const child = startCli(['retention', 'run', '--tenant', 'acme', '--config', principalsFile, ...storeArgs(store)], {
      IXVAULT_SECRET: SECRET,
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let finished = false;
    void exited.then(() => {
      finished = true;
    });
    const watcher = await open();
    try {
      // Poll the audit log (a condition, with a generous deadline) until the first removal committed.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const { entries } = await watcher.vault.auditSearch(admin, { action: 'retention.delete' }, { limit: 1 });
        if (entries.length > 0 || finished || Date.now() > deadline) break;
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
      await watcher.close();
    }

    runtime = await open();
    try {
      const audited = new Map<string, number>();
      for (const entry of (await runtime.vault.auditSearch(admin, {}, { limit: 10_000 })).entries)
        if (entry.action === 'retention.delete') audited.set(entry.interactionId, (audited.get(entry.interactionId) ?? 0) + 1);
      const rowsLeft = new Set<string>();
      for (const table of ['content_items', 'interaction_agents'] as const)
        for (const row of await runtime.store
          .in('main')
          .selectFrom(table)
          .select('interaction_id')
          .where('tenant_id', '=', 'acme')
          .execute())
          rowsLeft.add(row.interaction_id);
      let removed = 0;
      for (const { id } of stored) {
        const record = await runtime.vault.interactions.get(visibilityOf(admin), id);
        if (record === undefined) {
          removed++;
          expect(rowsLeft.has(id), `${id}: removed, but rows are left`).toBe(false);
          expect(audited.get(id), `${id}: removed without its audit entry`).toBe(1);
          continue;
        }
        expect(audited.has(id), `${id}: audited, but still there`).toBe(false);
        const recording = await runtime.vault.openContent(admin, id, 'callRecording');
        expect((await readAll(await recording.read())).equals(bytes.get(id) ?? Buffer.alloc(0))).toBe(true);
      }
      expect(finished && removed === COUNT, 'the run finished before the kill; the trial proves nothing').toBe(false);
      expect(removed).toBeGreaterThan(0);
    } finally {
      await runtime.close();
    }

    const again = await runCli(
      ['retention', 'run', '--json', '--tenant', 'acme', '--config', principalsFile, ...storeArgs(store)],
      {
        IXVAULT_SECRET: SECRET,
      },
    );
    expect(again.code, again.stderr).toBe(0);
    runtime = await open();
    try {
      for (const { id } of stored) expect(await runtime.vault.interactions.get(visibilityOf(admin), id)).toBeUndefined();
      // Nothing references any recording now: after the sweep (no grace) no byte of them is left.
      await runtime.sweep({ tempGraceMs: 0, blobGraceMs: 0 });
      for (const recording of bytes.values()) {
        const sha256 = createHash('sha256').update(recording).digest('hex');
        expect(await runtime.blobs.exists('acme', sha256), sha256).toBe(false);
      }
    } finally {
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
