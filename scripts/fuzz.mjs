#!/usr/bin/env node
/**
 * `npm run fuzz -- --requests 100000`: the hostile-input suite
 * (test/input/hostile.test.ts) with as many generated requests as asked, on
 * both backends (SQLite, then a throwaway PostgreSQL), printing the answers'
 * counts by status. Figures go in docs/RELIABILITY.md ("Hostile input").
 */
import { probeOptions, runProbe } from './probe-run.mjs';

const HELP = `usage: npm run fuzz -- [--requests N] [--seed N] [--backends sqlite,postgres]

Sends N hostile requests generated from /openapi.json to an in-process ixvault on each backend
and prints the answers by status. Fails if any answer is >= 500, leaks an internal message, or
an error is logged.
  --requests N   requests per backend (default 100000)
  --seed N       fast-check seed (default 20261121): the same seed sends the same requests
  --backends B   comma-separated: sqlite, postgres (default both)`;

const { count: requests, seed, backends } = probeOptions(HELP, 'requests', 100000);
console.log(`hostile input: ${requests} requests per backend (${backends}), seed ${seed}`);
runProbe({
  name: 'fuzz',
  testFile: 'test/input/hostile.test.ts',
  backends,
  env: (report) => ({
    IXVAULT_FUZZ_REQUESTS: String(requests),
    IXVAULT_FUZZ_SEED: String(seed),
    IXVAULT_FUZZ_REPORT: report,
  }),
  header: 'backend   requests  ≥500/leaking  errors logged  by status',
  row: (backend, r) => {
    const byStatus = Object.entries(r.byStatus)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ');
    return `${backend} ${String(r.total).padStart(8)}  ${String(r.failures).padStart(12)}  ${String(r.errorsLogged).padStart(13)}  ${byStatus}`;
  },
});
