/**
 * Export jobs (issue 14), in process: a one-off job writes exactly the
 * filtered content with a manifest of SHA-256s, is audited per interaction,
 * recurring jobs export each window once, cancel stops a job, bad requests are
 * 400 naming the field, and only admins manage jobs. A full job and a cancel
 * run on both sinks: the export directory and an S3 bucket (Ceph RGW). The
 * crash-and-resume case with real processes is export-kill.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime } from '../../src/runtime.js';
import { ExportService } from '../../src/services/exports.js';
import { build } from '../helpers/app.js';
import { checkRun, type Job } from '../helpers/exports.js';
import { callRecord } from '../helpers/fixtures.js';
import { S3_UNAVAILABLE, startTestS3, type TestS3 } from '../helpers/s3.js';
import { BACKEND, call, removeTestData, send, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

describe(`export jobs (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  const exportRoot = () => join(server.dataDir, 'exports');
  const seeded: { id: string; day: string; direction: string; keys: string[] }[] = [];
  const createJob = (body: unknown, auth = admin) =>
    call<Job & { field?: string }>(`${api()}/exports`, { method: 'POST', headers: { authorization: auth }, json: body });
  const job = async (id: string) => (await call<Job>(`${api()}/exports/${id}`, { headers: { authorization: admin } })).body;
  /** Waits for the job's `run` to end in `status` (a recurring job is `scheduled` before its first run too). */
  const finished = (id: string, status = 'done', run = 1) =>
    waitFor(async () => {
      const j = await job(id);
      return j.status === status && j.run >= run ? j : undefined;
    }, `export ${id} to be ${status} after run ${run}`);

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    // Six calls over three days, inbound and outbound, each with a recording and a transcript; one without content.
    for (let i = 0; i < 6; i++) {
      const day = `2025-04-0${1 + (i % 3)}`;
      const typeId = i % 2 ? 'Outbound' : 'Inbound';
      const created = await call(`${api()}/interactions`, {
        method: 'POST',
        headers: { authorization: admin },
        json: callRecord({ typeId, startDate: `${day}T10:0${i}:00.000Z`, endDate: `${day}T10:30:00.000Z` }),
      });
      const id = created.body.id as string;
      for (const [key, type] of [
        ['callRecording', 'audio/wav'],
        ['transcript', 'text/plain'],
      ]) {
        const put = await send(`${api()}/interactions/${id}/content/${key}`, {
          method: 'PUT',
          headers: { authorization: admin, 'content-type': type as string },
          body: Buffer.from(`${key} of ${id} `.repeat(50 + i)),
        });
        expect(put.status).toBe(201);
      }
      seeded.push({ id, day, direction: typeId.toLowerCase(), keys: ['callRecording', 'transcript'] });
    }
    await call(`${api()}/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: callRecord({ startDate: '2025-04-02T11:00:00Z' }),
    });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  /** Each sink: an ExportService writing there, and the files under a folder as the sink itself cannot answer them. */
  interface SinkKind {
    name: string;
    skip?: string;
    open(): Promise<{
      service: ExportService;
      /** Every file under `folder` (relative to the export root), with its bytes, read directly. */
      files(folder: string): Promise<Map<string, Buffer>>;
      close(): Promise<void>;
    }>;
  }
  const spec = {
    fromMs: Date.parse('2025-04-01T00:00:00Z'),
    toMs: Date.parse('2025-04-04T00:00:00Z'),
    delayMs: 0,
    filters: { contentTypes: [], initialDirection: [], mediaTypes: [] },
  };
  const options = () => ({ root: exportRoot(), pollMs: 60_000, leaseMs: 30_000, batchSize: 2 });
  const SINKS: SinkKind[] = [
    {
      name: 'directory',
      async open() {
        return {
          service: new ExportService(server.runtime.vault, options()),
          async files(folder) {
            const dir = join(exportRoot(), folder);
            const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
            const found = new Map<string, Buffer>();
            for (const e of entries.filter((e) => e.isFile())) {
              const path = join(e.parentPath, e.name);
              found.set(relative(dir, path), await readFile(path));
            }
            return found;
          },
          close: async () => {},
        };
      },
    },
    {
      name: 's3',
      ...(S3_UNAVAILABLE ? { skip: S3_UNAVAILABLE } : {}),
      async open() {
        const s3: TestS3 = await startTestS3();
        const bucket = await s3.newBucket();
        const prefix = 'exports/';
        return {
          service: new ExportService(server.runtime.vault, { ...options(), bucket: { client: s3.client, bucket, prefix } }),
          async files(folder) {
            const found = new Map<string, Buffer>();
            const start = `${prefix}${folder}/`;
            const page = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: start }));
            expect(page.IsTruncated).not.toBe(true);
            for (const o of page.Contents ?? []) {
              const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
              found.set(
                (o.Key as string).slice(start.length),
                Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
              );
            }
            return found;
          },
          async close() {
            await s3.dropBucket(bucket);
            await s3.stop();
          },
        };
      },
    },
  ];
  for (const kind of SINKS)
    it.skipIf(kind.skip)(
      `sink ${kind.name}${kind.skip ? ` (${kind.skip})` : ''}: a whole job's files are its manifest's; a cancelled job stops`,
      { timeout: 120_000 },
      async () => {
        const sink = await kind.open();
        try {
          const done = await sink.service.runOne('acme', (await sink.service.createFor('acme', 'user:acme/admin-1', spec)).id);
          expect(done).toMatchObject({ status: 'done', errors: [], progress: { interactions: 6, files: 12 } });
          const files = await sink.files(`${done.location}/run-1`);
          const manifest = (files.get('manifest.jsonl')?.toString('utf8') ?? '')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { path: string; sha256: string; size: number; interactionId: string });
          expect(manifest.map((m) => m.interactionId).sort()).toEqual(seeded.flatMap((s) => [s.id, s.id]).sort());
          expect([...files.keys()].sort()).toEqual(
            [...manifest.map((m) => m.path.replace('run-1/', '')), 'manifest.jsonl'].sort(),
          );
          for (const m of manifest) {
            const bytes = files.get(m.path.replace('run-1/', '')) as Buffer;
            expect(createHash('sha256').update(bytes).digest('hex'), m.path).toBe(m.sha256);
            expect(bytes.length).toBe(m.size);
          }

          const running = await sink.service.createFor('acme', 'user:acme/admin-1', spec);
          let batches = 0;
          const after = await sink.service.runOne('acme', running.id, async () => {
            if (++batches === 1) await sink.service.cancelOf('acme', running.id, 'user:acme/admin-1');
          });
          expect(batches).toBe(1);
          expect(after.status).toBe('cancelled');
          // Only the first batch was committed (the next one's files may be written, never counted), no manifest.
          expect(after.progress.files).toBe(4);
          const partial = await sink.files(`${after.location}/run-1`);
          expect(partial.size).toBeGreaterThanOrEqual(after.progress.files);
          expect(partial.has('manifest.jsonl')).toBe(false);
        } finally {
          await sink.close();
        }
      },
    );

  it('exports a time range with filters: exactly those files, a manifest with their SHA-256, audited', async () => {
    const res = await createJob({
      startDate: '2025-04-01T00:00:00Z',
      endDate: '2025-04-02T23:59:59.999Z',
      filters: { contentTypes: ['callRecording'], initialDirection: ['inbound'] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/exports/${res.body.id}`);
    const done = await finished(res.body.id);
    const expected = seeded.filter((s) => s.day <= '2025-04-02' && s.direction === 'inbound');
    expect(done.progress).toMatchObject({ interactions: expected.length, total: expected.length, files: expected.length });
    expect(done.errors).toEqual([]);
    const manifest = await checkRun(join(exportRoot(), done.location, 'run-1'));
    expect(manifest.map((m) => m.interactionId).sort()).toEqual(expected.map((s) => s.id).sort());
    expect(manifest.every((m) => m.type === 'callRecording')).toBe(true);
    expect(manifest[0]).toMatchObject({ contentType: 'audio/wav', direction: 'inbound', mediaType: 'call' });

    const audit = await call(`${api()}/audit?action=export.item&limit=1000`, { headers: { authorization: admin } });
    const audited = audit.body.entries.filter((e: { detail: { job: string } }) => e.detail.job === done.id);
    expect(audited.map((e: { interactionId: string }) => e.interactionId).sort()).toEqual(expected.map((s) => s.id).sort());
    expect(audited[0]).toMatchObject({ actor: 'user:acme/admin-1', detail: { run: 1, files: 1 } });
    expect((await call(`${api()}/exports`, { headers: { authorization: admin } })).body.items[0]).toMatchObject({ id: done.id });
  });

  it('a recurring job exports each window once; cancel ends it', async () => {
    const res = await createJob({ startDate: '2025-04-01T00:00:00Z', schedule: 'hourly', delayMinutes: 0 });
    expect(res.status).toBe(201);
    const first = await finished(res.body.id, 'scheduled');
    expect(first.run).toBe(1);
    expect(first.progress.files).toBe(12);
    await checkRun(join(exportRoot(), first.location, 'run-1'));
    // Its next run is an hour away; make it due now, as the clock would.
    await server.runtime.store
      .in('main')
      .updateTable('export_jobs')
      .set({ next_run_ms: Date.now() })
      .where('id', '=', first.id)
      .execute();
    await server.runtime.exports.poke();
    const second = await job(first.id);
    expect(second).toMatchObject({ status: 'scheduled', run: 2 });
    // Nothing new started since: the second window exported nothing again.
    expect(second.progress.files).toBe(12);
    expect(await checkRun(join(exportRoot(), first.location, 'run-2'))).toEqual([]);
    const cancelled = await call<Job>(`${api()}/exports/${first.id}/cancel`, {
      method: 'POST',
      headers: { authorization: admin },
    });
    expect(cancelled.body.status).toBe('cancelled');
  });

  it('cancel stops a job: a queued one never runs, a running one commits no further batch', async () => {
    const exports = server.runtime.exports;
    const spec = {
      fromMs: Date.parse('2025-04-01T00:00:00Z'),
      toMs: Date.parse('2025-04-04T00:00:00Z'),
      delayMs: 0,
      filters: { contentTypes: [], initialDirection: [], mediaTypes: [] },
    };
    const queued = await exports.createFor('acme', 'user:acme/admin-1', spec);
    const cancelled = await call<Job>(`${api()}/exports/${queued.id}/cancel`, {
      method: 'POST',
      headers: { authorization: admin },
    });
    expect(cancelled.body.status).toBe('cancelled');
    expect(await exports.runOne('acme', queued.id)).toMatchObject({ status: 'cancelled', run: 0, progress: { files: 0 } });

    // Batches of 2 interactions; cancelled while the first batch's commit is the last one made.
    const small = new ExportService(server.runtime.vault, {
      root: exportRoot(),
      pollMs: 60_000,
      leaseMs: 30_000,
      batchSize: 2,
    });
    const running = await small.createFor('acme', 'user:acme/admin-1', spec);
    let batches = 0;
    const after = await small.runOne('acme', running.id, async () => {
      batches++;
      if (batches === 1) await exports.cancelOf('acme', running.id, 'user:acme/admin-1');
    });
    expect(batches).toBe(1);
    expect(after.status).toBe('cancelled');
    expect(after.progress.interactions).toBeLessThan(6);
    // Cancelling an ended job answers it as it is.
    const again = await call<Job>(`${api()}/exports/${running.id}/cancel`, { method: 'POST', headers: { authorization: admin } });
    expect(again.body.status).toBe('cancelled');
  });

  it.skipIf(S3_UNAVAILABLE)(
    `--export-target: a runtime's jobs go to the bucket; a missing bucket stops it at start${S3_UNAVAILABLE ? ` (${S3_UNAVAILABLE})` : ''}`,
    { timeout: 120_000 },
    async () => {
      const s3 = await startTestS3();
      const bucket = await s3.newBucket();
      const dataDir = await mkdtemp(join(tmpdir(), 'ixvault-export-target-'));
      const open = (target: string) => {
        const blobConfig = s3.config(target, 'runs/');
        if (blobConfig.kind !== 's3') throw new Error('the test S3 configures a bucket');
        const { kind: _kind, ...config } = blobConfig;
        return openRuntime({
          dataDir,
          principals: { tenants: [] },
          maxContentBytes: 1024 ** 2,
          secret: 'test-secret-not-for-production-0123456789',
          sweep: false,
          exports: { target: config },
        });
      };
      try {
        await expect(open('no-such-bucket-here')).rejects.toThrow(
          /--export-target: S3 bucket 'no-such-bucket-here' does not exist/,
        );
        const runtime = await open(bucket);
        try {
          const created = await runtime.exports.createFor('acme', 'test', { ...spec, toMs: spec.fromMs + 1 });
          const done = await runtime.exports.runOne('acme', created.id);
          expect(done.status).toBe('done');
          // An empty run still writes its (empty) manifest, in the bucket under the prefix.
          const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
          expect(listed.Contents?.map((o) => o.Key)).toEqual([`runs/${done.location}/run-1/manifest.jsonl`]);
          expect(existsSync(join(dataDir, 'exports'))).toBe(false);
        } finally {
          await runtime.close();
        }
      } finally {
        await s3.dropBucket(bucket);
        await s3.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );

  it('refuses bad requests naming the field, unknown jobs, and anyone but an admin', async () => {
    const bad = async (body: unknown, field: string) => {
      const res = await createJob(body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.field, JSON.stringify(res.body)).toBe(field);
    };
    await bad({ startDate: 'soon', endDate: '2025-04-01T00:00:00Z' }, 'startDate');
    await bad({ startDate: '2025-04-01T00:00:00Z' }, 'endDate');
    await bad({ startDate: '2025-04-02T00:00:00Z', endDate: '2025-04-01T00:00:00Z' }, 'endDate');
    await bad(
      { startDate: '2025-04-01T00:00:00Z', endDate: '2025-04-02T00:00:00Z', filters: { contentTypes: ['mp3'] } },
      'filters.contentTypes.0',
    );
    await bad({ startDate: '2025-04-01T00:00:00Z', schedule: 'hourly', endDate: '2025-04-02T00:00:00Z' }, 'endDate');
    expect((await createJob({ startDate: '2025-04-01T00:00:00Z', schedule: 'weekly' })).status).toBe(400);
    expect((await call(`${api()}/exports/nope`, { headers: { authorization: admin } })).status).toBe(404);
    expect((await call(`${api()}/exports/nope/cancel`, { method: 'POST', headers: { authorization: admin } })).status).toBe(404);
    const body = { startDate: '2025-04-01T00:00:00Z', endDate: '2025-04-02T00:00:00Z' };
    expect((await createJob(body, server.basic('super1'))).status).toBe(403);
    expect((await createJob(body, await server.bearer('acme-qa'))).status).toBe(403);
    // Another tenant's admin sees none of acme's jobs.
    const [mine] = (await call(`${api()}/exports`, { headers: { authorization: admin } })).body.items;
    expect((await call(`${api()}/exports/${mine.id}`, { headers: { authorization: server.basic('gadmin') } })).status).toBe(404);
    expect((await call(`${api()}/exports`, { headers: { authorization: server.basic('gadmin') } })).body.items).toEqual([]);
  });
});
