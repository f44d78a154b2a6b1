/**
 * An export run while the content store (S3) is down (session 8, "deps").
 * Before, every file the run could not read was recorded as the item's error
 * and the batch was committed past it: the job ended `done` with its files
 * missing, and nothing ever wrote them. A dependency failure now stops the
 * run without committing the batch; the job keeps its cursor and is resumed
 * (lease lapsed, as after a crash) once the store is back, and completes with
 * every file.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportService } from '../../src/services/exports.js';
import { checkRun } from '../helpers/exports.js';
import { callRecord } from '../helpers/fixtures.js';
import { S3_UNAVAILABLE, startTestS3, type TestS3 } from '../helpers/s3.js';
import { BACKEND, call } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { buildThroughLinks, type LinkedServer } from './through-links.js';

describe.skipIf(S3_UNAVAILABLE)(
  `an export run while S3 is down (${BACKEND})${S3_UNAVAILABLE ? ` (${S3_UNAVAILABLE})` : ''}`,
  () => {
    let s3: TestS3;
    let bucket: string;
    let server: LinkedServer;
    beforeAll(async () => {
      s3 = await startTestS3();
      bucket = await s3.newBucket();
      server = await buildThroughLinks({ blobStore: s3.config(bucket) });
    });
    afterAll(async () => {
      await server?.stop();
      if (bucket) await s3?.dropBucket(bucket);
      await s3?.stop();
    });

    it('exports nothing past what it could not read, and completes with every file once S3 is back', async () => {
      const link = server.s3;
      if (!link) throw new Error('no link to S3');
      const admin = server.basic('admin1');
      for (let i = 0; i < 3; i++) {
        const created = await call(`${server.url}/api/v1/interactions`, {
          method: 'POST',
          headers: { authorization: admin },
          json: callRecord({ guid: randomUUID(), startDate: `2025-04-02T10:0${i}:00.000Z`, endDate: '2025-04-02T10:30:00.000Z' }),
        });
        expect(created.status).toBe(201);
        // Past the inline size: the bytes are in S3.
        const put = await call(`${server.url}/api/v1/interactions/${created.body.id}/content/callRecording`, {
          method: 'PUT',
          headers: { authorization: admin, 'content-type': 'audio/wav' },
          body: randomBytes(100 * 1024),
        });
        expect(put.status).toBe(201);
      }
      const root = join(server.dataDir, 'exports');
      const exports = new ExportService(server.runtime.vault, { root, pollMs: 60_000, leaseMs: 500, batchSize: 2 });
      const job = await exports.createFor('acme', 'admin-1', {
        fromMs: Date.parse('2025-04-01T00:00:00Z'),
        toMs: Date.parse('2025-04-04T00:00:00Z'),
        delayMs: 0,
        filters: { contentTypes: [], initialDirection: [], mediaTypes: [] },
      });

      await link.down();
      const during = await exports.runOne('acme', job.id);
      expect(during.status).not.toBe('done');
      expect(during.progress.files).toBe(0);

      await link.up();
      // Resumed once its lease lapses, as a job whose process died is.
      const done = await waitFor(async () => {
        const view = await exports.runOne('acme', job.id);
        return view.status === 'done' ? view : undefined;
      }, 'the export resumed and done');
      expect(done.errors).toEqual([]);
      expect(done.progress.files).toBe(3);
      const manifest = await checkRun(join(root, 'acme', job.id, `run-${done.run}`));
      expect(manifest).toHaveLength(3);
    });
  },
);
