/**
 * Blob store on the local filesystem: DIR/<tenant>/<aa>/<sha256>. Bytes are
 * written to DIR/.tmp, fsynced, then renamed into place, so a reader never
 * sees a partial file and a crash leaves only a temporary file behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type BlobStore, BlobTooLarge, type ByteRange, type StagedBlob } from './blob-store.js';

const SAFE_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const STALE_TEMP_MS = 24 * 3600_000;

export class FsBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = join(root, '.tmp');
  }

  /** Creates the folders and removes temporary files a crash left behind. */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    const now = Date.now();
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
    }
  }

  async stage(tenantId: string, source: Readable, options: { maxBytes: number }): Promise<StagedBlob> {
    const tmp = join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > options.maxBytes) return done(new BlobTooLarge(options.maxBytes));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      // flush: the file is fsynced before the stream closes, so a rename publishes durable bytes.
      await pipeline(source, meter, createWriteStream(tmp, { flush: true }));
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    const sha256 = hash.digest('hex');
    const finalPath = this.pathOf(tenantId, sha256);
    return {
      sha256,
      size,
      commit: async () => {
        await mkdir(dirname(finalPath), { recursive: true });
        await rename(tmp, finalPath);
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

  async delete(tenantId: string, sha256: string): Promise<void> {
    await rm(this.pathOf(tenantId, sha256), { force: true });
  }

  private pathOf(tenantId: string, sha256: string): string {
    if (!SAFE_SEGMENT.test(tenantId) || !SHA256.test(sha256)) throw new Error('invalid blob address');
    return join(this.root, tenantId, sha256.slice(0, 2), sha256);
  }
}
