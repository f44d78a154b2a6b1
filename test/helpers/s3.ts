/**
 * S3 for the tests: Ceph RADOS Gateway on loopback (scripts/ceph-s3.mjs).
 * scripts/test.mjs starts one for the whole run and passes it on in
 * IXVAULT_TEST_S3_* variables; a test file run on its own starts its own.
 * Every test takes a fresh bucket and drops it afterwards. Where Ceph is not
 * installed the S3 tests are skipped with the reason in their name, except in
 * CI, where they fail.
 *
 * The run's Ceph is checked first with an S3 write: a gateway whose OSD stopped
 * answering holds every request without failing it, which a file would only
 * see as its hook's timeout (CI, session 14). A file that finds it so leaves a
 * note with the diagnosis, which the run prints after its total, and starts a
 * Ceph of its own.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { CEPH_PACKAGES, diagnoseCeph, missingCeph, probeS3, startCephS3 } from '../../scripts/ceph-s3.mjs';
import type { BlobStoreConfig } from '../../src/config.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const given = process.env.IXVAULT_TEST_S3_ENDPOINT;
const missing: string[] = given ? [] : missingCeph();

/** Why the S3 half of a suite cannot run here, or undefined when it can (in CI it always must). */
export const S3_UNAVAILABLE =
  missing.length > 0 && !process.env.CI ? `SKIPPED: Ceph is not installed (apt-get install ${CEPH_PACKAGES})` : undefined;

export interface TestS3 {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The standard AWS variables, for a child process. */
  env: Record<string, string>;
  client: S3Client;
  newBucket(): Promise<string>;
  /** Empties a bucket (objects and open multipart uploads) and removes it. */
  dropBucket(bucket: string): Promise<void>;
  /** `--blob-store s3://bucket/prefix` with this endpoint and its keys. */
  config(bucket: string, prefix?: string): BlobStoreConfig;
  stop(): Promise<void>;
}

/** The run's Ceph, unless a file of this run found it not answering (then noted in IXVAULT_TEST_NOTES). */
async function sharedCeph(region: string) {
  if (!given) return undefined;
  const shared = {
    endpoint: given,
    region,
    accessKeyId: process.env.IXVAULT_TEST_S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.IXVAULT_TEST_S3_SECRET_ACCESS_KEY ?? '',
  };
  const notes = process.env.IXVAULT_TEST_NOTES;
  const stopped = `${given} stopped answering`;
  const noted = () => {
    try {
      return notes ? readFileSync(notes, 'utf8').includes(stopped) : false;
    } catch {
      return false;
    }
  };
  if (noted()) return undefined;
  const problem = await probeS3(shared, 15_000);
  if (!problem) return shared;
  const dir = process.env.IXVAULT_TEST_S3_CEPH_DIR;
  const file = expect.getState().testPath ?? 'a test file';
  const note = `${file}: the run's Ceph RGW at ${stopped} (${problem}); the file started its own\n${dir ? diagnoseCeph(dir) : ''}`;
  if (notes) appendFileSync(notes, `${note}\n\n`);
  else console.warn(note);
  return undefined;
}

export async function startTestS3(): Promise<TestS3> {
  const region = 'us-east-1';
  let stopCeph = async () => {};
  let endpoint: string;
  let accessKeyId: string;
  let secretAccessKey: string;
  const shared = await sharedCeph(region);
  if (shared) ({ endpoint, accessKeyId, secretAccessKey } = shared);
  else {
    // Within the hooks' 60 s, so that a Ceph that cannot start fails with its own reason.
    const ceph = await startCephS3({ timeoutMs: 40_000 });
    ({ endpoint, accessKeyId, secretAccessKey } = ceph);
    stopCeph = ceph.stop;
  }
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  const dropBucket = async (bucket: string) => {
    for (let token: string | undefined, more = true; more; ) {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const o of page.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
      token = page.NextContinuationToken;
      more = page.IsTruncated === true;
    }
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of uploads.Uploads ?? [])
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  };
  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    },
    client,
    async newBucket() {
      const bucket = `ixv-test-${randomBytes(6).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    dropBucket,
    config: (bucket, prefix = '') => ({
      kind: 's3',
      bucket,
      prefix,
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    }),
    async stop() {
      client.destroy();
      await stopCeph();
    },
  };
}
