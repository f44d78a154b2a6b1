/** Timing helpers: every latency figure is a distribution, summarised by its p50 and p99. */
import { performance } from 'node:perf_hooks';

export interface Latency {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarize(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean };
}

/**
 * Runs `fn` `warmup` times unmeasured (JIT, statement caches, page cache),
 * then `iterations` times measured one after the other.
 */
export async function measure(iterations: number, fn: (i: number) => Promise<unknown> | unknown, warmup = 20): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

/**
 * Measures several ways of doing the same thing interleaved in rounds, so
 * drift from other load on the machine (shared cores) hits all of them alike.
 * Each function gets a running iteration number to vary its input.
 */
export async function measureInterleaved<K extends string>(
  fns: Record<K, (i: number) => Promise<unknown>>,
  options: { rounds: number; perRound: number; warmup?: number },
): Promise<Record<K, Latency>> {
  const names = Object.keys(fns) as K[];
  for (const name of names) for (let i = 0; i < (options.warmup ?? 10); i++) await fns[name](i);
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < options.rounds; r++) {
    for (const name of names) {
      for (let k = 0; k < options.perRound; k++) {
        const i = r * options.perRound + k;
        const t0 = performance.now();
        await fns[name](i);
        samples[name].push(performance.now() - t0);
      }
    }
  }
  return Object.fromEntries(names.map((n) => [n, summarize(samples[n])])) as Record<K, Latency>;
}
