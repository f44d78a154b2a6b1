/**
 * Content bytes, addressed by their SHA-256 within a tenant.
 *
 * Writing is three steps so that bytes are never lost to a concurrent release
 * or sweep, in this process or another one sharing the store:
 * `stage` streams to a temporary file (bounded memory, size limit, nothing
 * visible on failure); `publish` makes the bytes visible at their address
 * while the staged copy stays; after the row that references them has
 * committed, `settle` re-publishes if a release took the address in the
 * meantime, and only then drops the staged copy.
 * Removing is `release`: the bytes are first taken out of reach, then the
 * caller's reference check runs again, and they are put back if referenced.
 */
import type { Readable } from 'node:stream';

export interface StagedBlob {
  sha256: string;
  size: number;
  publish(): Promise<void>;
  settle(): Promise<void>;
  discard(): Promise<void>;
}

export interface ByteRange {
  /** Inclusive offsets. */
  start: number;
  end: number;
}

export interface SweepOptions {
  /** Temporary files of processes that cannot be seen alive are removed once untouched this long. */
  tempGraceMs: number;
  /** Unreferenced blobs are removed once this old (any age is safe; a grace only avoids needless work). */
  blobGraceMs: number;
  /**
   * Time for the walk over blob folders in one call (unbounded when absent).
   * Temporary files and the folders that changed since the previous call are
   * always checked; the rest of the store is walked in slices, resuming where
   * the previous call stopped, so a very large store is covered over several
   * calls instead of in one long walk.
   */
  budgetMs?: number;
  /** Which of these hashes some row of the tenant references. */
  referenced(tenantId: string, sha256s: string[]): Promise<Set<string>>;
}

export interface SweepReport {
  tempFiles: string[];
  tempBytes: number;
  blobs: string[];
  blobBytes: number;
  /** Bytes found taken out of reach by a release that crashed, and put back because referenced. */
  restored: string[];
  /** Blob folders checked by this call. */
  folders: number;
  /** Whether this call finished a walk over every blob folder. */
  passComplete: boolean;
}

/** A sweep's report before it has found anything. */
export function emptySweepReport(): SweepReport {
  return { tempFiles: [], tempBytes: 0, blobs: [], blobBytes: 0, restored: [], folders: 0, passComplete: false };
}

/** The headers a download answers with, for a store that hands the download to the client (`locate`). */
export interface DownloadHeaders {
  contentType: string;
  contentDisposition: string;
  cacheControl: string;
}

export interface BlobStore {
  stage(tenantId: string, source: Readable, options: { maxBytes: number }): Promise<StagedBlob>;
  /** Streams stored bytes, or a part of them. */
  open(tenantId: string, sha256: string, range?: ByteRange): Promise<Readable>;
  exists(tenantId: string, sha256: string): Promise<boolean>;
  /** Removes the bytes unless `isReferenced`, asked after they were taken out of reach, says they are in use. */
  release(tenantId: string, sha256: string, isReferenced: () => Promise<boolean>): Promise<boolean>;
  /** Removes temporary files a crash left behind and blobs no row references. */
  sweep(options: SweepOptions): Promise<SweepReport>;
  /**
   * A short-lived URL where a client may fetch the bytes itself, answered
   * with these headers, when the store is configured to serve downloads by
   * redirect (S3 with `--s3-download-redirect`); undefined otherwise.
   */
  locate?(tenantId: string, sha256: string, headers: DownloadHeaders): Promise<string | undefined>;
  /** Rejects when the store cannot be reached or written (readiness); the rejection's message is for the log only. */
  check(): Promise<void>;
}

/** Raised by `stage` when the source is longer than allowed. */
export class BlobTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`content exceeds the limit of ${limit} bytes`);
  }
}
