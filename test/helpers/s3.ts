/**
 * S3 for the tests: Ceph RADOS Gateway on loopback (scripts/ceph-s3.mjs).
 * scripts/test.mjs starts one for the whole run and passes it on in
 * IXVAULT_TEST_S3_* variables; a test file run on its own starts its own.
 * Every test takes a fresh bucket and drops it afterwards. Where Ceph is not
 * installed the S3 tests are skipped with the reason in their name, except in
 * CI, where they fail.
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { CEPH_PACKAGES, missingCeph, startCephS3 } from '../../scripts/ceph-s3.mjs';
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

export async function startTestS3(): Promise<TestS3> {
  let stopCeph = async () => {};
  let endpoint: string;
  let accessKeyId: string;
  let secretAccessKey: string;
  if (given) {
    endpoint = given;
    accessKeyId = process.env.IXVAULT_TEST_S3_ACCESS_KEY_ID ?? '';
    secretAccessKey = process.env.IXVAULT_TEST_S3_SECRET_ACCESS_KEY ?? '';
  } else {
    const ceph = await startCephS3({});
    ({ endpoint, accessKeyId, secretAccessKey } = ceph);
    stopCeph = ceph.stop;
  }
  const region = 'us-east-1';
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
