#!/usr/bin/env node
/**
 * `npm run probe:isolation -- --rounds 50`: the isolation probe
 * (test/security/isolation.test.ts) with as many rounds as asked, on both
 * backends (SQLite, then a throwaway PostgreSQL), printing the requests made
 * and the cross reads found. Figures go in docs/RELIABILITY.md ("Isolation").
 */
import { probeOptions, runProbe } from './probe-run.mjs';

const HELP = `usage: npm run probe:isolation -- [--rounds N] [--seed N] [--backends sqlite,postgres]

Seeds two tenants' interactions of every media type (messages, a recording, a transcript, some
archived), then every principal (each user role by Basic and by session cookie, each client, each
tenant) sends every operation of /openapi.json aimed at records it may not see. One round is
every principal x every operation (490 requests since issue 9's contacts). Fails on any cross read (a foreign id, guid or
marker in an answer, a 2xx change to a foreign record) or a damaged record; the CometD and live
channel checks of the same file run too.
  --rounds N     rounds per backend (default 50)
  --seed N       seed of the choice of targets (default 20261121)
  --backends B   comma-separated: sqlite, postgres (default both)`;

const { count: rounds, seed, backends } = probeOptions(HELP, 'rounds', 50);
console.log(`isolation: ${rounds} rounds per backend (${backends}), seed ${seed}`);
runProbe({
  name: 'isolation',
  testFile: 'test/security/isolation.test.ts',
  backends,
  env: (report) => ({
    IXVAULT_ISOLATION_ROUNDS: String(rounds),
    IXVAULT_ISOLATION_SEED: String(seed),
    IXVAULT_ISOLATION_REPORT: report,
  }),
  header: 'backend   requests   answered 2xx  cross reads  records damaged',
  row: (backend, r) =>
    [
      `${backend} ${String(r.requests).padStart(8)}  ${String(r.ok).padStart(13)}  ${String(r.crossReads).padStart(11)}  ${String(r.damaged).padStart(15)}`,
      ...r.examples.map((example) => `  ${JSON.stringify(example)}`),
    ].join('\n'),
});
