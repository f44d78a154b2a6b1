/** Per-key serialization (src/services/key-lock.ts). */
import { describe, expect, it } from 'vitest';
import { KeyLock } from '../../src/services/key-lock.js';

/** A promise the test settles by hand. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('KeyLock', () => {
  it('runs work on one key one at a time, in order, and other keys freely', async () => {
    const lock = new KeyLock();
    const order: string[] = [];
    const first = gate();
    const a1 = lock.run('a', async () => {
      order.push('a1 start');
      await first.opened;
      order.push('a1 end');
    });
    const a2 = lock.run('a', async () => {
      order.push('a2');
    });
    const b = lock.run('b', async () => {
      order.push('b');
    });
    await b;
    expect(order).toEqual(['a1 start', 'b']);
    first.open();
    await Promise.all([a1, a2]);
    expect(order).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
  });

  it('goes on after a failure, and hands the failure to its caller only', async () => {
    const lock = new KeyLock();
    const failed = lock.run('a', async () => {
      throw new Error('boom');
    });
    const next = lock.run('a', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });
});
