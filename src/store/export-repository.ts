/**
 * Export jobs and the files each run committed. A job is run by one process
 * at a time: claiming it takes a lease (owner, until) with a conditional
 * UPDATE, so of several processes sharing the database exactly one wins, and
 * a job whose process died is taken over once its lease ran out.
 */
import type { Selectable, Transaction } from 'kysely';
import type { InteractionSearch } from '../domain/search.js';
import { chunkValues } from './chunks.js';
import type { StoreConnection } from './database.js';
import { nextTurn, SCAN_CHUNK } from './event-loop.js';
import type { Database, ExportFilesTable, ExportJobsTable } from './schema.js';

export type ExportJobRow = Selectable<ExportJobsTable>;
export type ExportFileRow = Selectable<ExportFilesTable>;

/** What a claim decided for the run it starts or resumes. */
export type RunProgress = Pick<
  ExportJobRow,
  | 'run_no'
  | 'window_from_ms'
  | 'window_to_ms'
  | 'after_start_ms'
  | 'after_id'
  | 'total'
  | 'interactions'
  | 'files'
  | 'bytes'
  | 'errors'
>;

export class ExportRepository {
  constructor(private readonly store: StoreConnection) {}

  /** Inserts a job, with `alsoInTransaction` (its audit entry) in the same transaction. */
  async create(row: ExportJobRow, alsoInTransaction: (root: Transaction<Database>) => Promise<unknown>): Promise<void> {
    // A write transaction like every other write: under the writer lock, durable once it returns.
    await this.store.write(async (root) => {
      await this.store.on(root, 'main').insertInto('export_jobs').values(row).execute();
      await alsoInTransaction(root);
    });
  }

  async get(tenantId: string, id: string): Promise<ExportJobRow | undefined> {
    return this.store
      .in('main')
      .selectFrom('export_jobs')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async list(tenantId: string, limit: number): Promise<ExportJobRow[]> {
    return this.store
      .in('main')
      .selectFrom('export_jobs')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_ms', 'desc')
      .limit(limit)
      .execute();
  }

  /** Jobs some process should work on now: queued, scheduled and due, or running under a lease that ran out. */
  async due(nowMs: number, limit: number): Promise<{ tenant_id: string; id: string }[]> {
    return this.store
      .in('main')
      .selectFrom('export_jobs')
      .select(['tenant_id', 'id'])
      .where((eb) =>
        eb.or([
          eb('status', '=', 'queued'),
          eb.and([eb('status', '=', 'scheduled'), eb('next_run_ms', '<=', nowMs)]),
          eb.and([eb('status', '=', 'running'), eb('lease_until_ms', '<', nowMs)]),
        ]),
      )
      .orderBy('created_ms')
      .limit(limit)
      .execute();
  }

  /**
   * Takes the job for `owner` until `leaseUntilMs` if it is still due; `start`
   * says how a fresh run begins (a resumed run keeps its window and cursor).
   * Answers the job as claimed, or undefined when another process has it.
   */
  async claim(
    tenantId: string,
    id: string,
    owner: string,
    nowMs: number,
    leaseUntilMs: number,
    start: (job: ExportJobRow) => Partial<RunProgress>,
  ): Promise<ExportJobRow | undefined> {
    return this.store.write(async (root) => {
      await this.store.impl.lockKeys(root, `${tenantId}\u0000export`, [id]);
      const trx = this.store.on(root, 'main');
      let read = trx.selectFrom('export_jobs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
      if (this.store.impl.lockRows) read = read.forUpdate();
      const job = await read.executeTakeFirst();
      if (!job) return undefined;
      const resumable = job.status === 'running' && job.lease_until_ms < nowMs;
      const fresh = job.status === 'queued' || (job.status === 'scheduled' && (job.next_run_ms ?? Infinity) <= nowMs);
      if (!resumable && !fresh) return undefined;
      const changes = {
        status: 'running' as const,
        lease_owner: owner,
        lease_until_ms: leaseUntilMs,
        updated_ms: nowMs,
        ...(fresh ? start(job) : {}),
      };
      await trx.updateTable('export_jobs').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
      return { ...job, ...changes };
    });
  }

  /**
   * Commits a batch: its files, the cursor, the counts and a renewed lease,
   * plus `alsoInTransaction` (the audit entries), in one transaction — only
   * while this owner still holds a running job (a cancel or a takeover stops
   * it). Answers whether it committed.
   */
  async commitBatch(
    job: Pick<ExportJobRow, 'tenant_id' | 'id'>,
    owner: string,
    files: ExportFileRow[],
    progress: Partial<RunProgress> & { lease_until_ms: number },
    alsoInTransaction: (root: Parameters<Parameters<StoreConnection['write']>[0]>[0]) => Promise<void>,
  ): Promise<boolean> {
    return this.store.write(async (root) => {
      const trx = this.store.on(root, 'main');
      const updated = await trx
        .updateTable('export_jobs')
        .set({ ...progress, updated_ms: Date.now() })
        .where('tenant_id', '=', job.tenant_id)
        .where('id', '=', job.id)
        .where('status', '=', 'running')
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      for (const file of files)
        await trx
          .insertInto('export_files')
          .values(file)
          .onConflict((oc) =>
            oc
              .columns(['tenant_id', 'job_id', 'run_no', 'path'])
              .doUpdateSet({ sha256: file.sha256, size: file.size, line: file.line }),
          )
          .execute();
      await alsoInTransaction(root);
      return true;
    });
  }

  /** Ends a run (done, or scheduled for the next one) while this owner holds it. */
  async finishRun(job: Pick<ExportJobRow, 'tenant_id' | 'id'>, owner: string, changes: Partial<ExportJobRow>): Promise<boolean> {
    const updated = await this.store
      .in('main')
      .updateTable('export_jobs')
      .set({ ...changes, lease_owner: null, lease_until_ms: 0, updated_ms: Date.now() })
      .where('tenant_id', '=', job.tenant_id)
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  /**
   * Cancels a job that has not ended, with `whenCancelled` (its audit entry, told the status it had) in the
   * same transaction; answers the job as it is now.
   */
  async cancel(
    tenantId: string,
    id: string,
    whenCancelled: (root: Transaction<Database>, was: ExportJobRow['status']) => Promise<unknown>,
  ): Promise<ExportJobRow | undefined> {
    await this.store.write(async (root) => {
      await this.store.impl.lockKeys(root, `${tenantId}\u0000export`, [id]);
      const trx = this.store.on(root, 'main');
      let read = trx.selectFrom('export_jobs').select('status').where('tenant_id', '=', tenantId).where('id', '=', id);
      if (this.store.impl.lockRows) read = read.forUpdate();
      const job = await read.executeTakeFirst();
      if (!job || !['queued', 'running', 'scheduled'].includes(job.status)) return;
      await trx
        .updateTable('export_jobs')
        .set({ status: 'cancelled', lease_owner: null, lease_until_ms: 0, next_run_ms: null, updated_ms: Date.now() })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      await whenCancelled(root, job.status);
    });
    return this.get(tenantId, id);
  }

  /**
   * How many interactions a run's search will walk (its progress total). On SQLite the window is counted in
   * chunks of about SCAN_CHUNK entries of the time index, the event loop turning between them (event-loop.ts):
   * one count of a tenant's window held the server ~100 ms at 1M interactions.
   */
  async countWindow(tenantId: string, q: InteractionSearch): Promise<number> {
    const lower = q.fromMs ?? Number.MIN_SAFE_INTEGER;
    const upper = q.toMs ?? Number.MAX_SAFE_INTEGER;
    if (this.store.dialect !== 'sqlite') return this.countBetween(tenantId, q, lower, upper);
    let total = 0;
    for (let from = lower; ; ) {
      const edge = await this.store
        .in(q.source)
        .selectFrom('interactions')
        .select('start_ms')
        .where('tenant_id', '=', tenantId)
        .where('start_ms', '>=', from)
        .where('start_ms', '<=', upper)
        .orderBy('start_ms')
        .limit(1)
        .offset(SCAN_CHUNK)
        .executeTakeFirst();
      if (!edge) return total + (await this.countBetween(tenantId, q, from, upper));
      // Up to the millisecond before the edge; a millisecond holding more than a chunk is counted alone.
      const to = Math.max(Number(edge.start_ms) - 1, from);
      total += await this.countBetween(tenantId, q, from, to);
      from = to + 1;
      await nextTurn();
    }
  }

  private async countBetween(tenantId: string, q: InteractionSearch, fromMs: number, toMs: number): Promise<number> {
    let query = this.store
      .in(q.source)
      .selectFrom('interactions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('start_ms', '>=', fromMs)
      .where('start_ms', '<=', toMs);
    if (q.withContentOnly) query = query.where('content_count', '>', 0);
    if (q.mediaTypes) query = query.where('media_type', 'in', q.mediaTypes);
    if (q.direction) query = query.where('direction', '=', q.direction);
    const row = await query.executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * How many files of these interactions each job run holds (what an erasure
   * reports it could not remove: copies outside the store), by job and run.
   */
  async copiesOf(tenantId: string, interactionIds: string[]): Promise<{ job_id: string; run_no: number; files: number }[]> {
    const counts = new Map<string, { job_id: string; run_no: number; files: number }>();
    for (const chunk of chunkValues(interactionIds))
      for (const r of await exportCopies(this.store, tenantId, chunk).execute()) {
        const key = `${r.job_id}\u0000${r.run_no}`;
        const seen = counts.get(key) ?? { job_id: r.job_id, run_no: Number(r.run_no), files: 0 };
        seen.files++;
        counts.set(key, seen);
      }
    return [...counts.values()].sort((a, b) => (a.job_id < b.job_id ? -1 : a.job_id > b.job_id ? 1 : a.run_no - b.run_no));
  }

  /** The files a run committed, in path order (its manifest). */
  async files(tenantId: string, jobId: string, runNo: number): Promise<ExportFileRow[]> {
    return this.store
      .in('main')
      .selectFrom('export_files')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('job_id', '=', jobId)
      .where('run_no', '=', runNo)
      .orderBy('path')
      .execute();
  }
}

/**
 * The job run of each file of these interactions, read through export_files_interaction_ix (migration 022).
 * Counted by the caller, not by `group by`: SQLite would then walk the key's (job, run) order over all the
 * tenant's files to skip a sort.
 */
export function exportCopies(store: StoreConnection, tenantId: string, interactionIds: string[]) {
  return store
    .in('main')
    .selectFrom('export_files')
    .select(['job_id', 'run_no'])
    .where('tenant_id', '=', tenantId)
    .where('interaction_id', 'in', interactionIds);
}
