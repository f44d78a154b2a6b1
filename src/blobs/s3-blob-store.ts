/**
 * Blob store in an S3 bucket (Amazon S3, Ceph RADOS Gateway, MinIO…), with
 * the file-system store's layout under a key prefix:
 *
 *   <prefix><tenant>/<aa>/<sha256>                        the bytes, at their address
 *   <prefix>.tmp/<host>.<pid>.<ms>.<random>               a staged upload (a multipart upload while it streams)
 *   <prefix>.tmp/trash.<tenant>.<sha256>.<host>.<pid>.<…> a release in progress
 *   <prefix>.sweep-state.json                             where the sweeps' rolling walk stands
 *
 * The protocol is blob-store.ts's, with S3 operations for the file ones.
 * Content of one part at most is staged in memory and put straight at its
 * address (stageInMemory). Larger content streams (lib-storage: parts of
 * `partSize`, `queueSize` in flight, so memory is bounded whatever the size)
 * to a temporary key while the bytes are hashed; `publish` is a server-side
 * copy to the address (skipped when the address already holds the bytes: the
 * key is their hash); `settle` copies again if a release took the address,
 * then deletes the staged object. A
 * release copies the bytes to a trash key, deletes the address, asks again
 * whether they are referenced, and copies them back if so. Nothing relies on
 * a lock or on S3 features beyond read-after-write consistency, so any number
 * of processes on any number of hosts may share the bucket.
 *
 * A copy is done by the S3 server (Ceph RGW shares the stored data instead of
 * copying it: ~80 ms for 256 MiB, against 5 s to upload them). One CopyObject
 * takes at most 5 GiB, so larger objects are copied in parts (UploadPartCopy of
 * `copyPartSize` ranges into a multipart upload at the destination, completed,
 * then checked by HEAD: some servers, Ceph among them, answer the completion
 * with an empty ETag). A process killed mid-copy leaves an open multipart
 * upload at the destination key and nothing visible; the sweep aborts it once
 * untouched for the temporary grace. The largest object is what a streamed
 * upload can reach: 10 000 parts of `partSize` (`maxBytes`, checked when the
 * runtime opens).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { abandoned, blobPath, meter, parseTrash, tempName, trashName } from './blob-naming.js';
import {
  type BlobStore,
  type ByteRange,
  type DownloadHeaders,
  emptySweepReport,
  type StagedBlob,
  type SweepOptions,
  type SweepReport,
} from './blob-store.js';
import { endWhenStalled } from './stalled-body.js';

/** The largest object one CopyObject can copy; larger ones are copied in parts. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
/** The most parts a multipart upload may have (S3's limit, and lib-storage's for a stream of unknown length). */
const MAX_PARTS = 10_000;
/** How long a body may send nothing while its reader waits: as long as the SDK waits for an answer's head. */
const BODY_STALL_MS = 30_000;
/** The largest S3 object. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, '' or ending with '/'. */
  prefix: string;
  /** Multipart part size (≥ 5 MiB); memory per upload is about partSize × (queueSize + 1). */
  partSize?: number;
  /** Parts uploaded at once per upload. */
  queueSize?: number;
  /** Keys per listing request of the sweep's walk (S3 returns at most 1000). */
  listPageSize?: number;
  /** Objects larger than this are copied in parts (at most 5 GiB, S3's limit for one CopyObject). */
  singleCopyMaxBytes?: number;
  /** The size of each part of a copy in parts (5 MiB to 5 GiB). */
  copyPartSize?: number;
  /** Downloads are answered by a redirect to a presigned GET valid this long (0 or absent: streamed through). */
  downloadRedirectSeconds?: number;
}

const BLOB_KEY = /^([A-Za-z0-9_-]{1,64})\/([0-9a-f]{2})\/([0-9a-f]{64})$/;

/** Checks that a bucket is there and reachable with the client's credentials (blob store, export target). */
export async function checkBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const status = statusOf(err);
    const why = status === 404 ? 'does not exist' : status === 403 ? 'is not accessible with these credentials' : describe(err);
    throw new Error(`S3 bucket '${bucket}' ${why}`);
  }
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly tmpPrefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly listPageSize: number;
  private readonly singleCopyMaxBytes: number;
  private readonly copyPartSize: number;
  private readonly downloadRedirectSeconds: number;
  /** The largest blob this store can take: 10 000 parts of a streamed upload. */
  readonly maxBytes: number;

  constructor(options: S3BlobStoreOptions) {
    if (options.prefix !== '' && !options.prefix.endsWith('/')) throw new Error("an S3 key prefix must be '' or end with '/'");
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.tmpPrefix = `${options.prefix}.tmp/`;
    this.partSize = options.partSize ?? 8 * 1024 ** 2;
    this.queueSize = options.queueSize ?? 4;
    this.listPageSize = options.listPageSize ?? 1000;
    this.singleCopyMaxBytes = Math.min(options.singleCopyMaxBytes ?? MAX_SINGLE_COPY_BYTES, MAX_SINGLE_COPY_BYTES);
    this.copyPartSize = options.copyPartSize ?? 512 * 1024 ** 2;
    this.downloadRedirectSeconds = options.downloadRedirectSeconds ?? 0;
    if (this.copyPartSize < 5 * 1024 ** 2 || this.copyPartSize > MAX_SINGLE_COPY_BYTES)
      throw new Error('an S3 copy part must be 5 MiB to 5 GiB');
    this.maxBytes = Math.min(this.partSize * MAX_PARTS, this.copyPartSize * MAX_PARTS, MAX_OBJECT_BYTES);
  }

  /** Checks that the bucket is there and reachable with these credentials. */
  init(): Promise<void> {
    return checkBucket(this.client, this.bucket);
  }

  /** The bucket answers these credentials (readiness): one HEAD of it. */
  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  async stage(tenantId: string, source: Readable, options: { maxBytes: number }): Promise<StagedBlob> {
    blobPath(tenantId, '0'.repeat(64));
    const metered = meter(options.maxBytes);
    const piping = pipeline(source, metered.stream);
    // Up to one part is read first: content that ends within it is staged in memory.
    const chunks = metered.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head: Buffer[] = [];
    let headBytes = 0;
    try {
      while (headBytes <= this.partSize) {
        const next = await chunks.next();
        if (next.done) {
          await piping;
          return this.stageInMemory(tenantId, Buffer.concat(head, headBytes), metered.digest());
        }
        head.push(next.value);
        headBytes += next.value.length;
      }
    } catch (err) {
      await piping.catch(() => {});
      throw err;
    }
    return this.stageUpload(tenantId, piping, metered, Readable.from(continued(head, chunks)));
  }

  /**
   * Small content (one part at most) never goes through a staging key: its
   * bytes are held in memory and put straight at their address, so an upload
   * is a HEAD and a PUT instead of a multipart upload, a HEAD, a copy and a
   * delete. The held bytes play the staged object's part: `settle` puts them
   * back if a release took the address before the row committed. A crash
   * before the commit leaves at most an unreferenced object at the address,
   * which no row shows and the sweep's walk releases.
   */
  private stageInMemory(tenantId: string, bytes: Buffer, { sha256, size }: { sha256: string; size: number }): StagedBlob {
    const key = this.keyOf(tenantId, sha256);
    let held: Buffer | undefined = bytes;
    const publish = async () => {
      if (!held) throw new Error('staged content was already settled or discarded');
      // Already there: the same bytes (the address is their hash).
      if (!(await this.has(key)))
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: held, ContentType: 'application/octet-stream' }),
        );
    };
    return {
      sha256,
      size,
      publish,
      settle: async () => {
        await publish();
        held = undefined;
      },
      discard: async () => {
        held = undefined;
      },
    };
  }

  /** Larger content streams to a staging key (a multipart upload), then is copied to its address. */
  private async stageUpload(
    tenantId: string,
    piping: Promise<void>,
    metered: ReturnType<typeof meter>,
    body: Readable,
  ): Promise<StagedBlob> {
    const tmpKey = this.tmpPrefix + tempName();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: tmpKey, Body: body, ContentType: 'application/octet-stream' },
      partSize: this.partSize,
      queueSize: this.queueSize,
    });
    const uploading = upload.done();
    // An upload that fails stops reading: end the body so the source is not left waiting.
    uploading.catch((err: Error) => metered.stream.destroy(err));
    const [piped, uploaded] = await Promise.allSettled([piping, uploading]);
    // On failure lib-storage has aborted the multipart upload (the sweep aborts any it could not).
    if (piped.status === 'rejected' || uploaded.status === 'rejected') {
      await this.remove(tmpKey).catch(() => {});
      throw piped.status === 'rejected' ? piped.reason : (uploaded as PromiseRejectedResult).reason;
    }
    const { sha256, size } = metered.digest();
    // What the store holds, asked of the store (a completed multipart upload's answer may lack the ETag on some servers).
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: tmpKey }));
    if (head.ContentLength !== size) {
      await this.remove(tmpKey).catch(() => {});
      throw new Error(`S3 stored ${head.ContentLength} bytes of an upload of ${size}`);
    }
    const key = this.keyOf(tenantId, sha256);
    const publish = async () => {
      // Already there: the same bytes (the address is their hash).
      if (!(await this.has(key))) await this.copy(tmpKey, key, size);
    };
    return {
      sha256,
      size,
      publish,
      settle: async () => {
        await publish();
        await this.remove(tmpKey);
      },
      discard: () => this.remove(tmpKey).catch(() => {}),
    };
  }

  async open(tenantId: string, sha256: string, range?: ByteRange): Promise<Readable> {
    const answer = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.keyOf(tenantId, sha256),
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    if (!(answer.Body instanceof Readable)) throw new Error('S3 answered without a body stream');
    return endWhenStalled(answer.Body, BODY_STALL_MS);
  }

  /**
   * A presigned GET of the blob, the answer's headers signed in as S3's
   * response overrides, when downloads are served by redirect. Signed with
   * the client's own signer on a copy of its middleware stack (what
   * `@aws-sdk/s3-request-presigner` does), so endpoint, path style, region
   * and credentials are the store's; `Range` stays the client's to send.
   */
  async locate(tenantId: string, sha256: string, headers: DownloadHeaders): Promise<string | undefined> {
    if (this.downloadRedirectSeconds <= 0) return undefined;
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.keyOf(tenantId, sha256),
      ResponseContentType: headers.contentType,
      ResponseContentDisposition: headers.contentDisposition,
      ResponseCacheControl: headers.cacheControl,
    });
    const config = this.client.config;
    const expiresIn = this.downloadRedirectSeconds;
    const stack = this.client.middlewareStack.clone();
    const presign =
      (_next: unknown, context: { signing_region?: string; signing_service?: string }) =>
      async (args: { request: PresignableRequest }) => {
        const request = args.request;
        // Per-call headers the SDK adds: a URL for someone else to use carries none of them.
        for (const header of ['amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent', 'x-amz-checksum-mode'])
          delete request.headers[header];
        request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        request.headers.host = `${request.hostname}${request.port ? `:${request.port}` : ''}`;
        const signer = (await config.signer()) as unknown as Presigner;
        const presigned = await signer.presign(request, {
          expiresIn,
          signingRegion: context.signing_region ?? (await config.region()),
          signingService: context.signing_service ?? 's3',
          unsignableHeaders: new Set(['content-type']),
        });
        return { response: {}, output: { $metadata: {}, url: urlOf(presigned) } };
      };
    stack.addRelativeTo(presign as never, {
      name: 'ixvaultPresign',
      relation: 'before',
      toMiddleware: 'httpSigningMiddleware',
      override: true,
    });
    const handler = command.resolveMiddleware(stack as never, config, {});
    const { output } = (await handler({ input: command.input })) as unknown as { output: { url: string } };
    return output.url;
  }

  exists(tenantId: string, sha256: string): Promise<boolean> {
    return this.has(this.keyOf(tenantId, sha256));
  }

  async release(tenantId: string, sha256: string, isReferenced: () => Promise<boolean>): Promise<boolean> {
    const key = this.keyOf(tenantId, sha256);
    const trash = this.tmpPrefix + trashName(tenantId, sha256);
    try {
      await this.copy(key, trash);
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
    // The bytes are out of reach before the final check; the trash copy can put them back.
    await this.remove(key);
    let referenced = true;
    try {
      referenced = await isReferenced();
    } finally {
      if (referenced) await this.putBack(trash, key);
    }
    if (referenced) return false;
    await this.remove(trash);
    return true;
  }

  async sweep(options: SweepOptions): Promise<SweepReport> {
    const report = emptySweepReport();
    const startedMs = Date.now();
    await this.sweepTemp(options, startedMs, report);
    await this.sweepUploads(options, startedMs, report);
    // The rolling walk over every blob key, in pages, where the last call stopped, within the budget.
    // S3 has no cheap "what changed" (the file system's folder times): a crashed upload's orphan is
    // found when the walk reaches it, within one pass.
    const deadline = startedMs + (options.budgetMs ?? Number.POSITIVE_INFINITY);
    let cursor = await this.readCursor();
    for (let pages = 0; ; pages++) {
      // At least one page per call, so that the walk always moves on.
      if (pages > 0 && Date.now() >= deadline) break;
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix,
          MaxKeys: this.listPageSize,
          ...(cursor ? { StartAfter: cursor } : {}),
        }),
      );
      report.folders++;
      await this.sweepPage(page.Contents ?? [], options, report);
      const last = page.Contents?.at(-1)?.Key;
      if (!page.IsTruncated || !last) {
        report.passComplete = true;
        cursor = '';
        break;
      }
      cursor = last;
    }
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.stateKey(),
        Body: JSON.stringify({ cursor }),
        ContentType: 'application/json',
      }),
    );
    return report;
  }

  /** Releases the unreferenced blobs of one listing page that are older than the grace. */
  private async sweepPage(
    objects: { Key?: string | undefined; LastModified?: Date | undefined; Size?: number | undefined }[],
    options: SweepOptions,
    report: SweepReport,
  ): Promise<void> {
    const now = Date.now();
    const byTenant = new Map<string, { sha256: string; size: number }[]>();
    for (const object of objects) {
      const m = BLOB_KEY.exec(object.Key?.slice(this.prefix.length) ?? '');
      if (!m?.[1] || !m[3] || m[3].slice(0, 2) !== m[2]) continue;
      if (now - (object.LastModified?.getTime() ?? now) < options.blobGraceMs) continue;
      const list = byTenant.get(m[1]) ?? [];
      list.push({ sha256: m[3], size: object.Size ?? 0 });
      byTenant.set(m[1], list);
    }
    for (const [tenantId, blobs] of byTenant) {
      const used = await options.referenced(
        tenantId,
        blobs.map((b) => b.sha256),
      );
      for (const { sha256, size } of blobs) {
        if (used.has(sha256)) continue;
        if (await this.release(tenantId, sha256, async () => (await options.referenced(tenantId, [sha256])).has(sha256))) {
          report.blobs.push(`${tenantId}/${sha256}`);
          report.blobBytes += size;
        }
      }
    }
  }

  /** Staged objects and trash: removed once abandoned; a release's trash put back if its bytes are referenced. */
  private async sweepTemp(options: SweepOptions, now: number, report: SweepReport): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.tmpPrefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const name = object.Key.slice(this.tmpPrefix.length);
        const trash = parseTrash(name);
        const ageMs = now - (object.LastModified?.getTime() ?? now);
        if (!abandoned(trash?.tag ?? name, ageMs, options.tempGraceMs)) continue;
        if (trash && (await options.referenced(trash.tenantId, [trash.sha256])).has(trash.sha256)) {
          await this.putBack(object.Key, this.keyOf(trash.tenantId, trash.sha256));
          report.restored.push(`${trash.tenantId}/${trash.sha256}`);
          continue;
        }
        await this.remove(object.Key);
        report.tempFiles.push(name);
        report.tempBytes += object.Size ?? 0;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Multipart uploads a killed process left open (their parts are stored and
   * billed, but no object shows them): aborted once abandoned, judged by the
   * last part received, so a slow upload of a live process elsewhere stays.
   * Staged uploads name their writer; a copy in parts at a blob's address
   * does not, and is judged by its age alone.
   */
  private async sweepUploads(options: SweepOptions, now: number, report: SweepReport): Promise<void> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: this.prefix,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId) continue;
        const staged = upload.Key.startsWith(this.tmpPrefix);
        const name = upload.Key.slice(staged ? this.tmpPrefix.length : this.prefix.length);
        const tag = parseTrash(name)?.tag ?? name;
        const initiated = upload.Initiated?.getTime() ?? now;
        if (!abandoned(tag, now - initiated, options.tempGraceMs)) continue;
        const parts = await this.client
          .send(new ListPartsCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }))
          .then((p) => p.Parts ?? [])
          .catch(() => []);
        const lastActive = Math.max(initiated, ...parts.map((p) => p.LastModified?.getTime() ?? 0));
        if (!abandoned(tag, now - lastActive, options.tempGraceMs)) continue;
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }))
          .catch((err: unknown) => {
            if (statusOf(err) !== 404) throw err;
          });
        report.tempFiles.push(`${name} (${staged ? 'multipart upload' : 'multipart copy'})`);
        report.tempBytes += parts.reduce((n, p) => n + (p.Size ?? 0), 0);
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
  }

  /**
   * The last key the rolling walk checked ('' : start over). A lost or stale
   * cursor only costs work, never safety: what is removed is decided by
   * `release`, not by this state.
   */
  private async readCursor(): Promise<string> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.stateKey() }));
      const parsed = JSON.parse((await answer.Body?.transformToString()) ?? '{}') as { cursor?: unknown };
      return typeof parsed.cursor === 'string' && parsed.cursor.startsWith(this.prefix) ? parsed.cursor : '';
    } catch (err) {
      if (statusOf(err) === 404 || err instanceof SyntaxError) return '';
      throw err;
    }
  }

  /** Puts bytes taken out of reach back at their address (which may meanwhile hold the same bytes again). */
  private async putBack(trash: string, key: string): Promise<void> {
    if (!(await this.has(key))) await this.copy(trash, key);
    await this.remove(trash);
  }

  private async has(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  /** A server-side copy: one CopyObject, or parts beyond `singleCopyMaxBytes` (the size is asked when not known). */
  private async copy(from: string, to: string, knownSize?: number): Promise<void> {
    const source = `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
    const size =
      knownSize ?? (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: from }))).ContentLength ?? 0;
    if (size <= this.singleCopyMaxBytes) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: source }));
      return;
    }
    await this.copyInParts(source, to, size);
  }

  /**
   * UploadPartCopy of consecutive ranges, `queueSize` at once, into a
   * multipart upload at `to`; nothing is visible at `to` until it completes,
   * and a failure aborts it (a crash leaves it to the sweep).
   */
  private async copyInParts(source: string, to: string, size: number): Promise<void> {
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: to, ContentType: 'application/octet-stream' }),
    );
    if (!UploadId) throw new Error('S3 opened a multipart upload without an id');
    try {
      const count = Math.ceil(size / this.copyPartSize);
      const etags: string[] = new Array(count);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < count; i = next++) {
          const start = i * this.copyPartSize;
          const end = Math.min(size, start + this.copyPartSize) - 1;
          const answer = await this.client.send(
            new UploadPartCopyCommand({
              Bucket: this.bucket,
              Key: to,
              UploadId,
              PartNumber: i + 1,
              CopySource: source,
              CopySourceRange: `bytes=${start}-${end}`,
            }),
          );
          const etag = answer.CopyPartResult?.ETag;
          if (!etag) throw new Error(`S3 copied part ${i + 1} without an ETag`);
          etags[i] = etag;
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.queueSize, count) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: to,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId })).catch(() => {});
      throw err;
    }
    // The completion's answer may lack the ETag (Ceph): what is stored is asked of the store.
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: to }));
    if (head.ContentLength !== size) throw new Error(`S3 copied ${head.ContentLength} bytes of ${size}`);
  }

  /** Deletes a key; deleting a missing key succeeds (S3 semantics). */
  private async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  private keyOf(tenantId: string, sha256: string): string {
    return this.prefix + blobPath(tenantId, sha256);
  }

  private stateKey(): string {
    return `${this.prefix}.sweep-state.json`;
  }
}

/** What a presigned request is made of (@smithy/protocol-http's HttpRequest, by shape). */
interface PresignableRequest {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

/** The client's signer (SignatureV4MultiRegion), by the one method used here. */
interface Presigner {
  presign(
    request: PresignableRequest,
    options: { expiresIn: number; signingRegion: string; signingService: string; unsignableHeaders: Set<string> },
  ): Promise<PresignableRequest>;
}

/** The URL of a presigned request; keys and values escaped as SigV4 canonicalises them (RFC 3986). */
function urlOf(request: PresignableRequest): string {
  const rfc3986 = (v: string) =>
    encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = Object.entries(request.query)
    .flatMap(([k, v]) => (v === null ? [rfc3986(k)] : (Array.isArray(v) ? v : [v]).map((x) => `${rfc3986(k)}=${rfc3986(x)}`)))
    .join('&');
  const port = request.port ? `:${request.port}` : '';
  return `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ''}`;
}

/** The chunks already read, then the rest of the iterator's. */
async function* continued(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `could not be reached: ${e.name ?? 'Error'}${e.message ? ` (${e.message})` : ''}`;
}
