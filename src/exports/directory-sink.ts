/**
 * The export sink of embedded mode: files in a directory. Each file is
 * written to a temporary name in its folder, flushed, renamed into place and
 * the folder flushed (the same discipline as the blob store), so after a crash
 * a path holds the whole file or nothing. Temporary files a crash left are
 * listed like any other file, so a finished run removes them with the rest of
 * what its manifest does not name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkedPath, type ExportSink } from './sink.js';

export class DirectorySink implements ExportSink {
  constructor(readonly root: string) {}

  async put(path: string, body: Readable): Promise<{ size: number; sha256: string }> {
    const target = join(this.root, checkedPath(path));
    const folder = dirname(target);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const temp = join(folder, `.partial-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, measure, createWriteStream(temp, { mode: 0o600 }));
      await sync(temp);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    await sync(folder);
    return { size, sha256: hash.digest('hex') };
  }

  async list(prefix: string): Promise<string[]> {
    const start = join(this.root, checkedPath(prefix.replace(/\/$/, '')));
    const entries = await readdir(start, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    return entries
      .filter((e) => e.isFile())
      .map((e) => relative(this.root, join(e.parentPath, e.name)).split('\\').join('/'))
      .sort();
  }

  async remove(path: string): Promise<void> {
    await rm(join(this.root, checkedPath(path)), { force: true });
  }
}

async function sync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
