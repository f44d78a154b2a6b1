/**
 * The blob suite: one set of tests over every BlobStore (the file system, and
 * S3 on Ceph RGW): the stage/publish/settle/release protocol of blob-store.ts,
 * Range reads, limits, the sweep's crash hygiene (temporary files and open
 * multipart uploads of dead processes, orphan blobs, a crashed release's
 * trash), its bounded rolling walk, and a real `ixvault serve` killed with
 * SIGKILL mid-upload leaving nothing visible and no orphan after the sweep
 * (on the database backend of this run).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BlobStore, BlobTooLarge } from '../../src/blobs/blob-store.js';
import { FsBlobStore } from '../../src/blobs/fs-blob-store.js';
import { S3BlobStore } from '../../src/blobs/s3-blob-store.js';
import type { BlobStoreConfig } from '../../src/config.js';
import { openRuntime } from '../../src/runtime.js';
import { serveCli, storeArgs } from '../helpers/cli.js';
import { S3_UNAVAILABLE, startTestS3, type TestS3 } from '../helpers/s3.js';
import { BACKEND, createTestDatabase, PRINCIPALS } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const TENANT = 'acme';
const MiB = 1024 * 1024;
const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
/** An upload committed before a kill: larger than INLINE_MAX_BYTES, so it is kept in the blob store. */
const COMMITTED = Buffer.from('committed before the kill '.repeat(3000));
const deadPid = () =>
  spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;

/** A store under test, and how to see (and plant) what a crash leaves behind, beside the interface. */
interface Fixture {
  store: BlobStore;
  /** Temporary names: staged files or objects, trash, open multipart uploads. */
  temps(): Promise<string[]>;
  /** `<tenant>/<sha256>` of every stored blob. */
  blobs(): Promise<string[]>;
  plantTemp(name: string, bytes: Buffer): Promise<void>;
  plantBlob(tenantId: string, bytes: Buffer): Promise<string>;
  /** The same store as `--blob-store` would configure it, for a runtime or a server process. */
  config: BlobStoreConfig;
  serveArgs: string[];
  env: Record<string, string>;
  close(): Promise<void>;
}

interface Kind {
  name: 'fs' | 's3';
  skip?: string;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** A fresh, empty store; `walkPage`: the smallest unit of the sweep's walk, to test slicing. */
  open(dataDir: string): Promise<Fixture>;
}

function fsKind(): Kind {
  return {
    name: 'fs',
    async open(dataDir) {
      const root = join(dataDir, 'blobs');
      const store = new FsBlobStore(root);
      await store.init();
      const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
      return {
        store,
        temps: async () => list(join(root, '.tmp')),
        blobs: async () =>
          list(root)
            .filter((t) => !t.startsWith('.'))
            .flatMap((t) => list(join(root, t)).flatMap((aa) => list(join(root, t, aa)).map((s) => `${t}/${s}`))),
        plantTemp: (name, bytes) => writeFile(join(root, '.tmp', name), bytes),
        async plantBlob(tenantId, bytes) {
          const hash = sha(bytes);
          await mkdir(join(root, tenantId, hash.slice(0, 2)), { recursive: true });
          await writeFile(join(root, tenantId, hash.slice(0, 2), hash), bytes);
          return hash;
        },
        config: { kind: 'fs' },
        serveArgs: [],
        env: {},
        close: async () => {},
      };
    },
  };
}

function s3Kind(): Kind {
  let s3: TestS3;
  const kind: Kind = {
    name: 's3',
    async setup() {
      s3 = await startTestS3();
    },
    async teardown() {
      await s3?.stop();
    },
    async open() {
      const bucket = await s3.newBucket();
      const prefix = 'vault/';
      // Two keys per listing page, so the sweep's walk is sliced even over a few blobs.
      const store = new S3BlobStore({ client: s3.client, bucket, prefix, listPageSize: 2, partSize: 5 * MiB, queueSize: 2 });
      await store.init();
      const keys = async (under: string) => {
        const out: string[] = [];
        for (let token: string | undefined, more = true; more; ) {
          const page = await s3.client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: under, ...(token ? { ContinuationToken: token } : {}) }),
          );
          out.push(...(page.Contents ?? []).map((o) => (o.Key ?? '').slice(under.length)));
          token = page.NextContinuationToken;
          more = page.IsTruncated === true;
        }
        return out;
      };
      return {
        store,
        async temps() {
          const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}.tmp/` }));
          const open = (uploads.Uploads ?? []).map((u) => `${(u.Key ?? '').slice(prefix.length + 5)} (multipart upload)`);
          return [...(await keys(`${prefix}.tmp/`)), ...open];
        },
        blobs: async () =>
          (await keys(prefix))
            .filter((k) => /^[^.][^/]*\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(k))
            .map((k) => k.replace(/\/..\//, '/')),
        plantTemp: async (name, bytes) => {
          await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}.tmp/${name}`, Body: bytes }));
        },
        async plantBlob(tenantId, bytes) {
          const hash = sha(bytes);
          await s3.client.send(
            new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${tenantId}/${hash.slice(0, 2)}/${hash}`, Body: bytes }),
          );
          return hash;
        },
        config: s3.config(bucket, prefix),
        serveArgs: ['--blob-store', `s3://${bucket}/${prefix}`],
        env: s3.env,
        close: () => s3.dropBucket(bucket),
      };
    },
  };
  if (S3_UNAVAILABLE) kind.skip = S3_UNAVAILABLE;
  return kind;
}

const KINDS = [fsKind(), s3Kind()];

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream of `size` pseudo-random bytes in 256 KiB chunks, made as it is read; `fail` errors it after that many bytes. */
function generated(size: number, { seed = 1, fail }: { seed?: number; fail?: number } = {}): Readable {
  const chunk = createHash('sha512').update(String(seed)).digest();
  const block = Buffer.alloc(256 * 1024);
  for (let i = 0; i < block.length; i += chunk.length) chunk.copy(block, i);
  let sent = 0;
  return new Readable({
    read() {
      if (fail !== undefined && sent >= fail) return this.destroy(new Error('source failed midway'));
      if (sent >= size) return this.push(null);
      const n = Math.min(block.length, size - sent);
      sent += n;
      this.push(block.subarray(0, n));
    },
  });
}

for (const kind of KINDS) {
  describe.skipIf(kind.skip)(
    `blob store: ${kind.name}${kind.skip ? ` (${kind.skip})` : ''} (${BACKEND})`,
    { timeout: 120_000 },
    () => {
      let dir: string;
      let f: Fixture;
      /** What the sweep is told is referenced: `<tenant>/<sha256>`. */
      const refs = new Set<string>();
      const referenced = async (tenantId: string, shas: string[]) => new Set(shas.filter((s) => refs.has(`${tenantId}/${s}`)));
      const stored = async (bytes: Buffer | string, tenantId = TENANT) => {
        const staged = await f.store.stage(tenantId, Readable.from([Buffer.from(bytes)]), { maxBytes: 64 * MiB });
        await staged.publish();
        await staged.settle();
        return staged.sha256;
      };

      beforeAll(async () => {
        await kind.setup?.();
      }, 180_000);
      afterAll(async () => {
        await kind.teardown?.();
      });
      beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), 'ixvault-blobs-'));
        f = await kind.open(dir);
        refs.clear();
      });
      afterEach(async () => {
        await f.close();
        await rm(dir, { recursive: true, force: true });
      });

      it('stores bytes at their hash per tenant, once, and reads them whole or by Range', async () => {
        const bytes = randomBytes(12 * MiB + 123);
        const staged = await f.store.stage(TENANT, Readable.from([bytes]), { maxBytes: 64 * MiB });
        expect(staged).toMatchObject({ sha256: sha(bytes), size: bytes.length });
        // Staged is not visible.
        expect(await f.store.exists(TENANT, staged.sha256)).toBe(false);
        await staged.publish();
        expect(await f.store.exists(TENANT, staged.sha256)).toBe(true);
        await staged.settle();
        expect(await f.temps()).toEqual([]);
        // Compared by hash: a deep equality over megabytes is slow.
        expect(sha(await readAll(await f.store.open(TENANT, staged.sha256)))).toBe(sha(bytes));
        const range = { start: 5 * MiB - 7, end: 10 * MiB + 3 };
        expect(sha(await readAll(await f.store.open(TENANT, staged.sha256, range)))).toBe(
          sha(bytes.subarray(range.start, range.end + 1)),
        );
        expect(await readAll(await f.store.open(TENANT, staged.sha256, { start: 0, end: 0 }))).toEqual(bytes.subarray(0, 1));
        // The same bytes again: one blob; another tenant: its own.
        expect(await stored(bytes)).toBe(staged.sha256);
        expect(await f.store.exists('globex', staged.sha256)).toBe(false);
        await stored(bytes, 'globex');
        expect((await f.blobs()).sort()).toEqual([`${TENANT}/${staged.sha256}`, `globex/${staged.sha256}`].sort());
        await expect(f.store.open(TENANT, sha('never stored'))).rejects.toThrow();
        await expect(f.store.open('../etc', staged.sha256)).rejects.toThrow(/invalid blob address/);
      });

      it('streams a 256 MiB upload in bounded memory, hashing as it goes', async () => {
        const size = 256 * MiB;
        const expected = createHash('sha256');
        for await (const chunk of generated(size, { seed: 7 })) expected.update(chunk as Buffer);
        const source = generated(size, { seed: 7 });
        const before = process.memoryUsage();
        const peak = { heapUsed: before.heapUsed, arrayBuffers: before.arrayBuffers };
        const sampler = setInterval(() => {
          const now = process.memoryUsage();
          peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
          peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
        }, 5);
        let staged: Awaited<ReturnType<BlobStore['stage']>>;
        try {
          staged = await f.store.stage(TENANT, source, { maxBytes: size });
        } finally {
          clearInterval(sampler);
        }
        expect(staged).toMatchObject({ sha256: expected.digest('hex'), size });
        // The heap does not grow with the content; buffers (S3: the parts in flight) stay far below it.
        expect(peak.heapUsed - before.heapUsed).toBeLessThan(48 * MiB);
        expect(peak.arrayBuffers - before.arrayBuffers).toBeLessThan(96 * MiB);
        await staged.discard();
        expect(await f.temps()).toEqual([]);
      });

      it('stores empty content', async () => {
        const hash = await stored('');
        expect(hash).toBe(sha(''));
        expect((await readAll(await f.store.open(TENANT, hash))).length).toBe(0);
      });

      it('refuses content past the limit and leaves nothing, not even parts of a multipart upload', async () => {
        await expect(f.store.stage(TENANT, generated(14 * MiB), { maxBytes: 12 * MiB })).rejects.toBeInstanceOf(BlobTooLarge);
        expect(await f.temps()).toEqual([]);
        expect(await f.blobs()).toEqual([]);
      });

      it('leaves nothing when the source fails midway', async () => {
        await expect(f.store.stage(TENANT, generated(20 * MiB, { fail: 11 * MiB }), { maxBytes: 64 * MiB })).rejects.toThrow(
          /source failed midway/,
        );
        expect(await f.temps()).toEqual([]);
        expect(await f.blobs()).toEqual([]);
      });

      it('releases the last reference only after a final check, and puts the bytes back when it finds one', async () => {
        const hash = await stored('released bytes');
        expect(await f.store.release(TENANT, hash, async () => true)).toBe(false);
        expect(await readAll(await f.store.open(TENANT, hash))).toEqual(Buffer.from('released bytes'));
        // The check runs while the bytes are out of reach.
        let visibleDuringCheck: boolean | undefined;
        expect(
          await f.store.release(TENANT, hash, async () => {
            visibleDuringCheck = await f.store.exists(TENANT, hash);
            return false;
          }),
        ).toBe(true);
        expect(visibleDuringCheck).toBe(false);
        expect(await f.store.exists(TENANT, hash)).toBe(false);
        expect(await f.store.release(TENANT, hash, async () => false)).toBe(false);
        expect(await f.temps()).toEqual([]);
        // A check that fails keeps the bytes.
        const kept = await stored('kept on failure');
        await expect(f.store.release(TENANT, kept, async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
        expect(await f.store.exists(TENANT, kept)).toBe(true);
        expect(await f.temps()).toEqual([]);
      });

      it("a release by another process between publication and commit cannot take an upload's bytes", async () => {
        const staged = await f.store.stage(TENANT, Readable.from([Buffer.from('contested')]), { maxBytes: 100 });
        await staged.publish();
        // Another process that sees no row referencing these bytes releases them now; then the row commits.
        expect(await f.store.release(TENANT, staged.sha256, async () => false)).toBe(true);
        await staged.settle();
        expect(await readAll(await f.store.open(TENANT, staged.sha256))).toEqual(Buffer.from('contested'));
        expect(await f.temps()).toEqual([]);
      });

      it('the sweep removes what dead processes left and unreferenced blobs, waits out the grace for others, keeps the referenced', async () => {
        const keep = await stored('referenced bytes');
        refs.add(`${TENANT}/${keep}`);
        const dead = deadPid();
        await f.plantTemp(`${HOST}.${dead}.1.partial`, Buffer.alloc(1000));
        await f.plantTemp(`${HOST}.${process.pid}.2.mine`, Buffer.from('a live upload of this process'));
        await f.plantTemp('otherhost.123.3.partial', Buffer.from('x'));
        const orphan = await f.plantBlob(TENANT, Buffer.from('never recorded'));
        // A release that crashed with its bytes in the trash: put back when referenced, removed when not.
        const restored = await f.plantBlob('globex', Buffer.from('crashed release, referenced'));
        await f.store.release('globex', restored, async () => true);
        await f.plantTemp(`trash.globex.${restored}.${HOST}.${dead}.aa`, Buffer.from('crashed release, referenced'));
        await f.store.release('globex', restored, async () => false);
        refs.add(`globex/${restored}`);
        const dropped = sha('crashed release, unreferenced');
        await f.plantTemp(`trash.${TENANT}.${dropped}.${HOST}.${dead}.bb`, Buffer.from('crashed release, unreferenced'));

        const report = await f.store.sweep({ tempGraceMs: 3_600_000, blobGraceMs: 0, referenced });
        expect(report.tempFiles.sort()).toEqual(
          [`${HOST}.${dead}.1.partial`, `trash.${TENANT}.${dropped}.${HOST}.${dead}.bb`].sort(),
        );
        expect(report.blobs).toEqual([`${TENANT}/${orphan}`]);
        expect(report.restored).toEqual([`globex/${restored}`]);
        expect(report.passComplete).toBe(true);
        expect(await readAll(await f.store.open('globex', restored))).toEqual(Buffer.from('crashed release, referenced'));
        expect(await readAll(await f.store.open(TENANT, keep))).toEqual(Buffer.from('referenced bytes'));
        expect((await f.temps()).sort()).toEqual([`${HOST}.${process.pid}.2.mine`, 'otherhost.123.3.partial'].sort());
        // A blob younger than the grace stays; past the grace, another host's temporary file goes too.
        const young = await f.plantBlob(TENANT, Buffer.from('young orphan'));
        const later = await f.store.sweep({ tempGraceMs: 0, blobGraceMs: 3_600_000, referenced });
        expect(later.blobs).toEqual([]);
        expect(later.tempFiles.sort()).toEqual([`${HOST}.${process.pid}.2.mine`, 'otherhost.123.3.partial'].sort());
        expect(await f.store.exists(TENANT, young)).toBe(true);
        expect(await f.temps()).toEqual([]);
      });

      it('the sweep is bounded: resumable slices of a rolling walk that finds every orphan by the end of a pass', async () => {
        const keep = await stored('kept bytes');
        refs.add(`${TENANT}/${keep}`);
        const orphans: string[] = [];
        for (const t of ['one', 'two', 'three', 'four', 'five'])
          orphans.push(await f.plantBlob(TENANT, Buffer.from(`orphan ${t}`)));
        const removed: string[] = [];
        let calls = 0;
        for (let complete = false; !complete; calls++) {
          const report = await f.store.sweep({ tempGraceMs: 3_600_000, blobGraceMs: 0, budgetMs: 0, referenced });
          removed.push(...report.blobs);
          complete = report.passComplete;
          expect(calls).toBeLessThan(20);
        }
        expect(calls).toBeGreaterThan(1);
        expect(removed.sort()).toEqual(orphans.map((s) => `${TENANT}/${s}`).sort());
        expect(await f.blobs()).toEqual([`${TENANT}/${keep}`]);
      });

      if (kind.name === 's3')
        it('the sweep aborts the multipart upload of a dead process, and keeps a live one', async () => {
          const s3Store = f.store as S3BlobStore;
          // A process of this host that died mid-upload, and one of another host still sending parts.
          const client = (s3Store as unknown as { client: import('@aws-sdk/client-s3').S3Client }).client;
          const { CreateMultipartUploadCommand, UploadPartCommand } = await import('@aws-sdk/client-s3');
          const config = f.config as Extract<BlobStoreConfig, { kind: 's3' }>;
          const open = async (name: string) => {
            const key = `${config.prefix}.tmp/${name}`;
            const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: config.bucket, Key: key }));
            await client.send(
              new UploadPartCommand({ Bucket: config.bucket, Key: key, UploadId, PartNumber: 1, Body: randomBytes(5 * MiB) }),
            );
          };
          const dead = deadPid();
          await open(`${HOST}.${dead}.1.abc`);
          await open('otherhost.77.1.abc');
          const report = await f.store.sweep({ tempGraceMs: 3_600_000, blobGraceMs: 0, referenced });
          expect(report.tempFiles).toEqual([`${HOST}.${dead}.1.abc (multipart upload)`]);
          expect(report.tempBytes).toBe(5 * MiB);
          expect(await f.temps()).toEqual(['otherhost.77.1.abc (multipart upload)']);
          expect((await f.store.sweep({ tempGraceMs: 0, blobGraceMs: 0, referenced })).tempFiles).toEqual([
            'otherhost.77.1.abc (multipart upload)',
          ]);
          expect(await f.temps()).toEqual([]);
        });

      if (kind.name === 's3')
        it('puts content of one part straight at its address (no staging key, no copy); a crash before the commit leaves an orphan the sweep removes', async () => {
          const client = (f.store as unknown as { client: import('@aws-sdk/client-s3').S3Client }).client;
          const sent: string[] = [];
          const name = 'count-commands';
          client.middlewareStack.add(
            (next, context) => (args) => {
              sent.push(context.commandName ?? '?');
              return next(args);
            },
            { step: 'initialize', name },
          );
          try {
            const bytes = randomBytes(5 * MiB - 1);
            const staged = await f.store.stage(TENANT, Readable.from([bytes.subarray(0, MiB), bytes.subarray(MiB)]), {
              maxBytes: 64 * MiB,
            });
            expect(sent).toEqual([]);
            expect(await f.store.exists(TENANT, staged.sha256)).toBe(false);
            sent.length = 0;
            await staged.publish();
            await staged.settle();
            // Is it there? No: put. Still there after the commit? Yes.
            expect(sent).toEqual(['HeadObjectCommand', 'PutObjectCommand', 'HeadObjectCommand']);
            expect(sha(await readAll(await f.store.open(TENANT, staged.sha256)))).toBe(sha(bytes));
            expect(await f.temps()).toEqual([]);
            // One byte more than a part: staged as a multipart upload and copied.
            sent.length = 0;
            const large = await f.store.stage(TENANT, generated(5 * MiB + 1), { maxBytes: 64 * MiB });
            expect(await f.temps()).toHaveLength(1);
            await large.publish();
            await large.settle();
            expect(sent).toContain('CopyObjectCommand');
            expect(await f.temps()).toEqual([]);
          } finally {
            client.middlewareStack.remove(name);
          }
          // The process dies after publishing, before its row commits: nothing references the bytes.
          const crashed = await f.store.stage(TENANT, Readable.from([Buffer.from('published, never recorded')]), {
            maxBytes: 100,
          });
          await crashed.publish();
          const report = await f.store.sweep({ tempGraceMs: 3_600_000, blobGraceMs: 0, referenced });
          expect(report.blobs).toContain(`${TENANT}/${crashed.sha256}`);
          expect(await f.store.exists(TENANT, crashed.sha256)).toBe(false);
          expect(await f.temps()).toEqual([]);
        });

      if (kind.name === 's3')
        it('hands out a presigned URL when downloads go by redirect: the bytes, the signed answer headers, Range, a short life', async () => {
          const config = f.config as Extract<BlobStoreConfig, { kind: 's3' }>;
          const client = (f.store as unknown as { client: import('@aws-sdk/client-s3').S3Client }).client;
          const headers = {
            contentType: 'audio/wav',
            contentDisposition: 'attachment; filename="call 1.wav"',
            cacheControl: 'private, no-store',
          };
          const hash = await stored(randomBytes(100_000));
          // Not configured: no URL, downloads stream through.
          expect(await f.store.locate?.(TENANT, hash, headers)).toBeUndefined();
          const redirecting = new S3BlobStore({
            client,
            bucket: config.bucket,
            prefix: config.prefix,
            downloadRedirectSeconds: 60,
          });
          const url = await redirecting.locate(TENANT, hash, headers);
          expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Signature=/);
          expect(new URL(url as string).searchParams.get('X-Amz-Expires')).toBe('60');
          const bytes = await readAll(await f.store.open(TENANT, hash));
          const whole = await fetch(url as string);
          expect(whole.status).toBe(200);
          expect(whole.headers.get('content-type')).toBe('audio/wav');
          expect(whole.headers.get('content-disposition')).toBe(headers.contentDisposition);
          expect(whole.headers.get('cache-control')).toBe('private, no-store');
          expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
          const part = await fetch(url as string, { headers: { range: 'bytes=1000-1999' } });
          expect(part.status).toBe(206);
          expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
          expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
          // The signature covers the answer headers and the key: changing either is refused.
          const tampered = new URL(url as string);
          tampered.searchParams.set('response-content-type', 'text/html');
          expect((await fetch(tampered)).status).toBe(403);
          // Another tenant's address is another signature.
          const other = await redirecting.locate('globex', hash, headers);
          expect((await fetch(other as string)).status).toBe(404);
        });

      if (kind.name === 's3')
        it('copies objects past the single-copy limit in parts (publish, release, put back), and the sweep aborts a crashed copy', async () => {
          // The limit is 5 GiB in production; 6 MiB here, so a 13 MiB blob is copied in three parts of 5 MiB.
          const config = f.config as Extract<BlobStoreConfig, { kind: 's3' }>;
          const client = (f.store as unknown as { client: import('@aws-sdk/client-s3').S3Client }).client;
          const { CreateMultipartUploadCommand, HeadObjectCommand, UploadPartCommand } = await import('@aws-sdk/client-s3');
          const store = new S3BlobStore({
            client,
            bucket: config.bucket,
            prefix: config.prefix,
            partSize: 5 * MiB,
            queueSize: 2,
            singleCopyMaxBytes: 6 * MiB,
            copyPartSize: 5 * MiB,
          });
          const size = 13 * MiB + 123;
          const bytes = await readAll(generated(size, { seed: 7 }));
          const staged = await store.stage(TENANT, generated(size, { seed: 7 }), { maxBytes: 64 * MiB });
          await staged.publish();
          await staged.settle();
          expect(staged.sha256).toBe(sha(bytes));
          const key = `${config.prefix}${TENANT}/${staged.sha256.slice(0, 2)}/${staged.sha256}`;
          // A multipart object's ETag counts its parts: the copy to the address was made in three.
          const head = await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: key }));
          expect(head.ETag).toMatch(/-3"$/);
          expect(head.ContentLength).toBe(size);
          expect((await readAll(await store.open(TENANT, staged.sha256))).equals(bytes)).toBe(true);
          const across = { start: 5 * MiB - 10, end: 10 * MiB + 10 };
          expect(
            (await readAll(await store.open(TENANT, staged.sha256, across))).equals(bytes.subarray(across.start, across.end + 1)),
          ).toBe(true);
          expect(await f.temps()).toEqual([]);
          // A release that finds a reference copies to the trash and back, both in parts.
          expect(await store.release(TENANT, staged.sha256, async () => true)).toBe(false);
          expect((await readAll(await store.open(TENANT, staged.sha256))).equals(bytes)).toBe(true);
          expect(await f.temps()).toEqual([]);
          expect(await store.release(TENANT, staged.sha256, async () => false)).toBe(true);
          expect(await f.blobs()).toEqual([]);
          expect(await f.temps()).toEqual([]);

          // A process killed while copying in parts leaves an open multipart upload at the address, nothing visible.
          const orphan = `${config.prefix}${TENANT}/ab/${'ab'.repeat(32)}`;
          const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: config.bucket, Key: orphan }));
          await client.send(
            new UploadPartCommand({ Bucket: config.bucket, Key: orphan, UploadId, PartNumber: 1, Body: randomBytes(5 * MiB) }),
          );
          expect(await f.blobs()).toEqual([]);
          // It names no writer: kept while younger than the grace, aborted after.
          expect((await store.sweep({ tempGraceMs: 3_600_000, blobGraceMs: 0, referenced })).tempFiles).toEqual([]);
          const report = await store.sweep({ tempGraceMs: 0, blobGraceMs: 0, referenced });
          expect(report.tempFiles).toEqual([`${TENANT}/ab/${'ab'.repeat(32)} (multipart copy)`]);
          expect(report.tempBytes).toBe(5 * MiB);
          expect(
            (await client.send(new ListMultipartUploadsCommand({ Bucket: config.bucket, Prefix: config.prefix }))).Uploads ?? [],
          ).toEqual([]);
        });

      if (kind.name === 'fs')
        it("the sweep finds a crashed upload's orphan through its folder's change, whatever the budget", async () => {
          const root = join(dir, 'blobs');
          const long = new Date(Date.UTC(2024, 0, 1));
          // An old store, its rolling walk just finished, nothing changed since.
          for (const t of ['one', 'two', 'three']) {
            const hash = await stored(`kept ${t}`);
            refs.add(`${TENANT}/${hash}`);
            await utimes(join(root, TENANT, hash.slice(0, 2), hash), long, long);
          }
          for (const aa of readdirSync(join(root, TENANT))) await utimes(join(root, TENANT, aa), long, long);
          const sweep = () => f.store.sweep({ tempGraceMs: 3_600_000, blobGraceMs: 60_000, budgetMs: 0, referenced });
          while (!(await sweep()).passComplete);
          // A crashed upload: published, never recorded. Too young for the first sweep, found by the next once old enough.
          const crashed = await f.store.stage(TENANT, Readable.from([Buffer.from('crashed upload')]), { maxBytes: 100 });
          await crashed.publish();
          await crashed.discard();
          expect((await sweep()).blobs).toEqual([]);
          await utimes(join(root, TENANT, crashed.sha256.slice(0, 2), crashed.sha256), long, long);
          expect((await sweep()).blobs).toEqual([`${TENANT}/${crashed.sha256}`]);
          expect((await f.blobs()).length).toBe(3);
        });

      it('a server killed with SIGKILL mid-upload leaves no visible object, and the sweep leaves no orphan', async () => {
        const databaseUrl = await createTestDatabase();
        const principalsFile = join(dir, 'principals.json');
        await writeFile(principalsFile, JSON.stringify(PRINCIPALS));
        const admin = `Basic ${Buffer.from('admin1:pw-admin1').toString('base64')}`;
        const args = ['--config', principalsFile, ...storeArgs(databaseUrl ? { dataDir: dir, databaseUrl } : { dataDir: dir })];
        const { child, url, exited } = await serveCli([...args, ...f.serveArgs], {
          ...f.env,
          IXVAULT_SECRET: 'blob-suite-secret-blob-suite-secret-0123',
        });
        try {
          const created = await fetch(`${url}/api/v1/interactions`, {
            method: 'POST',
            headers: { authorization: admin, 'content-type': 'application/json' },
            body: JSON.stringify({
              id: 'KILL1',
              mediaType: 'call',
              typeId: 'Inbound',
              state: 'Stopped',
              startDate: new Date().toISOString(),
            }),
          });
          expect(created.status).toBeLessThan(300);
          // A committed upload first (it must survive), then one that streams on until the server dies.
          const done = await fetch(`${url}/api/v1/interactions/KILL1/content/first?type=callRecording`, {
            method: 'PUT',
            headers: { authorization: admin, 'content-type': 'audio/wav' },
            body: COMMITTED,
          });
          expect(done.status).toBe(201);
          // An upload that goes on until the server dies: written as the socket drains (node:http), so
          // it never starves the event loop when the connection breaks.
          const target = new URL(`${url}/api/v1/interactions/KILL1/content/second?type=callRecording`);
          const req = request({
            host: target.hostname,
            port: target.port,
            path: `${target.pathname}${target.search}`,
            method: 'PUT',
            headers: { authorization: admin, 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' },
          });
          let broken = false;
          const upload = new Promise<void>((resolve) => {
            req.on('error', () => {
              broken = true;
              resolve();
            });
            req.on('close', () => resolve());
          });
          const pump = () => {
            while (!broken && req.write(randomBytes(256 * 1024)));
            if (!broken) req.once('drain', pump);
          };
          pump();
          // Killed once the upload is being stored (past the first multipart part on S3).
          await waitFor(async () => (await f.temps()).length > 0, 'the upload to reach the store', { timeoutMs: 60_000 });
          child.kill('SIGKILL');
          await exited;
          req.destroy();
          await upload;
        } finally {
          child.kill('SIGKILL');
          await exited;
        }
        const runtime = await openRuntime({
          dataDir: dir,
          databaseUrl,
          principals: PRINCIPALS,
          maxContentBytes: 1024 * MiB,
          blobStore: f.config,
          secret: 'blob-suite-secret-blob-suite-secret-0123',
          poolSize: 2,
          sweep: false,
          log: () => {},
        });
        try {
          const content = (await runtime.vault.interactions.get({ tenantId: TENANT }, 'KILL1'))?.content ?? [];
          expect(content.map((c) => c.contentKey)).toEqual(['first']);
          expect(await f.temps()).not.toEqual([]);
          await runtime.sweep({ blobGraceMs: 0 });
          expect(await f.temps()).toEqual([]);
          expect(await f.blobs()).toEqual([`${TENANT}/${sha(COMMITTED)}`]);
          const opened = await runtime.vault.content.get({ tenantId: TENANT }, 'KILL1', 'first');
          expect(opened?.item.sha256).toBe(sha(COMMITTED));
        } finally {
          await runtime.close();
        }
      });
    },
  );
}
