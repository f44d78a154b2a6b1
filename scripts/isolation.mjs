#!/usr/bin/env node
/**
 * `npm run probe:isolation -- --rounds 50`: the isolation probe
 * (test/security/isolation.test.ts) with as many rounds as asked, on both
 * backends (SQLite, then a throwaway PostgreSQL), printing the requests made
 * and the cross reads found. Figures go in docs/RELIABILITY.md ("Isolation").
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HELP = `usage: npm run probe:isolation -- [--rounds N] [--seed N] [--backends sqlite,postgres]

Seeds two tenants' interactions of every media type (messages, a recording, a transcript, some
archived), then every principal (each user role by Basic and by session cookie, each client, each
tenant) sends every operation of /openapi.json aimed at records it may not see. One round is
every principal x every operation (406 requests on today's main). Fails on any cross read (a foreign id, guid or
marker in an answer, a 2xx change to a foreign record) or a damaged record; the CometD and live
channel checks of the same file run too.
  --rounds N     rounds per backend (default 50)
  --seed N       seed of the choice of targets (default 20261121)
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
const rounds = Number(option('rounds', '50'));
const seed = Number(option('seed', '20261121'));
const backends = option('backends', 'sqlite,postgres');
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(seed)) {
  console.error(`invalid --rounds or --seed\n\n${HELP}`);
  process.exit(2);
}

const reports = mkdtempSync(join(tmpdir(), 'ixvault-isolation-'));
const report = join(reports, 'report');
console.log(`isolation: ${rounds} rounds per backend (${backends}), seed ${seed}`);
const result = spawnSync(process.execPath, ['scripts/test.mjs', 'test/security/isolation.test.ts'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    IXVAULT_TEST_BACKENDS: backends,
    IXVAULT_ISOLATION_ROUNDS: String(rounds),
    IXVAULT_ISOLATION_SEED: String(seed),
    IXVAULT_ISOLATION_REPORT: report,
  },
});
console.log('\nbackend   requests   answered 2xx  cross reads  records damaged');
for (const backend of backends.split(',')) {
  const file = `${report}.${backend}.json`;
  if (!existsSync(file)) {
    console.log(`${backend.padEnd(9)} no report`);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  console.log(
    `${backend.padEnd(9)} ${String(r.requests).padStart(8)}  ${String(r.ok).padStart(13)}  ${String(r.crossReads).padStart(11)}  ${String(r.damaged).padStart(15)}`,
  );
  for (const example of r.examples) console.log(`  ${JSON.stringify(example)}`);
}
rmSync(reports, { recursive: true, force: true });
process.exit(result.status ?? 1);
