/**
 * The SQLite batch writer's thread (sqlite-batch-writer.ts): its own
 * connection to the store's file, the same InteractionRepository as the main
 * thread. Its writer lock is held by the main thread on its behalf; the
 * thread only reports when each transaction ended, so the main thread can
 * release it before the commit's WAL sync, as its own writes do.
 */
import { parentPort } from 'node:worker_threads';
import { connect, type StoreConnection } from './database.js';
import { InteractionRepository } from './interaction-repository.js';
import { type BatchJob, type BatchReply, toFailure } from './sqlite-batch-writer.js';
import type { WriterLock } from './writer-lock.js';
import type { OpenStore } from './writer-thread.js';

const port = parentPort;
if (!port) throw new Error('sqlite-batch-writer-thread runs as a worker thread');

/** The job whose transaction is under way: the main thread dispatches one at a time (it holds the lock). */
let current: number | undefined;
const post = (reply: BatchReply) => port.postMessage(reply);
const heldByMainThread: WriterLock = {
  async run(work) {
    const job = current;
    let wrote = true;
    try {
      const result = await work();
      // Every write of this thread is a batch: InteractionRepository.writeFresh's transaction answers
      // undefined when it wrote nothing because the store holds one of the records (see BatchReply).
      wrote = result !== undefined;
      return result;
    } finally {
      if (job !== undefined) post({ job, ended: true, needsRecords: !wrote });
    }
  },
};

// The store is named by the first message (writer-thread.ts: the thread may start before the store exists).
let store: StoreConnection;
let interactions: InteractionRepository;

port.on('message', (message: OpenStore | BatchJob | { close: true }) => {
  if ('open' in message) {
    store = connect({ dataDir: message.open, writerLock: heldByMainThread });
    interactions = new InteractionRepository(store);
    return;
  }
  if ('close' in message) {
    void store.close().finally(() => port.close());
    return;
  }
  current = message.job;
  const { job } = message;
  const failed = (err: unknown) => post({ job, failure: toFailure(err) });
  if (message.kind === 'purge')
    store
      .write((trx) => store.impl.fullText.purgeStep(trx, message.source))
      .then((more) => post({ job, purged: true, more }), failed);
  else if (message.kind === 'fresh')
    interactions.writeFresh(message.tenantId, message.batch).then(
      // undefined: the main thread was told to send the records (needsRecords), which answer for the job.
      (outcomes) => {
        if (outcomes) post({ job, written: true });
      },
      failed,
    );
  else
    interactions
      .upsertRecords(message.tenantId, message.inputs, message.nowMs, message.mode)
      .then((outcomes) => post({ job, outcomes }), failed);
});
