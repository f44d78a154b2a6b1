/**
 * Content bytes, addressed by their SHA-256 within a tenant. Writing is two
 * steps so that a caller can make the bytes visible and record them under one
 * lock: `stage` streams to a temporary place (bounded memory, size limit,
 * nothing visible on failure), `commit` publishes, `discard` throws away.
 */
import type { Readable } from 'node:stream';

export interface StagedBlob {
  sha256: string;
  size: number;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export interface ByteRange {
  /** Inclusive offsets. */
  start: number;
  end: number;
}

export interface BlobStore {
  stage(tenantId: string, source: Readable, options: { maxBytes: number }): Promise<StagedBlob>;
  /** Streams stored bytes, or a part of them. */
  open(tenantId: string, sha256: string, range?: ByteRange): Promise<Readable>;
  delete(tenantId: string, sha256: string): Promise<void>;
}

/** Raised by `stage` when the source is longer than allowed. */
export class BlobTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`content exceeds the limit of ${limit} bytes`);
  }
}
