import { describe, expect, it } from 'vitest';
import { writerLock } from '../../src/store/writer-lock.js';

/** A promise and the function that settles it, to hold a holder inside the lock for as long as the test wants. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('writer lock (SQLite: one writer of the process at a time)', () => {
  it('runs holders one at a time, in the order they asked', async () => {
    const lock = writerLock();
    const events: string[] = [];
    const first = gate();
    const runs = [
      lock.run(async () => {
        events.push('1 in');
        await first.opened;
        events.push('1 out');
      }),
      lock.run(async () => {
        events.push('2 in');
        events.push('2 out');
      }),
      lock.run(async () => {
        events.push('3 in');
        events.push('3 out');
      }),
    ];
    // The second holder waits for the first, however long the first takes.
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['1 in']);
    first.open();
    await Promise.all(runs);
    expect(events).toEqual(['1 in', '1 out', '2 in', '2 out', '3 in', '3 out']);
  });

  it('is released by a holder that fails, and the failure reaches only that holder', async () => {
    const lock = writerLock();
    const failed = lock.run(async () => {
      throw new Error('refused');
    });
    const next = lock.run(async () => 'ran');
    await expect(failed).rejects.toThrow('refused');
    await expect(next).resolves.toBe('ran');
  });
});
