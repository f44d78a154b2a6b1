/**
 * Export jobs: content and a manifest written to an ExportSink, run in the
 * background by whichever ixvault process claims the job (a lease in the
 * database; src/store/export-repository.ts).
 *
 * How a run survives a crash without duplicating or skipping a file:
 * - it walks the job's window in (start, id) order, a batch at a time;
 * - a batch's files go to deterministic paths (`run-N/<interaction>/<key>`),
 *   each written atomically; then ONE transaction records those files, moves
 *   the cursor past the batch, renews the lease and audits each interaction
 *   exported (`export.item`);
 * - a process killed before that commit left files the resumed run writes
 *   again, to the same paths, with the same bytes; one killed after it resumes
 *   after the batch;
 * - when the window is done, the manifest (JSON lines, one per file, with its
 *   SHA-256) is written from the recorded files, and any file of the run the
 *   manifest does not name (a crash's temporary file, an item deleted between
 *   crash and resume) is removed: the run's folder holds exactly its manifest's
 *   files.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { isDependencyFailure } from '../domain/dependency-failure.js';
import { errors } from '../domain/errors.js';
import { type ExportError, type ExportSpec, type ExportStatus, MAX_KEPT_ERRORS, SCHEDULE_MS } from '../domain/export.js';
import { type ContentItem, directionOf, type Interaction } from '../domain/interaction.js';
import { describePrincipal, type Principal } from '../domain/principal.js';
import { authorize } from '../domain/scopes.js';
import type { InteractionSearch } from '../domain/search.js';
import { DirectorySink } from '../exports/directory-sink.js';
import { type ExportSink, safeSegment } from '../exports/sink.js';
import { type ExportFileRow, type ExportJobRow, ExportRepository, type RunProgress } from '../store/export-repository.js';
import type { Vault } from './vault.js';

export interface ExportOptions {
  /** Embedded mode: jobs write under `<root>/<tenant>/<job id>/`. */
  root: string;
  /** Set: jobs write to this bucket instead, under `<prefix><tenant>/<job id>/` (`--export-target`). */
  bucket?: { client: S3Client; bucket: string; prefix: string };
  /** How often a process looks for due jobs. */
  pollMs: number;
  /** How long a claim holds without renewal; a dead process's job is taken over after it. */
  leaseMs: number;
  /** Interactions per committed batch. */
  batchSize: number;
}

export const EXPORT_DEFAULTS = { pollMs: 5_000, leaseMs: 30_000, batchSize: 50 };

export const MANIFEST = 'manifest.jsonl';

/** A job as the API shows it. */
export interface ExportJobView {
  id: string;
  status: ExportStatus;
  schedule: string | null;
  startDate: string;
  endDate: string | null;
  delayMinutes: number;
  filters: ExportSpec['filters'];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** The run under way or last done (1, 2, … for a recurring job). */
  run: number;
  window: { from: string; to: string } | null;
  progress: { interactions: number; total: number | null; files: number; bytes: number };
  errors: ExportError[];
  nextRunAt: string | null;
  /** Where the files are: the job's folder under the export directory or bucket prefix, one `run-N/` folder per run. */
  location: string;
}

export class ExportService {
  private readonly repo: ExportRepository;
  /** This process's name on the leases it takes. */
  private readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** A poke came while a pass was under way: the pass looks for due jobs again before it ends. */
  private pokedDuringPass = false;
  private stopped = false;

  constructor(
    private readonly vault: Vault,
    private readonly options: ExportOptions,
  ) {
    this.repo = new ExportRepository(vault.store);
  }

  /**
   * The job's sink: its folder in the export bucket when one is configured, else in the export directory.
   * The S3 sink's module (and with it the AWS SDK) is loaded only then: every command that opens the
   * runtime (`ixvault import`, `serve`) would otherwise parse the SDK at start-up, ~0.3 s of CPU.
   */
  async sinkOf(tenantId: string, jobId: string): Promise<ExportSink> {
    const folder = `${safeSegment(tenantId)}/${safeSegment(jobId)}`;
    const bucket = this.options.bucket;
    if (bucket) {
      const { S3Sink } = await import('../exports/s3-sink.js');
      return new S3Sink(bucket.client, bucket.bucket, `${bucket.prefix}${folder}/`);
    }
    return new DirectorySink(join(this.options.root, folder));
  }

  async create(principal: Principal, spec: ExportSpec): Promise<ExportJobView> {
    authorize(principal, 'export.manage');
    return this.createFor(principal.tenant.id, describePrincipal(principal), spec);
  }

  /** A job of a tenant, created by `createdBy` (a principal, or the operator at the command line). */
  async createFor(tenantId: string, createdBy: string, spec: ExportSpec): Promise<ExportJobView> {
    const now = Date.now();
    const row: ExportJobRow = {
      tenant_id: tenantId,
      id: randomUUID(),
      status: spec.schedule ? 'scheduled' : 'queued',
      schedule: spec.schedule ?? null,
      delay_ms: spec.delayMs,
      filters: JSON.stringify(spec),
      sink: JSON.stringify(
        this.options.bucket
          ? { kind: 's3', bucket: this.options.bucket.bucket, prefix: this.options.bucket.prefix }
          : { kind: 'directory' },
      ),
      created_by: createdBy,
      created_ms: now,
      updated_ms: now,
      run_no: 0,
      window_from_ms: null,
      window_to_ms: null,
      after_start_ms: null,
      after_id: null,
      next_run_ms: spec.schedule ? now : null,
      lease_owner: null,
      lease_until_ms: 0,
      total: null,
      interactions: 0,
      files: 0,
      bytes: 0,
      errors: '[]',
    };
    const view = this.view(row);
    // Who started copying the tenant's content out, and what: audited with the job, in its transaction.
    await this.repo.create(row, (root) =>
      this.vault.audits.append(
        tenantId,
        {
          atMs: now,
          actor: createdBy,
          action: 'export.create',
          interactionId: '',
          detail: {
            job: row.id,
            schedule: view.schedule,
            startDate: view.startDate,
            endDate: view.endDate,
            delayMinutes: view.delayMinutes,
            filters: view.filters,
          },
        },
        root,
      ),
    );
    return view;
  }

  async list(principal: Principal, limit = 100): Promise<ExportJobView[]> {
    authorize(principal, 'export.manage');
    return this.listOf(principal.tenant.id, limit);
  }

  async listOf(tenantId: string, limit = 100): Promise<ExportJobView[]> {
    return (await this.repo.list(tenantId, limit)).map((row) => this.view(row));
  }

  async get(principal: Principal, id: string): Promise<ExportJobView> {
    authorize(principal, 'export.manage');
    return this.getOf(principal.tenant.id, id);
  }

  async getOf(tenantId: string, id: string): Promise<ExportJobView> {
    const row = await this.repo.get(tenantId, id);
    if (!row) throw errors.notFound(`export job ${id} not found`);
    return this.view(row);
  }

  /** Cancels a job that has not ended (a running batch stops before its commit); an ended job is answered as it is. */
  async cancel(principal: Principal, id: string): Promise<ExportJobView> {
    authorize(principal, 'export.manage');
    return this.cancelOf(principal.tenant.id, id, describePrincipal(principal));
  }

  /** Cancels a job of a tenant for `cancelledBy` (a principal, or the operator at the command line); audited when it changes the job. */
  async cancelOf(tenantId: string, id: string, cancelledBy: string): Promise<ExportJobView> {
    const row = await this.repo.cancel(tenantId, id, (root, was) =>
      this.vault.audits.append(
        tenantId,
        { atMs: Date.now(), actor: cancelledBy, action: 'export.cancel', interactionId: '', detail: { job: id, was } },
        root,
      ),
    );
    if (!row) throw errors.notFound(`export job ${id} not found`);
    return this.view(row);
  }

  /**
   * Runs one job in this process now, if it is due and no live process holds
   * it (the command line); `onBatch` sees the job after each committed batch.
   * Answers the job as it is afterwards.
   */
  async runOne(tenantId: string, id: string, onBatch?: (job: ExportJobView) => void | Promise<void>): Promise<ExportJobView> {
    const now = Date.now();
    const claimed = await this.repo.claim(tenantId, id, this.owner, now, now + this.options.leaseMs, (job) =>
      this.freshRun(job, now),
    );
    if (claimed) await this.run(claimed, onBatch);
    return this.getOf(tenantId, id);
  }

  /** Looks for due jobs every pollMs, and at once. */
  start(): void {
    // Nobody awaits a poll: one that fails (the database down) is tried again at the next, and says so; unheard,
    // its rejection was one with no handler.
    const poll = () =>
      void this.poke().catch((err: Error) =>
        process.emitWarning(
          `export jobs: looking for due jobs failed, trying again in ${this.options.pollMs} ms: ${err.message}`,
        ),
      );
    poll();
    this.timer = setInterval(poll, this.options.pollMs);
    this.timer.unref();
  }

  /** Stops taking jobs and waits for the batch under way; an unfinished job is resumed by the next process. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining?.catch(() => undefined);
  }

  /**
   * Works on due jobs now; when this process already is, the pass under way looks again before it ends
   * (a job created after the pass's last look would otherwise wait for the next poll, or forever
   * without the timer: test/governance/export-wakeup.test.ts).
   */
  poke(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.draining) {
      this.pokedDuringPass = true;
      return this.draining;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // A poke between the pass's last look and here: another pass.
      if (this.pokedDuringPass) void this.poke().catch(() => undefined);
    });
    return this.draining;
  }

  /** Runs every due job this process can claim, one after another, until none is left. */
  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      this.pokedDuringPass = false;
      const now = Date.now();
      let claimed: ExportJobRow | undefined;
      for (const due of await this.repo.due(now, 20)) {
        claimed = await this.repo.claim(due.tenant_id, due.id, this.owner, now, now + this.options.leaseMs, (job) =>
          this.freshRun(job, now),
        );
        if (claimed) break;
      }
      if (!claimed && this.pokedDuringPass) continue;
      if (!claimed) return;
      await this.run(claimed);
    }
  }

  /** A new run's window and an empty cursor. */
  private freshRun(job: ExportJobRow, nowMs: number): Partial<RunProgress> & { total: null } {
    const spec = JSON.parse(job.filters) as ExportSpec;
    const reset = { run_no: job.run_no + 1, after_start_ms: null, after_id: null, total: null };
    if (!spec.schedule) return { ...reset, window_from_ms: spec.fromMs, window_to_ms: spec.toMs ?? spec.fromMs };
    const from = job.window_to_ms !== null ? job.window_to_ms + 1 : spec.fromMs;
    return { ...reset, window_from_ms: from, window_to_ms: Math.max(from - 1, nowMs - job.delay_ms) };
  }

  private async run(job: ExportJobRow, onBatch?: (job: ExportJobView) => void | Promise<void>): Promise<void> {
    try {
      await this.runClaimed(job, onBatch);
    } catch (err) {
      // The database, the content store or the sink is down: the job keeps its cursor and its lease lapses, so it
      // is resumed from its last committed batch once they are back, as after a crash (never failed for good).
      if (isDependencyFailure(err)) return;
      const failure: ExportError = { message: (err as Error).message };
      await this.repo.finishRun(job, this.owner, {
        status: 'failed',
        errors: JSON.stringify([...(JSON.parse(job.errors) as ExportError[]), failure].slice(-MAX_KEPT_ERRORS)),
      });
    }
  }

  private async runClaimed(claimed: ExportJobRow, onBatch?: (job: ExportJobView) => void | Promise<void>): Promise<void> {
    let job = claimed;
    const spec = JSON.parse(job.filters) as ExportSpec;
    const sink = await this.sinkOf(job.tenant_id, job.id);
    const runFolder = `run-${job.run_no}`;
    const query = this.queryOf(job, spec);
    if (job.total === null) {
      const total = await this.repo.countWindow(job.tenant_id, query);
      await this.repo.commitBatch(
        job,
        this.owner,
        [],
        { total, lease_until_ms: Date.now() + this.options.leaseMs },
        async () => {},
      );
      job = { ...job, total };
    }
    for (;;) {
      if (this.stopped) return;
      const after =
        job.after_id !== null && job.after_start_ms !== null ? { startMs: job.after_start_ms, id: job.after_id } : undefined;
      const page = await this.vault.searches.search(
        { tenantId: job.tenant_id },
        { ...query, ...(after ? { after } : {}) },
        { withContent: true },
      );
      if (page.items.length === 0) break;
      const files: ExportFileRow[] = [];
      const failures: ExportError[] = [];
      const exported = new Map<string, number>();
      for (const interaction of page.items) {
        for (const item of page.content.get(interaction.id) ?? []) {
          if (spec.filters.contentTypes.length > 0 && !spec.filters.contentTypes.includes(item.type)) continue;
          const path = `${runFolder}/${safeSegment(interaction.id)}/${safeSegment(item.contentKey)}`;
          try {
            files.push(await this.writeFile(sink, job, path, interaction, item));
            exported.set(interaction.id, (exported.get(interaction.id) ?? 0) + 1);
          } catch (err) {
            // Not this item's fault: nothing of this batch is committed, and the run resumes here (see `run`).
            if (isDependencyFailure(err)) throw err;
            failures.push({ interactionId: interaction.id, contentKey: item.contentKey, message: (err as Error).message });
          }
        }
      }
      const last = page.items.at(-1) as Interaction;
      const progress = {
        after_start_ms: last.startMs,
        after_id: last.id,
        interactions: job.interactions + page.items.length,
        files: job.files + files.length,
        bytes: job.bytes + files.reduce((n, f) => n + f.size, 0),
        errors: JSON.stringify([...(JSON.parse(job.errors) as ExportError[]), ...failures].slice(-MAX_KEPT_ERRORS)),
        lease_until_ms: Date.now() + this.options.leaseMs,
      };
      const committed = await this.repo.commitBatch(job, this.owner, files, progress, async (root) => {
        for (const [interactionId, count] of exported)
          await this.vault.audits.append(
            job.tenant_id,
            {
              atMs: Date.now(),
              actor: job.created_by,
              action: 'export.item',
              interactionId,
              detail: { job: job.id, run: job.run_no, files: count },
            },
            root,
          );
      });
      // Cancelled, or the lease was lost to another process: that one goes on from the last commit.
      if (!committed) return;
      job = { ...job, ...progress };
      await onBatch?.(this.view(job));
      if (!page.next) break;
    }
    await this.writeManifest(sink, job, runFolder);
    const now = Date.now();
    await this.repo.finishRun(
      job,
      this.owner,
      job.schedule ? { status: 'scheduled', next_run_ms: now + SCHEDULE_MS[job.schedule] } : { status: 'done' },
    );
  }

  private queryOf(job: ExportJobRow, spec: ExportSpec): InteractionSearch {
    const query: InteractionSearch = {
      source: 'main',
      fromMs: job.window_from_ms ?? spec.fromMs,
      toMs: job.window_to_ms ?? spec.fromMs,
      withContentOnly: true,
      order: 'asc',
      limit: this.options.batchSize,
    };
    if (spec.filters.mediaTypes.length > 0) query.mediaTypes = spec.filters.mediaTypes;
    const [direction, other] = spec.filters.initialDirection;
    if (direction && !other) query.direction = direction;
    return query;
  }

  private async writeFile(
    sink: ExportSink,
    job: ExportJobRow,
    path: string,
    interaction: Interaction,
    item: ContentItem,
  ): Promise<ExportFileRow> {
    const written = await sink.put(path, await this.vault.openBytes(job.tenant_id, item.sha256));
    if (written.sha256 !== item.sha256 || written.size !== item.contentLength)
      throw new Error(`the stored bytes of ${item.contentKey} do not match their recorded SHA-256 and length`);
    const line = {
      path,
      sha256: written.sha256,
      size: written.size,
      interactionId: interaction.id,
      guid: interaction.guid,
      mediaType: interaction.mediaType,
      direction: directionOf(interaction.typeId) ?? null,
      startDate: new Date(interaction.startMs).toISOString(),
      contentKey: item.contentKey,
      type: item.type,
      contentType: item.contentType,
      lastModified: new Date(item.lastModifiedMs).toISOString(),
    };
    return {
      tenant_id: job.tenant_id,
      job_id: job.id,
      run_no: job.run_no,
      path,
      interaction_id: interaction.id,
      sha256: written.sha256,
      size: written.size,
      line: JSON.stringify(line),
    };
  }

  /** The run's manifest from the files it committed; then nothing else stays in the run's folder. */
  private async writeManifest(sink: ExportSink, job: ExportJobRow, runFolder: string): Promise<void> {
    const files = await this.repo.files(job.tenant_id, job.id, job.run_no);
    await sink.put(`${runFolder}/${MANIFEST}`, Readable.from(files.map((f) => `${f.line}\n`)));
    const named = new Set([...files.map((f) => f.path), `${runFolder}/${MANIFEST}`]);
    for (const path of await sink.list(`${runFolder}/`)) if (!named.has(path)) await sink.remove(path);
  }

  private view(row: ExportJobRow): ExportJobView {
    const spec = JSON.parse(row.filters) as ExportSpec;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      id: row.id,
      status: row.status,
      schedule: row.schedule,
      startDate: iso(spec.fromMs),
      endDate: spec.toMs !== undefined ? iso(spec.toMs) : null,
      delayMinutes: Math.round(row.delay_ms / 60_000),
      filters: spec.filters,
      createdBy: row.created_by,
      createdAt: iso(row.created_ms),
      updatedAt: iso(row.updated_ms),
      run: row.run_no,
      window:
        row.window_from_ms !== null && row.window_to_ms !== null
          ? { from: iso(row.window_from_ms), to: iso(row.window_to_ms) }
          : null,
      progress: { interactions: row.interactions, total: row.total, files: row.files, bytes: Number(row.bytes) },
      errors: JSON.parse(row.errors) as ExportError[],
      nextRunAt: row.next_run_ms !== null && row.status === 'scheduled' ? iso(row.next_run_ms) : null,
      location: `${safeSegment(row.tenant_id)}/${safeSegment(row.id)}`,
    };
  }
}
