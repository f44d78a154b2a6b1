/**
 * `node dist/harness/bench/report.js FILE.json…`: prints the Markdown tables of
 * result files (as the run printed them), for pasting into docs/BENCHMARKS.md.
 */
import { readFileSync } from 'node:fs';
import { markdownTable, type RunResult } from './lib/results.js';

for (const file of process.argv.slice(2)) {
  const result = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  const { backend, size, startedAt } = result.run;
  process.stdout.write(`### ${backend}, ${size.toLocaleString('en-US')} interactions (${startedAt.slice(0, 16)}Z)\n\n`);
  process.stdout.write(`${markdownTable(result.rows.map((r) => ({ ...r, notes: undefined })))}\n\n`);
}
