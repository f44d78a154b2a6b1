/**
 * SQLite's one writer, as an async lock of this process. Every write of the
 * process (StoreDialect.write on the main thread, a batch on the writer
 * thread: sqlite-batch-writer.ts) takes it before SQLite's own write lock, so
 * no connection of ours ever meets another of ours at SQLite's file lock:
 * better-sqlite3 waits for that lock synchronously (busy_timeout), which on
 * the main thread would stop the event loop for as long as the other
 * connection's transaction lasts. Holders are served in arrival order.
 */
export interface WriterLock {
  /** Runs `work` alone among the lock's holders; the lock is released when it settles. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function writerLock(): WriterLock {
  let tail: Promise<void> = Promise.resolve();
  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      const turn = tail;
      let release = () => {};
      tail = new Promise<void>((resolve) => {
        release = resolve;
      });
      return turn.then(work).finally(release);
    },
  };
}
