#!/usr/bin/env node
/**
 * `npm run soak -- --trials 50 [--backends sqlite,postgres] [--kinds ingest,upload,small-upload,archive]`
 * Runs the kill -9 loops of test/integrity/kill-loops.ts at length, on each
 * backend (PostgreSQL on a throwaway cluster, scripts/pg-cluster.mjs), and
 * prints the figures docs/RELIABILITY.md records.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from './pg-cluster.mjs';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '50' },
    backends: { type: 'string', default: 'sqlite,postgres' },
    kinds: { type: 'string', default: 'ingest,upload,archive' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run soak -- [--trials N] [--backends sqlite,postgres] [--kinds ingest,upload,small-upload,archive]');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'ixvault-soak-'));
const rows = [];
let failed = false;

function run(backend, env) {
  const report = join(dir, `${backend}.json`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/integrity/kill.test.ts'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      ...env,
      IXVAULT_SOAK_TRIALS: values.trials,
      IXVAULT_SOAK_KINDS: values.kinds,
      IXVAULT_SOAK_REPORT: report,
    },
  });
  if (result.status !== 0) failed = true;
  const { outcomes } = JSON.parse(readFileSync(report, 'utf8'));
  for (const kind of values.kinds.split(',')) {
    const mine = outcomes.filter((o) => o.kind === kind);
    const sum = (f) => mine.reduce((n, o) => n + o[f], 0);
    rows.push({
      backend,
      kind,
      trials: mine.length,
      killedMidway: mine.filter((o) => o.killedMidway).length,
      acknowledged: sum('acknowledged'),
      lost: sum('lost'),
      halfPresent: sum('halfPresent'),
      orphansBeforeSweep: sum('orphansBeforeSweep'),
      orphansAfterSweep: sum('orphansAfterSweep'),
      seconds: Math.round((Date.now() - started) / 1000),
    });
  }
}

const backends = values.backends.split(',');
if (backends.includes('sqlite')) run('sqlite', { IXVAULT_TEST_DATABASE_URL: '' });
if (backends.includes('postgres')) {
  const cluster = await startCluster({ log: (m) => console.log(m) });
  if (!cluster) {
    console.log('no PostgreSQL server binaries found: skipping PostgreSQL');
    failed = true;
  } else {
    try {
      run('postgres', { IXVAULT_TEST_DATABASE_URL: cluster.url });
    } finally {
      cluster.stop();
    }
  }
}
rmSync(dir, { recursive: true, force: true });

console.log('\nbackend   probe    trials  killed midway  acknowledged  lost  half-written  orphans before sweep  after');
for (const r of rows)
  console.log(
    `${r.backend.padEnd(9)} ${r.kind.padEnd(8)} ${String(r.trials).padStart(6)}  ${String(r.killedMidway).padStart(13)}  ${String(
      r.acknowledged,
    ).padStart(12)}  ${String(r.lost).padStart(4)}  ${String(r.halfPresent).padStart(12)}  ${String(
      r.orphansBeforeSweep,
    ).padStart(20)}  ${String(r.orphansAfterSweep).padStart(5)}`,
  );
process.exit(failed ? 1 : 0);
