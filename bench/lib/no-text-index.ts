/**
 * Preloaded (`node --import`) into a bench server started with `textIndex:
 * false` (bench/lib/server-process.ts): full-text index writes become no-ops
 * in every thread of that process, and new records' documents are not made
 * (the index's work on the main thread: ingest without the index builds none). Node runs --import modules in worker
 * threads too, so SQLite's batch writer thread skips them as the main thread
 * does, and the baseline of bench/workloads/fulltext-ingest.ts runs the
 * default configuration. Never loaded by ixvault itself.
 */
import { TextIndex } from '../../src/store/text-index.js';

/** Set on the replaced method, so the server can check the preload took effect. */
export const INDEX_WRITES_OFF = Symbol.for('ixvault.bench.indexWritesOff');

const off = Object.assign(async () => {}, { [INDEX_WRITES_OFF]: true });
TextIndex.prototype.writeRecords = off;
TextIndex.documentOfRecord = Object.assign(() => '', { [INDEX_WRITES_OFF]: true });
