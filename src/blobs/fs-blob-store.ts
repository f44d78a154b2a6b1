/**
 * Blob store on the local filesystem: DIR/<tenant>/<aa>/<sha256>, files 0600
 * and folders 0700. Bytes are written to DIR/.tmp, fsynced, then hard-linked
 * into place (see blob-store.ts for why the staged copy outlives the
 * publication), so a reader never sees a partial file.
 *
 * Temporary names carry the writing process (`<host>.<pid>.…`): a sweep
 * removes at once what a dead process of this host left, and waits out a
 * grace period for anything else (another host sharing the folder, a reused
 * pid). A release moves the bytes to `.tmp/trash.<tenant>.<sha>.<host>.<pid>.…`
 * before its final reference check; a trash file a crash left behind is put
 * back if still referenced, removed otherwise.
 */
import { constants, createWriteStream } from 'node:fs';
import { access, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abandoned, blobPath, meter, owner, parseTrash, SAFE_SEGMENT, SHA256, tempName, trashName } from './blob-naming.js';
import {
  type BlobStore,
  type ByteRange,
  emptySweepReport,
  type StagedBlob,
  type SweepOptions,
  type SweepReport,
} from './blob-store.js';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** The sweeps' shared progress, in the root (not a tenant name: it has a dot). */
const SWEEP_STATE = '.sweep-state.json';
/** Clock differences between hosts sharing the folder, and coarse file-system timestamps. */
const CLOCK_SLACK_MS = 60_000;

interface BlobFolder {
  key: string;
  tenantId: string;
  prefix: string;
  mtimeMs: number;
}

interface SweepState {
  /** When the last call began that checked every folder changed since the call before it. */
  checkedAtMs: number;
  /** The last folder key the rolling walk checked ('' : start over). */
  cursor: string;
}

export class FsBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = join(root, '.tmp');
  }

  /** Creates the folders. */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true, mode: DIR_MODE });
  }

  /** Where uploads are staged can be read and written (a read-only remount or a lost volume says not). */
  async check(): Promise<void> {
    await access(this.tmpDir, constants.R_OK | constants.W_OK);
  }

  async stage(tenantId: string, source: Readable, options: { maxBytes: number }): Promise<StagedBlob> {
    this.pathOf(tenantId, '0'.repeat(64));
    const tmp = join(this.tmpDir, tempName());
    const metered = meter(options.maxBytes);
    try {
      // flush: the file is fsynced before the stream closes, so a link publishes durable bytes.
      await pipeline(source, metered.stream, createWriteStream(tmp, { flush: true, mode: FILE_MODE }));
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    const { sha256, size } = metered.digest();
    const finalPath = this.pathOf(tenantId, sha256);
    let ours: { ino: number; dev: number } | undefined;
    const publish = async () => {
      await linkInto(tmp, finalPath);
      // The link is an entry of the folder: until the folder is fsynced, power loss can undo it.
      [, ours] = await Promise.all([fsyncDir(dirname(finalPath)), ours ?? stat(tmp)]);
    };
    return {
      sha256,
      size,
      publish,
      settle: async () => {
        // Still our file at the address: our own publication (its folder fsynced before `publish` returned), or a
        // release's put-back of it (whose trash copy stays until that folder is fsynced, and a sweep after power
        // loss puts a referenced trash copy back). Anything else — gone, or another file — is published again.
        const there = await stat(finalPath).catch(() => undefined);
        if (!ours || there?.ino !== ours.ino || there.dev !== ours.dev) await publish();
        await unlink(tmp);
      },
      discard: () => unlink(tmp).catch(() => {}),
    };
  }

  async open(tenantId: string, sha256: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(tenantId, sha256);
    // Open first so a missing file is an error here, not in the middle of a response.
    const handle = await open(path, 'r');
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async exists(tenantId: string, sha256: string): Promise<boolean> {
    return stat(this.pathOf(tenantId, sha256)).then(
      () => true,
      () => false,
    );
  }

  async release(tenantId: string, sha256: string, isReferenced: () => Promise<boolean>): Promise<boolean> {
    const path = this.pathOf(tenantId, sha256);
    const trash = join(this.tmpDir, trashName(tenantId, sha256));
    try {
      await rename(path, trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    // The bytes are out of reach for good before anyone is told they are gone.
    await fsyncDir(dirname(path));
    let referenced = true;
    try {
      referenced = await isReferenced();
    } finally {
      if (referenced) await this.putBack(trash, path);
    }
    if (referenced) return false;
    await unlink(trash);
    return true;
  }

  async sweep(options: SweepOptions): Promise<SweepReport> {
    const report = emptySweepReport();
    const startedMs = Date.now();
    await this.init();
    await this.sweepTemp(options, startedMs, report);
    const state = await this.readSweepState();
    const folders = await this.blobFolders();
    // 1. Folders whose entries changed since the previous call began (less the blob grace, so a blob
    //    too young then is looked at again once it is old enough): where a crashed upload leaves its orphan.
    //    Without a state (the first sweep of a store) nothing is known to have changed: the rolling walk covers all.
    const changedSince = state.checkedAtMs - options.blobGraceMs - CLOCK_SLACK_MS;
    const visited = new Set<string>();
    for (const folder of folders) {
      if (state.checkedAtMs === 0 || folder.mtimeMs < changedSince) continue;
      await this.sweepFolder(folder, options, report);
      visited.add(folder.key);
    }
    // 2. A slice of the rolling walk over every folder, where the last call stopped, within the budget:
    //    it finds what no folder change shows (a release that crashed after its row was deleted).
    const deadline = startedMs + (options.budgetMs ?? Number.POSITIVE_INFINITY);
    let cursor = state.cursor;
    report.passComplete = true;
    let walked = 0;
    for (const folder of folders) {
      if (folder.key <= cursor) continue;
      // At least one folder per call, so that the walk always moves on.
      if (walked > 0 && Date.now() >= deadline) {
        report.passComplete = false;
        break;
      }
      if (!visited.has(folder.key)) await this.sweepFolder(folder, options, report);
      cursor = folder.key;
      walked++;
    }
    await this.writeSweepState({ checkedAtMs: startedMs, cursor: report.passComplete ? '' : cursor });
    return report;
  }

  /** Temporary files: removed once abandoned; a release's trash put back if its bytes are referenced. */
  private async sweepTemp(options: SweepOptions, now: number, report: SweepReport): Promise<void> {
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      const trash = parseTrash(name);
      if (!abandoned(trash?.tag ?? name, now - info.mtimeMs, options.tempGraceMs)) continue;
      if (trash) {
        const { tenantId, sha256 } = trash;
        if ((await options.referenced(tenantId, [sha256])).has(sha256)) {
          await this.putBack(path, this.pathOf(tenantId, sha256));
          report.restored.push(`${tenantId}/${sha256}`);
          continue;
        }
      }
      await rm(path, { force: true });
      report.tempFiles.push(name);
      report.tempBytes += info.size;
    }
  }

  /** Every blob folder (DIR/<tenant>/<aa>) in key order, with its mtime: one stat per folder, none per blob. */
  private async blobFolders(): Promise<BlobFolder[]> {
    const out: BlobFolder[] = [];
    for (const tenantId of (await readdir(this.root)).sort()) {
      if (!SAFE_SEGMENT.test(tenantId)) continue;
      for (const prefix of (await readdir(join(this.root, tenantId)).catch(() => [] as string[])).sort()) {
        const info = await stat(join(this.root, tenantId, prefix)).catch(() => undefined);
        if (info?.isDirectory()) out.push({ key: `${tenantId}/${prefix}`, tenantId, prefix, mtimeMs: info.mtimeMs });
      }
    }
    return out;
  }

  /** Releases the unreferenced blobs of one folder that are older than the grace. */
  private async sweepFolder(folder: BlobFolder, options: SweepOptions, report: SweepReport): Promise<void> {
    const { tenantId, prefix } = folder;
    report.folders++;
    const now = Date.now();
    const shas = (await readdir(join(this.root, tenantId, prefix)).catch(() => [] as string[])).filter((s) => SHA256.test(s));
    if (shas.length === 0) return;
    const used = await options.referenced(tenantId, shas);
    for (const sha256 of shas) {
      if (used.has(sha256)) continue;
      const info = await stat(this.pathOf(tenantId, sha256)).catch(() => undefined);
      if (!info || now - info.mtimeMs < options.blobGraceMs) continue;
      if (await this.release(tenantId, sha256, async () => (await options.referenced(tenantId, [sha256])).has(sha256))) {
        report.blobs.push(`${tenantId}/${sha256}`);
        report.blobBytes += info.size;
      }
    }
  }

  /**
   * Where the sweeps stand, shared by every process using the folder. A lost
   * or stale state only costs work (a fresh state checks every folder), never
   * safety: what is removed is decided by `release`, not by this state.
   */
  private async readSweepState(): Promise<SweepState> {
    try {
      const parsed = JSON.parse(await readFile(join(this.root, SWEEP_STATE), 'utf8')) as Partial<SweepState>;
      return {
        checkedAtMs: typeof parsed.checkedAtMs === 'number' ? parsed.checkedAtMs : 0,
        cursor: typeof parsed.cursor === 'string' ? parsed.cursor : '',
      };
    } catch {
      return { checkedAtMs: 0, cursor: '' };
    }
  }

  private async writeSweepState(state: SweepState): Promise<void> {
    const tmp = join(this.tmpDir, `${owner()}.${Date.now()}.sweep-state`);
    await writeFile(tmp, JSON.stringify(state), { mode: FILE_MODE });
    await rename(tmp, join(this.root, SWEEP_STATE));
  }

  /** Puts bytes taken out of reach back at their address (which may meanwhile hold the same bytes again). */
  private async putBack(trash: string, path: string): Promise<void> {
    await linkInto(trash, path);
    // Durable at its address before the trash copy goes.
    await fsyncDir(dirname(path));
    await unlink(trash);
  }

  private pathOf(tenantId: string, sha256: string): string {
    return join(this.root, blobPath(tenantId, sha256));
  }
}

/** fsyncs a folder, making the entries added to or removed from it durable. */
async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates a folder and any missing parents; a folder it creates is made
 * durable in its parent (rare: once per tenant and hash prefix).
 */
async function makeDurableDir(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode: DIR_MODE });
  if (first === undefined) return;
  for (let dir = path; ; dir = dirname(dir)) {
    await fsyncDir(dirname(dir));
    if (dir === first) return;
  }
}

/**
 * Links `from` at `to`, creating `to`'s folder durably if it is missing (the
 * link is tried first: the folder almost always exists). An entry already at
 * `to` is left alone: it holds the same bytes (the address is their hash).
 */
async function linkInto(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT') throw err;
    await makeDurableDir(dirname(to));
    await link(from, to).catch(ignore('EEXIST'));
  }
}

function ignore(code: string) {
  return (err: NodeJS.ErrnoException) => {
    if (err.code !== code) throw err;
  };
}
