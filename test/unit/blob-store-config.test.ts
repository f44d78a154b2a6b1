/** `--blob-store` and the S3 settings: flags first, then the standard AWS variables, with clear errors. */
import { describe, expect, it } from 'vitest';
import { resolveBlobStore, resolveConfig } from '../../src/config.js';

describe('blob store configuration', () => {
  it('keeps the file system by default', () => {
    expect(resolveBlobStore({}, {})).toEqual({ kind: 'fs' });
  });

  it('reads s3://bucket/prefix with the AWS variables, path-style by default with an endpoint', () => {
    const env = {
      IXVAULT_BLOB_STORE: 's3://recordings/ixvault/prod/',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:7480',
      AWS_REGION: 'eu-north-1',
      AWS_ACCESS_KEY_ID: 'AKID',
      AWS_SECRET_ACCESS_KEY: 'SECRET',
      AWS_SESSION_TOKEN: 'TOKEN',
    };
    expect(resolveBlobStore({}, env)).toEqual({
      kind: 's3',
      bucket: 'recordings',
      prefix: 'ixvault/prod/',
      endpoint: 'http://127.0.0.1:7480',
      region: 'eu-north-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET', sessionToken: 'TOKEN' },
    });
    // AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL, as in the AWS tools.
    expect(resolveBlobStore({}, { ...env, AWS_ENDPOINT_URL_S3: 'https://s3.example.net' })).toMatchObject({
      endpoint: 'https://s3.example.net',
    });
  });

  it('lets flags override the environment, and leaves credentials to the SDK chain when none are given', () => {
    const config = resolveBlobStore(
      { blobStore: 's3://flagged', s3Endpoint: 'http://minio:9000', s3Region: 'us-west-2', s3PathStyle: false },
      { IXVAULT_BLOB_STORE: 's3://other/x', AWS_REGION: 'eu-west-1' },
    );
    expect(config).toEqual({
      kind: 's3',
      bucket: 'flagged',
      prefix: '',
      endpoint: 'http://minio:9000',
      region: 'us-west-2',
      forcePathStyle: false,
    });
    // Amazon S3 itself: virtual-hosted requests, us-east-1 unless a region is given.
    expect(resolveBlobStore({ blobStore: 's3://aws-bucket/p' }, {})).toEqual({
      kind: 's3',
      bucket: 'aws-bucket',
      prefix: 'p/',
      region: 'us-east-1',
      forcePathStyle: false,
    });
    expect(resolveBlobStore({ blobStore: 's3://aws-bucket' }, { IXVAULT_S3_PATH_STYLE: '1' })).toMatchObject({
      forcePathStyle: true,
    });
  });

  it('serves downloads by redirect only when asked (--s3-download-redirect, IXVAULT_S3_DOWNLOAD_REDIRECT)', () => {
    expect(resolveBlobStore({ blobStore: 's3://recordings' }, {})).not.toHaveProperty('downloadRedirect');
    expect(resolveBlobStore({ blobStore: 's3://recordings', s3DownloadRedirect: true }, {})).toMatchObject({
      downloadRedirect: true,
    });
    expect(resolveBlobStore({ blobStore: 's3://recordings' }, { IXVAULT_S3_DOWNLOAD_REDIRECT: '1' })).toMatchObject({
      downloadRedirect: true,
    });
    expect(resolveBlobStore({ blobStore: 's3://recordings' }, { IXVAULT_S3_DOWNLOAD_REDIRECT: '0' })).not.toHaveProperty(
      'downloadRedirect',
    );
  });

  it('refuses what it cannot use, naming the flag', () => {
    expect(() => resolveBlobStore({ blobStore: '/var/lib/blobs' }, {})).toThrow(/--blob-store .* must be s3:\/\/bucket/);
    expect(() => resolveBlobStore({ blobStore: 's3://Bad_Bucket' }, {})).toThrow(/not a valid bucket name/);
    expect(() => resolveBlobStore({ blobStore: 's3://bucket/a/../b' }, {})).toThrow(/'\.\.'/);
    expect(() => resolveBlobStore({ blobStore: 's3://bucket', s3Endpoint: 'localhost:7480' }, {})).toThrow(/--s3-endpoint/);
    expect(() => resolveBlobStore({ blobStore: 's3://bucket' }, { AWS_ACCESS_KEY_ID: 'only-the-id' })).toThrow(
      /both --s3-access-key-id/,
    );
  });

  it('--export-target: a bucket for export jobs with the same S3 settings, named in its errors', () => {
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:7480', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'SECRET' };
    expect(resolveConfig({}, env).exportTarget).toBeUndefined();
    expect(resolveConfig({ blob: { exportTarget: 's3://exports/ixvault' } }, env).exportTarget).toEqual({
      bucket: 'exports',
      prefix: 'ixvault/',
      endpoint: 'http://127.0.0.1:7480',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
    });
    expect(resolveConfig({}, { ...env, IXVAULT_EXPORT_TARGET: 's3://exports' }).exportTarget).toMatchObject({ prefix: '' });
    expect(() => resolveConfig({ blob: { exportTarget: '/srv/exports' } }, env)).toThrow(
      /--export-target .* must be s3:\/\/bucket/,
    );
  });
});
