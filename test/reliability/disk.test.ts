/**
 * The data directory's disk filling up under a running server (session 8,
 * "deps"): the data directory is a small tmpfs (mounted by the suite as root,
 * skipped, with the reason, where mounting is not permitted), filled by a file
 * of the test's until nothing more fits. Uploads (the file system's blob
 * store) and, on SQLite, ingests are answered 503; what was stored is still
 * read; nothing refused is visible afterwards; once space is freed everything
 * is written again.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call, send } from '../helpers/server.js';
import { buildThroughLinks, expectUnavailable, type LinkedServer } from './through-links.js';

function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
}

function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'pipe' });
}

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
const NO_TMPFS = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'ixvault-tmpfs-probe-'));
  try {
    mountTmpfs(probe, '1m');
    unmount(probe);
    return undefined;
  } catch (err) {
    return `SKIPPED: cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

/** Writes a file until the disk refuses more (ENOSPC). */
async function fill(path: string): Promise<void> {
  const handle = await open(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await handle.close().catch(() => {});
  }
}

describe.skipIf(NO_TMPFS)(`a full disk under a running server (${BACKEND})${NO_TMPFS ? ` (${NO_TMPFS})` : ''}`, () => {
  let dir: string;
  let server: LinkedServer;
  let admin: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ixvault-full-disk-'));
    mountTmpfs(dir, '24m');
    server = await buildThroughLinks({ dataDir: dir });
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) {
      unmount(dir);
      await rm(dir, { recursive: true, force: true });
    }
  });

  const ingest = (guid: string) =>
    call(`${server.url}/api/v1/interactions`, { method: 'POST', headers: { authorization: admin }, json: callRecord({ guid }) });
  const upload = (id: string, body: Uint8Array) =>
    call(`${server.url}/api/v1/interactions/${id}/content/callRecording`, {
      method: 'PUT',
      headers: { authorization: admin, 'content-type': 'audio/wav' },
      body,
    });
  const download = (id: string) =>
    call(`${server.url}/api/v1/interactions/${id}/content/callRecording`, { headers: { authorization: admin } });

  it('answers 503 for what it cannot write, serves what it holds, and writes again once there is space', async () => {
    const stored = await ingest(randomUUID());
    expect(stored.status).toBe(201);
    const recording = randomBytes(256 * 1024);
    expect((await upload(stored.body.id, recording)).status).toBe(201);
    const other = await ingest(randomUUID());
    expect(other.status).toBe(201);

    const filler = join(dir, 'filler');
    await fill(filler);
    const refusedUpload = await upload(other.body.id, randomBytes(256 * 1024));
    expectUnavailable(refusedUpload, dir);
    const guid = randomUUID();
    const batchGuids = [randomUUID(), randomUUID(), randomUUID()];
    if (BACKEND === 'sqlite') {
      expectUnavailable(await ingest(guid), dir);
      // A batch is written on the batch writer's thread, with a connection of its own.
      const batch = await call(`${server.url}/api/v1/interactions:batch`, {
        method: 'POST',
        headers: { authorization: admin },
        json: { records: batchGuids.map((g) => callRecord({ guid: g })) },
      });
      expectUnavailable(batch, dir);
    }
    // What is stored is still served; content only where its read can be audited (the audit log is in SQLite's
    // file on the full disk, so there a content read is refused rather than served unaudited).
    const record = await call(`${server.url}/api/v1/interactions/${stored.body.id}`, { headers: { authorization: admin } });
    expect(record.status).toBe(200);
    const read = await download(stored.body.id);
    if (BACKEND === 'sqlite') expectUnavailable(read, dir);
    else expect(read.status).toBe(200);

    await rm(filler);
    // Nothing refused is visible.
    expect((await download(other.body.id)).status).toBe(404);
    if (BACKEND === 'sqlite') {
      const bearer = await server.bearer('acme-qa');
      for (const refused of [guid, ...batchGuids]) {
        const found = await call(`${server.url}/interaction-content/interactions/${refused}`, {
          headers: { authorization: bearer, accept: 'application/vnd.newvoicemedia.v3+json' },
        });
        expect(found.status).toBe(404);
      }
    }
    const kept = await send(`${server.url}/api/v1/interactions/${stored.body.id}/content/callRecording`, {
      headers: { authorization: admin },
    });
    expect(Buffer.from(await kept.arrayBuffer()).equals(recording)).toBe(true);
    // And everything is written again.
    const again = randomBytes(256 * 1024);
    expect((await upload(other.body.id, again)).status).toBe(201);
    expect((await ingest(randomUUID())).status).toBe(201);
  });

  // On SQLite the database's files are open for writing in the data directory, and Linux refuses to remount it.
  it.skipIf(BACKEND === 'sqlite')('is not ready while the blob folder is read-only, and ready again after', async () => {
    expect((await call(`${server.url}/ready`)).status).toBe(200);
    execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
    try {
      const ready = await call(`${server.url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'unavailable', reason: 'content store unreachable' });
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', dir], { stdio: 'pipe' });
    }
    expect((await call(`${server.url}/ready`)).status).toBe(200);
    expect((await ingest(randomUUID())).status).toBe(201);
  });
});
