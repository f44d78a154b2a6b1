/**
 * SQLite: batches of records written on a thread of their own. Parsing,
 * validating and answering requests (the main thread) then overlap with the
 * previous batch's inserts and commit (this thread), where on one event loop
 * they took turns. The thread has its own better-sqlite3 connection to the
 * same file and runs the same code (InteractionRepository.upsertMany: rows.ts's
 * mappers, the row writer, text-index.ts), so a batch is written exactly as on
 * the main thread; only where it runs differs.
 *
 * Ordering and durability: the main thread takes the process's writer lock
 * (writer-lock.ts) before it hands a batch over, and the thread tells it when
 * the batch's transaction ended, which releases the lock: every write of the
 * process still happens one at a time, in the order the lock was asked for,
 * and the main thread never waits at SQLite's file lock. The thread answers
 * only after its commit is synced to disk (StoreDialect.write), so an
 * acknowledged batch is as durable as one written on the main thread.
 */
import type { Worker } from 'node:worker_threads';
import { type ErrorCode, type ErrorKind, errors, type FieldProblem, VaultError } from '../domain/errors.js';
import type { Source } from '../domain/search.js';
import type { InteractionInput } from '../domain/validate.js';
import type { BatchWriter } from './dialect.js';
import type { UpsertOutcome } from './interaction-repository.js';
import { type FreshBatch, freshBatch } from './record-rows.js';
import type { WriterLock } from './writer-lock.js';
import { writerThread } from './writer-thread.js';

/**
 * A batch handed to the thread: first its rows, made on the main thread as
 * for records new to the store (`fresh`: record-rows.ts); should the store
 * hold any of their ids or guids, the thread writes nothing and asks for the
 * records themselves (`records`), which it writes as upsertMany does here.
 */
export type BatchJob =
  | { job: number; kind: 'fresh'; tenantId: string; batch: FreshBatch }
  | { job: number; kind: 'records'; tenantId: string; inputs: InteractionInput[]; nowMs: number; mode: 'upsert' | 'create' }
  /** One step of the residue scrub's index merge (FullTextEngine.purgeStep), off the main thread's event loop. */
  | { job: number; kind: 'purge'; source: Source };

/** A failure crossing the thread boundary: a VaultError keeps its kind and code (the client's 4xx). */
export type ThreadFailure =
  | {
      vault: true;
      kind: ErrorKind;
      code: ErrorCode;
      message: string;
      field: string | undefined;
      problems: FieldProblem[];
      extra: Record<string, unknown>;
    }
  | { vault: false; message: string; code: string | undefined; stack: string | undefined };

/**
 * What the thread answers: first that the transaction ended (the lock is free,
 * unless `needsRecords`: a fresh batch found stored identities, wrote nothing,
 * and is to be written from its records under the same hold of the lock),
 * then the outcome.
 */
export type BatchReply =
  | { job: number; ended: true; needsRecords: boolean }
  /** A fresh batch is stored: its outcomes are those the main thread made with its rows. */
  | { job: number; written: true }
  | { job: number; outcomes: UpsertOutcome[] }
  /** `more`: whether the purge step found work (another step may). */
  | { job: number; purged: true; more: boolean }
  | { job: number; failure: ThreadFailure };

export function toFailure(err: unknown): ThreadFailure {
  if (err instanceof VaultError)
    return {
      vault: true,
      kind: err.kind,
      code: err.code,
      message: err.message,
      field: err.field,
      problems: err.problems,
      extra: err.extra,
    };
  const e = err as { message?: string; code?: string; stack?: string } | null;
  return { vault: false, message: String(e?.message ?? err), code: e?.code, stack: e?.stack };
}

function fromFailure(failure: ThreadFailure): Error {
  if (failure.vault) {
    const options: { field?: string; problems: FieldProblem[]; extra: Record<string, unknown> } = {
      problems: failure.problems,
      extra: failure.extra,
    };
    if (failure.field !== undefined) options.field = failure.field;
    return new VaultError(failure.kind, failure.code, failure.message, options);
  }
  const error = new Error(failure.message) as Error & { code?: string };
  if (failure.code !== undefined) error.code = failure.code;
  if (failure.stack !== undefined) error.stack = failure.stack;
  return error;
}

interface Pending {
  /** With the batch's outcomes, or a purge step's answer. */
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** Releases the writer lock (once: on `ended`, or on the outcome if the thread never began a transaction). */
  ended(): void;
  /** Hands the batch's records over (the thread found its rows were not all new). */
  sendRecords(): void;
  /** The outcomes of the batch as handed over first (not its rows: they need not outlive the hand-over). */
  freshOutcomes: UpsertOutcome[];
}

export function sqliteBatchWriter(dataDir: string, lock: WriterLock): BatchWriter & { close(): Promise<void> } {
  let worker: Worker | undefined;
  let next = 0;
  const pending = new Map<number, Pending>();
  /** Every batch not yet answered, settled either way (close waits for them). */
  const inFlight = new Set<Promise<void>>();
  const fail = (err: Error) => {
    for (const p of pending.values()) {
      p.ended();
      p.reject(err);
    }
    pending.clear();
  };
  const start = (): Worker => {
    const w = writerThread(dataDir);
    w.on('message', (reply: BatchReply) => {
      const p = pending.get(reply.job);
      if (!p) return;
      if ('ended' in reply && reply.needsRecords) {
        p.sendRecords();
        return;
      }
      p.ended();
      if ('ended' in reply) return;
      pending.delete(reply.job);
      if (pending.size === 0) w.unref();
      if ('written' in reply) p.resolve(p.freshOutcomes);
      else if ('outcomes' in reply) p.resolve(reply.outcomes);
      else if ('purged' in reply) p.resolve(reply.more);
      else p.reject(fromFailure(reply.failure));
    });
    w.on('error', (err) => fail(errors.internal(`the batch writer thread failed: ${err.message}`)));
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      fail(errors.internal(`the batch writer thread exited (${code})`));
    });
    return w;
  };
  const post = (message: BatchJob) => {
    worker ??= start();
    worker.ref();
    worker.postMessage(message);
  };
  /**
   * Runs a job on the thread under the process's writer lock: `handOver` makes its first message once the lock is
   * held, and the lock is released when the thread says the job's transaction ended.
   */
  const submit = <T>(
    job: number,
    handOver: () => BatchJob,
    batchOnly: Pick<Pending, 'sendRecords' | 'freshOutcomes'> = { sendRecords: () => {}, freshOutcomes: [] },
  ): Promise<T> => {
    let ended = () => {};
    const transactionEnded = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const outcome = new Promise<T>((resolve, reject) => {
      pending.set(job, { resolve: resolve as (value: unknown) => void, reject, ended, ...batchOnly });
    });
    const run = lock.run(async () => {
      // Failed while it waited for the lock (the thread died): it must not be written after its caller heard so.
      if (!pending.has(job)) return;
      post(handOver());
      await transactionEnded;
    });
    // The lock's promise only ever settles after the job's own outcome or `ended`; a failure to post fails the job.
    run.catch((err: unknown) => {
      const p = pending.get(job);
      pending.delete(job);
      p?.reject(err instanceof Error ? err : new Error(String(err)));
    });
    const settled = outcome.then(
      () => {},
      () => {},
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
    return outcome;
  };
  return {
    warm() {
      if (worker) return;
      worker = start();
      worker.unref();
    },
    upsertMany(tenantId, inputs, nowMs, mode) {
      const job = ++next;
      // Made here, on the main thread, while the thread writes the batch before (see record-rows.ts).
      let batch: FreshBatch | undefined = freshBatch(tenantId, inputs, nowMs);
      const freshOutcomes = batch.outcomes;
      const sendRecords = () => {
        try {
          post({ job, kind: 'records', tenantId, inputs, nowMs, mode });
        } catch (err) {
          const p = pending.get(job);
          pending.delete(job);
          p?.ended();
          p?.reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      return submit<UpsertOutcome[]>(
        job,
        () => {
          // Once handed over, the thread has its copy: ours would live (and be collected as old) until the answer.
          const handed = batch;
          batch = undefined;
          if (!handed) throw errors.internal('a batch was handed to the writer thread twice');
          return { job, kind: 'fresh', tenantId, batch: handed };
        },
        { sendRecords, freshOutcomes },
      );
    },
    purgeStep(source) {
      const job = ++next;
      return submit<boolean>(job, () => ({ job, kind: 'purge', source }));
    },
    async close() {
      // Every batch handed over is answered before the thread closes its connection.
      await Promise.all([...inFlight]);
      const w = worker;
      worker = undefined;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      // Referenced until it has closed its connection: an idle thread is unreferenced (see upsertMany).
      w.ref();
      w.postMessage({ close: true });
      await exited;
    },
  };
}
