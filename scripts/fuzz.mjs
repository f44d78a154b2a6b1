#!/usr/bin/env node
/**
 * `npm run fuzz -- --requests 100000`: the hostile-input suite
 * (test/input/hostile.test.ts) with as many generated requests as asked, on
 * both backends (SQLite, then a throwaway PostgreSQL), printing the answers'
 * counts by status. Figures go in docs/RELIABILITY.md ("Hostile input").
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HELP = `usage: npm run fuzz -- [--requests N] [--seed N] [--backends sqlite,postgres]

Sends N hostile requests generated from /openapi.json to an in-process ixvault on each backend
and prints the answers by status. Fails if any answer is >= 500, leaks an internal message, or
an error is logged.
  --requests N   requests per backend (default 100000)
  --seed N       fast-check seed (default 20261121): the same seed sends the same requests
  --backends B   comma-separated: sqlite, postgres (default both)`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const requests = Number(option('requests', '100000'));
const seed = Number(option('seed', '20261121'));
const backends = option('backends', 'sqlite,postgres');
if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(seed)) {
  console.error(`invalid --requests or --seed\n\n${HELP}`);
  process.exit(2);
}

const reports = mkdtempSync(join(tmpdir(), 'ixvault-fuzz-'));
const report = join(reports, 'report');
console.log(`hostile input: ${requests} requests per backend (${backends}), seed ${seed}`);
const result = spawnSync(process.execPath, ['scripts/test.mjs', 'test/input/hostile.test.ts'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    IXVAULT_TEST_BACKENDS: backends,
    IXVAULT_FUZZ_REQUESTS: String(requests),
    IXVAULT_FUZZ_SEED: String(seed),
    IXVAULT_FUZZ_REPORT: report,
  },
});
console.log('\nbackend   requests  ≥500/leaking  errors logged  by status');
for (const backend of backends.split(',')) {
  const file = `${report}.${backend}.json`;
  if (!existsSync(file)) {
    console.log(`${backend.padEnd(9)} no report`);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const byStatus = Object.entries(r.byStatus)
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  console.log(
    `${backend.padEnd(9)} ${String(r.total).padStart(8)}  ${String(r.failures).padStart(12)}  ${String(r.errorsLogged).padStart(13)}  ${byStatus}`,
  );
}
rmSync(reports, { recursive: true, force: true });
process.exit(result.status ?? 1);
