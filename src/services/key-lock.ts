/**
 * Serializes async work per key within this process. Blob publication and
 * release take the lock of their hash so that, within one process, they do not
 * undo each other's work; correctness across processes does not rest on it
 * (see src/blobs/blob-store.ts: publish, settle, release).
 */
export class KeyLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
