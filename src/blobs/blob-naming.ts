/**
 * What every blob store shares: where a blob lives (`<tenant>/<aa>/<sha256>`,
 * the same layout on a file system and in a bucket), who wrote a temporary
 * file or object (`<host>.<pid>.…`) and when it counts as abandoned, and the
 * meter that hashes and counts bytes as they stream by.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Transform } from 'node:stream';
import { BlobTooLarge } from './blob-store.js';

export const SAFE_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
export const SHA256 = /^[0-9a-f]{64}$/;
const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** `<host>.<pid>`: who wrote a temporary file. */
export const owner = () => `${HOST}.${process.pid}`;

/** A fresh temporary name of this process: `<host>.<pid>.<ms>.<random>`. */
export const tempName = () => `${owner()}.${Date.now()}.${randomBytes(8).toString('hex')}`;

/** The temporary name of a release in progress: `trash.<tenant>.<sha256>.<host>.<pid>.<random>`. */
export const trashName = (tenantId: string, sha256: string) =>
  `trash.${tenantId}.${sha256}.${owner()}.${randomBytes(4).toString('hex')}`;

/** A trash name's tenant, hash and writer; undefined for any other temporary name. */
export function parseTrash(name: string): { tenantId: string; sha256: string; tag: string } | undefined {
  const m = /^trash\.([A-Za-z0-9_-]+)\.([0-9a-f]{64})\.(.*)$/.exec(name);
  return m?.[1] && m[2] && m[3] !== undefined ? { tenantId: m[1], sha256: m[2], tag: m[3] } : undefined;
}

/** `<tenant>/<aa>/<sha256>`, after checking both parts (a tenant id never holds a dot or a slash). */
export function blobPath(tenantId: string, sha256: string): string {
  if (!SAFE_SEGMENT.test(tenantId) || !SHA256.test(sha256)) throw new Error('invalid blob address');
  return `${tenantId}/${sha256.slice(0, 2)}/${sha256}`;
}

/**
 * Whether a temporary file's writer is gone: a dead process of this host at
 * once, anyone else (another host sharing the store, a reused pid) once it is
 * untouched for the grace.
 */
export function abandoned(tag: string, ageMs: number, graceMs: number): boolean {
  if (ageMs >= graceMs) return true;
  const [host, pid] = tag.split('.');
  if (host !== HOST || !pid || !/^\d+$/.test(pid)) return false;
  if (Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Passes bytes through, hashing and counting them; fails with BlobTooLarge past `maxBytes`. */
export function meter(maxBytes: number): { stream: Transform; digest(): { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new BlobTooLarge(maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, digest: () => ({ sha256: hash.digest('hex'), size }) };
}
