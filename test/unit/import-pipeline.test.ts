/**
 * `ixvault import` writes batches while it reads the next ones (BatchPipeline):
 * the last line of an identity must still win, so a line naming an identity of
 * a batch not yet committed waits for it, and a failure stops the import.
 */
import { describe, expect, it } from 'vitest';
import { BatchPipeline } from '../../src/cli/import.js';
import type { InteractionInput } from '../../src/domain/validate.js';

const input = (id: string): InteractionInput => ({
  id,
  mediaType: 'chat',
  typeId: 'Inbound',
  state: 'Stopped',
  startMs: 0,
  handlingAgentIds: [],
  customAttributes: {},
  userData: {},
});

/** A writer whose batches finish when the test says so, recording what ran at once. */
function controlledWriter() {
  const log: string[] = [];
  const open = new Map<number, () => void>();
  let started = 0;
  let maxAtOnce = 0;
  const write = (batch: { line: number; input: InteractionInput }[]) => {
    const n = ++started;
    log.push(`start ${n}: ${batch[0]?.input.id}…${batch[batch.length - 1]?.input.id} (${batch.length})`);
    maxAtOnce = Math.max(maxAtOnce, open.size + 1);
    return new Promise<void>((resolve) => {
      open.set(n, () => {
        open.delete(n);
        log.push(`done ${n}`);
        resolve();
      });
    });
  };
  /** Finishes the oldest open batch once one is open. */
  const finishNext = async () => {
    while (open.size === 0) await new Promise((r) => setImmediate(r));
    const [first] = open.values();
    first?.();
  };
  return { write, log, finishNext, maxAtOnce: () => maxAtOnce, open: () => open.size };
}

describe('import pipeline', () => {
  it('keeps two batches in flight and holds a repeated id until the batch naming it has committed', async () => {
    const w = controlledWriter();
    const pipeline = new BatchPipeline(w.write, 2);
    const adding = (async () => {
      for (let i = 0; i < 2000; i++) await pipeline.add({ line: i + 1, input: input(`ID${i}`) });
      // ID5 is in batch 1, which may still be in flight: this line must be written after batch 1 committed.
      await pipeline.add({ line: 2001, input: input('ID5') });
      await pipeline.finish();
    })();
    // Batches 1 and 2 are sent without waiting for either.
    while (w.open() < 2) await new Promise((r) => setImmediate(r));
    expect(w.log).toEqual(['start 1: ID0…ID999 (1000)', 'start 2: ID1000…ID1999 (1000)']);
    await w.finishNext();
    await w.finishNext();
    await w.finishNext();
    await adding;
    expect(w.maxAtOnce()).toBe(2);
    expect(w.log.indexOf('done 1')).toBeLessThan(w.log.indexOf('start 3: ID5…ID5 (1)'));
  });

  it('sends the batch at a repeat within it, so the later line is written after the earlier one', async () => {
    const w = controlledWriter();
    const pipeline = new BatchPipeline(w.write, 2);
    const adding = (async () => {
      await pipeline.add({ line: 1, input: input('A') });
      await pipeline.add({ line: 2, input: input('B') });
      await pipeline.add({ line: 3, input: input('A') });
      await pipeline.finish();
    })();
    await w.finishNext();
    await w.finishNext();
    await adding;
    expect(w.log).toEqual(['start 1: A…B (2)', 'done 1', 'start 2: A…A (1)', 'done 2']);
  });

  it('stops at the first failed write and reports it after the writes under way have ended', async () => {
    let calls = 0;
    const pipeline = new BatchPipeline(async () => {
      calls++;
      if (calls === 1) throw new Error('database went away');
    }, 2);
    const run = async () => {
      for (let i = 0; i < 5000; i++) await pipeline.add({ line: i + 1, input: input(`X${i}`) });
      await pipeline.finish();
    };
    await expect(run()).rejects.toThrow('database went away');
    expect(calls).toBeLessThanOrEqual(3);
  });
});
