/**
 * Where an export job writes: content files and a manifest, under relative
 * paths (`run-1/<interaction>/<contentKey>`, `run-1/manifest.jsonl`). A put is
 * atomic — the file is whole or absent, never half-written — and replaces
 * what is at the path, so rewriting a file after a crash is harmless. Two
 * implementations share this interface: a directory (embedded mode, here) and
 * an S3 bucket (with the S3 blob store).
 */
import type { Readable } from 'node:stream';

export interface ExportSink {
  /** Writes the whole stream to `path`, replacing any file there; answers its size and SHA-256. */
  put(path: string, body: Readable): Promise<{ size: number; sha256: string }>;
  /** Every file under `prefix` (a folder path ending in `/`), as paths relative to the sink. */
  list(prefix: string): Promise<string[]>;
  /** Removes a file; nothing when there is none. */
  remove(path: string): Promise<void>;
}

/** A path segment from any text (ids, content keys): no separator, never `.` or `..`. */
export function safeSegment(text: string): string {
  return encodeURIComponent(text).replace(/^\./, '%2E');
}

/** Refuses paths that could leave the sink: absolute, empty segments, `.` or `..`. */
export function checkedPath(path: string): string {
  const segments = path.split('/');
  if (path.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..'))
    throw new Error(`not a relative export path: ${path}`);
  return path;
}
