/**
 * Blob durability beyond a process crash: every change to a folder's entries
 * that publishes or releases bytes (the hard link, the renames) is followed
 * by an fsync of that folder before the operation returns, so power loss
 * cannot undo an acknowledged upload. The file system calls are observed (not
 * replaced) to see the order of link/rename and folder fsync.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const events: string[] = [];

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const observed = {
    ...fs,
    link: async (from: string, to: string) => {
      await fs.link(from, to);
      events.push(`link ${to}`);
    },
    rename: async (from: string, to: string) => {
      await fs.rename(from, to);
      events.push(`rename ${from}`);
    },
    open: async (path: string, ...rest: Parameters<typeof fs.open> extends [unknown, ...infer R] ? R : never) => {
      const handle = await fs.open(path, ...rest);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        await sync();
        events.push(`fsync ${path}`);
      };
      return handle;
    },
  };
  return { ...observed, default: observed };
});

const { FsBlobStore } = await import('../../src/blobs/fs-blob-store.js');

describe('blob durability', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ixvault-durability-'));
    events.length = 0;
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  /** Whether `dir` was fsynced after the event at `index`. */
  const fsyncedAfter = (index: number, dir: string) => events.slice(index + 1).includes(`fsync ${dir}`);

  it('fsyncs the folder of a published blob after linking it, and of a released one after moving it out', async () => {
    const store = new FsBlobStore(root);
    await store.init();
    const staged = await store.stage('acme', Readable.from([Buffer.from('durable bytes')]), { maxBytes: 100 });
    const folder = join(root, 'acme', staged.sha256.slice(0, 2));
    await staged.publish();
    const linked = events.indexOf(`link ${join(folder, staged.sha256)}`);
    expect(linked).toBeGreaterThanOrEqual(0);
    expect(fsyncedAfter(linked, folder)).toBe(true);
    // The folders publication created are durable in their parents too.
    expect(events).toContain(`fsync ${root}`);
    expect(events).toContain(`fsync ${dirname(folder)}`);
    await staged.settle();

    events.length = 0;
    expect(await store.release('acme', staged.sha256, async () => false)).toBe(true);
    const moved = events.indexOf(`rename ${join(folder, staged.sha256)}`);
    expect(moved).toBeGreaterThanOrEqual(0);
    expect(fsyncedAfter(moved, folder)).toBe(true);

    // A release whose recheck finds a reference puts the bytes back durably.
    const again = await store.stage('acme', Readable.from([Buffer.from('durable bytes')]), { maxBytes: 100 });
    await again.publish();
    await again.settle();
    events.length = 0;
    expect(await store.release('acme', again.sha256, async () => true)).toBe(false);
    const putBack = events.indexOf(`link ${join(folder, again.sha256)}`);
    expect(putBack).toBeGreaterThanOrEqual(0);
    expect(fsyncedAfter(putBack, folder)).toBe(true);
  });
});
