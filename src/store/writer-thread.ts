/**
 * The SQLite batch writer's thread (sqlite-batch-writer.ts), started early. A
 * new thread spends ~0.3 s loading its modules (Kysely's 500-odd files,
 * better-sqlite3) before it can write a batch; started when the store opens,
 * that time came after the main thread's own loading, and every `import` and
 * `serve` waited for both in turn. A command that will open an SQLite store
 * calls `prestartWriterThread()` first, before it loads the rest, so that both
 * threads load at once; the store then takes that thread and names the file
 * it opens. This module imports nothing of ixvault's, so calling it is cheap.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** The message that gives a thread its store; it comes before any job. */
export interface OpenStore {
  open: string;
}

let spare: Worker | undefined;

/**
 * The thread's module: its compiled sibling, or, when this module runs from
 * the TypeScript sources (the test runner), the compiled copy in dist/, which
 * the test setup brings up to date before every run (test/global-setup.ts).
 */
function threadModule(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./sqlite-batch-writer-thread.js', import.meta.url);
  return pathToFileURL(join(dirname(here), '..', '..', 'dist', 'store', 'sqlite-batch-writer-thread.js'));
}

/** Starts a writer thread now, for the store this process opens next; it does not keep the process alive. */
export function prestartWriterThread(): void {
  if (spare) return;
  const thread = new Worker(threadModule());
  thread.unref();
  // A thread that failed before any store took it is dropped; the store starts another (and hears its error).
  const drop = () => {
    if (spare === thread) spare = undefined;
  };
  thread.once('error', drop);
  thread.once('exit', drop);
  spare = thread;
}

/** A writer thread for the store in `dataDir`: the one started early, if any, else a new one. */
export function writerThread(dataDir: string): Worker {
  const thread = spare ?? new Worker(threadModule());
  spare = undefined;
  thread.postMessage({ open: dataDir } satisfies OpenStore);
  return thread;
}
