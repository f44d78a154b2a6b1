/**
 * Small content is kept in the database, not in the blob store (docs/DECISIONS.md
 * "Small content inline"): its bytes are written in the same transaction as the
 * content row that references them (table `content_blobs`, migration 011), so
 * concurrent uploads share one commit and one WAL sync and pay no file write,
 * fsync, link or folder fsync at all. Larger content streams to the blob store
 * as before. Readers look in the database first, then in the blob store: bytes
 * stored before the threshold existed (or changed) are still found.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobTooLarge } from './blob-store.js';

/** Content up to this many bytes is kept in the database; more goes to the blob store. */
export const INLINE_MAX_BYTES = 64 * 1024;

export type ReadBody =
  | { inline: true; bytes: Buffer; sha256: string }
  /** Longer than the inline limit: the whole body (what was read, then the rest), to be streamed on. */
  | { inline: false; body: Readable };

/**
 * Reads a body as far as `inlineMax` bytes: a body that ends within them is
 * returned whole with its hash; a longer one is handed back as a stream of all
 * its bytes, unread past the first `inlineMax` + one chunk. Fails with
 * BlobTooLarge as soon as the body passes `maxBytes` (when that is the
 * smaller limit), like the blob store's own meter.
 */
export async function readBody(body: Readable, limits: { maxBytes: number; inlineMax: number }): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = body[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    chunks.push(chunk);
    size += chunk.length;
    if (size > limits.maxBytes) {
      body.destroy();
      throw new BlobTooLarge(limits.maxBytes);
    }
    if (size > limits.inlineMax) return { inline: false, body: Readable.from(rest(chunks, iterator)) };
  }
  const bytes = Buffer.concat(chunks, size);
  return { inline: true, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function* rest(read: Buffer[], iterator: AsyncIterator<unknown>): AsyncGenerator<Buffer> {
  yield* read;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
  }
}

/** Stored bytes (or the inclusive range of them) as a stream, like BlobStore.open. */
export function inlineStream(bytes: Buffer, range?: { start: number; end: number }): Readable {
  return Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes], { objectMode: false });
}
