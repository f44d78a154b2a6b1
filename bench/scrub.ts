/**
 * The residue scrub (src/services/residue.ts) on a SQLite store with a
 * full-text index: its time, and what the serving thread sees meanwhile — the
 * longest time it answered no read, and the latency of a small read asked every 5 ms — with
 * the index merge on the batch writer thread (ixvault's way) and on the main
 * thread, beside the baseline of SQLite's own full merge ('optimize', one
 * statement) on the same store. Each round first removes `--remove` documents
 * so that every variant has tombstones to merge away. The store is changed:
 * run it on a copy.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/harness/bench/scrub.js --data DIR [--rounds 2] [--remove 20] [--out FILE]
 */
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { sql } from 'kysely';
import { ResidueScrubber } from '../src/services/residue.js';
import { connect, type StoreConnection } from '../src/store/database.js';
import { migrate } from '../src/store/migrator.js';
import { percentile } from './lib/stats.js';

type Variant = 'scrub on the writer thread' | 'scrub on the main thread' | "baseline: SQLite's optimize";
const VARIANTS: Variant[] = ['scrub on the writer thread', 'scrub on the main thread', "baseline: SQLite's optimize"];

interface Run {
  variant: Variant;
  round: number;
  seconds: number;
  steps: number;
  /** The longest time the serving thread answered no read (a read is asked every 5 ms). */
  longestGapMs: number;
  reads: number;
  readMs: { p50: number; p99: number; max: number };
}

async function removeSome(store: StoreConnection, count: number): Promise<void> {
  const docs = await sql<{ tenant_id: string; interaction_id: string }>`
    select tenant_id, interaction_id from text_docs order by random() limit ${count}`.execute(store.db);
  for (const d of docs.rows) await store.write((trx) => store.impl.fullText.remove(trx, 'main', d.tenant_id, [d.interaction_id]));
}

async function measure(dataDir: string, variant: Variant, round: number, remove: number): Promise<Run> {
  const store = connect({ dataDir, batchThread: variant === 'scrub on the writer thread' });
  try {
    await migrate(store, { allowDdl: true, log: () => {} });
    await removeSome(store, remove);
    const reads: number[] = [];
    let lastServed = performance.now();
    let longestGapMs = 0;
    let done = false;
    const reader = (async () => {
      while (!done) {
        const started = performance.now();
        await sql`select id from interactions limit 1`.execute(store.db);
        const now = performance.now();
        reads.push(now - started);
        longestGapMs = Math.max(longestGapMs, now - lastServed);
        lastServed = now;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const started = performance.now();
    let steps = 1;
    if (variant === "baseline: SQLite's optimize") {
      await store.write(async (trx) => {
        await sql`insert into text_fts (text_fts) values ('optimize')`.execute(trx);
      });
      await store.impl.truncateLog(store.db);
    } else steps = (await new ResidueScrubber(store, (m) => process.stderr.write(`${m}\n`)).run()).steps;
    const seconds = (performance.now() - started) / 1000;
    longestGapMs = Math.max(longestGapMs, performance.now() - lastServed);
    done = true;
    await reader;
    reads.sort((a, b) => a - b);
    return {
      variant,
      round,
      seconds,
      steps,
      longestGapMs,
      reads: reads.length,
      readMs: { p50: percentile(reads, 50), p99: percentile(reads, 99), max: reads.at(-1) ?? Number.NaN },
    };
  } finally {
    await store.close();
  }
}

const program = new Command('scrub')
  .description('The residue scrub against SQLite optimize on one store (a copy: it is changed)')
  .requiredOption('--data <dir>', 'SQLite data directory with a full-text index')
  .option('--rounds <n>', 'rounds of the three variants, alternated', '2')
  .option('--remove <n>', 'documents removed before each variant', '20')
  .option('--out <file>', 'results as JSON');
program.parse();
const flags = program.opts<{ data: string; rounds: string; remove: string; out?: string }>();
const runs: Run[] = [];
for (let round = 1; round <= Number(flags.rounds); round++)
  for (const variant of VARIANTS) {
    const run = await measure(flags.data, variant, round, Number(flags.remove));
    runs.push(run);
    const f = (n: number) => n.toFixed(1);
    process.stdout.write(
      `| ${round} | ${variant} | ${f(run.seconds)} s | ${run.steps} | ${f(run.longestGapMs)} ms | ` +
        `${run.reads} | ${f(run.readMs.p50)} / ${f(run.readMs.p99)} / ${f(run.readMs.max)} ms |\n`,
    );
  }
if (flags.out)
  await writeFile(flags.out, `${JSON.stringify({ at: new Date().toISOString(), data: flags.data, runs }, null, 2)}\n`);
