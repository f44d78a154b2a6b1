/**
 * kill -9 during an export: the real `ixvault serve` in a child process is
 * killed as soon as the job shows progress; a second server, started on the
 * same store, takes the job over once the dead one's lease ran out and
 * finishes it. The run's folder then holds exactly the files its manifest
 * names, each interaction once, each file with the SHA-256 of the stored bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { serveCli, storeArgs } from '../helpers/cli.js';
import { checkRun, type Job } from '../helpers/exports.js';
import { ADMIN, killStore, storeCalls } from '../helpers/kill-store.js';
import { BACKEND } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'export-kill-secret-0123456789abcdef0123';
const COUNT = 240;

/** `ixvault serve` with small batches and a short lease: the kill lands midway, and the takeover comes soon after. */
const serve = (args: string[]) =>
  serveCli(args, {
    IXVAULT_SECRET: SECRET,
    IXVAULT_EXPORT_BATCH_SIZE: '4',
    IXVAULT_EXPORT_LEASE_MS: '2000',
    IXVAULT_EXPORT_POLL_MS: '200',
  });

describe(`export killed midway and resumed (${BACKEND})`, () => {
  it('resumes after kill -9 in another process: manifest == files, each interaction once, hashes right', async () => {
    const { dataDir, store, principalsFile, open } = await killStore('export', SECRET);
    const args = ['--config', principalsFile, ...storeArgs(store)];

    const hashes = new Map<string, string>();
    const runtime = await open();
    try {
      const admin = await runtime.auth.fromAuthorization(ADMIN);
      const stored = await storeCalls(runtime, admin, COUNT, Date.UTC(2025, 4, 1));
      for (const { id } of stored) {
        const bytes = randomBytes(2048);
        hashes.set(id, createHash('sha256').update(bytes).digest('hex'));
        await runtime.vault.putContent(admin, id, 'callRecording', Readable.from([bytes]), { contentType: 'audio/wav' });
      }
    } finally {
      await runtime.close();
    }

    const first = await serve(args);
    let jobId: string;
    let atKill: Job;
    try {
      const created = await fetch(`${first.url}/api/v1/exports`, {
        method: 'POST',
        headers: { authorization: ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ startDate: '2025-05-01T00:00:00Z', endDate: '2025-05-02T00:00:00Z' }),
      });
      expect(created.status).toBe(201);
      jobId = ((await created.json()) as Job).id;
      atKill = await waitFor(
        async () => {
          const job = (await (
            await fetch(`${first.url}/api/v1/exports/${jobId}`, { headers: { authorization: ADMIN } })
          ).json()) as Job;
          return job.progress.interactions > 0 ? job : undefined;
        },
        'the export to commit its first batch',
        { timeoutMs: 60_000, everyMs: 5 },
      );
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    expect(atKill.status).toBe('running');
    expect(atKill.progress.interactions, 'the export finished before the kill; the trial proves nothing').toBeLessThan(COUNT);

    const second = await serve(args);
    try {
      const done = await waitFor(
        async () => {
          const job = (await (
            await fetch(`${second.url}/api/v1/exports/${jobId}`, { headers: { authorization: ADMIN } })
          ).json()) as Job;
          return job.status === 'done' ? job : undefined;
        },
        'the second server to finish the export',
        { timeoutMs: 120_000, everyMs: 50 },
      );
      expect(done.progress).toMatchObject({ interactions: COUNT, total: COUNT, files: COUNT });
      expect(done.errors).toEqual([]);
      const manifest = await checkRun(join(dataDir, 'exports', done.location, 'run-1'));
      expect(manifest).toHaveLength(COUNT);
      expect(new Set(manifest.map((m) => m.interactionId)).size).toBe(COUNT);
      for (const m of manifest) expect(m.sha256, m.interactionId).toBe(hashes.get(m.interactionId));
      // Each interaction audited as exported exactly once: a batch the kill interrupted was not committed, so not audited.
      const audit = await fetch(`${second.url}/api/v1/audit/export?action=export.item`, { headers: { authorization: ADMIN } });
      const lines = (await audit.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { interactionId: string });
      expect(lines).toHaveLength(COUNT);
      expect(new Set(lines.map((l) => l.interactionId)).size).toBe(COUNT);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
