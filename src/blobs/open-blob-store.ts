/**
 * The blob store a configuration names: files under the data directory, or
 * an S3 bucket. The S3 SDK is loaded only when a bucket is configured.
 */
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BlobStoreConfig, S3Config } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';

/** How long a presigned download URL lasts: enough to follow a redirect, too short to pass around. */
const DOWNLOAD_REDIRECT_SECONDS = 60;

export interface OpenedBlobStore {
  blobs: BlobStore;
  /** Human-readable location, for logs and the banner. */
  location: string;
  /** The largest blob the store can hold (S3: 10 000 parts of a streamed upload). */
  maxBytes: number;
  close(): Promise<void>;
}

export async function openBlobStore(config: BlobStoreConfig, dataDir: string): Promise<OpenedBlobStore> {
  if (config.kind === 'fs') {
    const root = join(dataDir, 'blobs');
    const blobs = new FsBlobStore(root);
    await blobs.init();
    return { blobs, location: root, maxBytes: Number.POSITIVE_INFINITY, close: async () => {} };
  }
  const { S3BlobStore } = await import('./s3-blob-store.js');
  const client = await s3ClientOf(config);
  const blobs = new S3BlobStore({
    client,
    bucket: config.bucket,
    prefix: config.prefix,
    downloadRedirectSeconds: config.downloadRedirect ? DOWNLOAD_REDIRECT_SECONDS : 0,
  });
  try {
    await blobs.init();
  } catch (err) {
    client.destroy();
    throw new Error(`${(err as Error).message} (endpoint ${config.endpoint ?? `Amazon S3, ${config.region}`})`);
  }
  return {
    blobs,
    location: `s3://${config.bucket}/${config.prefix}${config.endpoint ? ` at ${config.endpoint}` : ''}`,
    maxBytes: blobs.maxBytes,
    close: async () => client.destroy(),
  };
}

/**
 * How long a request to S3 may wait: to connect, and for the answer's head (its body then streams at the reader's
 * pace, which no timeout bounds: a client reading slowly is not S3 failing). The SDK waits forever by default, so
 * an endpoint that stopped answering without closing its connections (stopped, a partition that drops packets)
 * held every upload, download and /ready forever. Each of the SDK's attempts (3) gets this long; an answer's head
 * comes within seconds even for a part of 8 MiB sent at a few MB/s.
 */
const S3_CONNECT_MS = 15_000;
const S3_ANSWER_MS = 30_000;

/** A client for a configured bucket (blob store or export target); the SDK loads only here. */
export async function s3ClientOf(config: S3Config): Promise<S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    requestHandler: { connectionTimeout: S3_CONNECT_MS, requestTimeout: S3_ANSWER_MS, throwOnRequestTimeout: true },
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  });
}
