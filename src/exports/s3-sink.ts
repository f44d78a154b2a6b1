/**
 * The export sink in an S3 bucket (`--export-target s3://bucket/prefix`):
 * each file is one object under `<prefix><tenant>/<job>/`. An object appears
 * only when its upload completes (one PutObject, or a multipart upload that
 * becomes visible whole at completion), so a path holds the whole file or
 * nothing, as in the directory sink, and the resume logic is the same.
 */
import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { checkedPath, type ExportSink } from './sink.js';

export class S3Sink implements ExportSink {
  /** `prefix`: '' or ending with '/'. */
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async put(path: string, body: Readable): Promise<{ size: number; sha256: string }> {
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    body.on('error', (err) => measure.destroy(err));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.prefix + checkedPath(path), Body: body.pipe(measure) },
    });
    await upload.done();
    return { size, sha256: hash.digest('hex') };
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for (let token: string | undefined, more = true; more; ) {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.prefix}${checkedPath(prefix.replace(/\/$/, ''))}/`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(this.prefix.length));
      token = page.NextContinuationToken;
      more = page.IsTruncated === true;
    }
    return keys.sort();
  }

  async remove(path: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + checkedPath(path) }));
  }
}
