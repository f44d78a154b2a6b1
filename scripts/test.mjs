#!/usr/bin/env node
/**
 * The whole test suite, on both backends: first embedded SQLite, then a
 * throwaway PostgreSQL cluster on a loopback port when the server binaries are
 * installed (it says so plainly when it has to skip that half). One Ceph RGW
 * (scripts/ceph-s3.mjs) serves the S3 tests of both halves when Ceph is
 * installed; without it those tests say they are skipped (and fail under CI).
 * Extra arguments go to vitest (e.g. a file filter).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingCeph, startCephS3 } from './ceph-s3.mjs';
import { ensureInstalled } from './ensure-installed.mjs';
import { startCluster } from './pg-cluster.mjs';

// A fresh checkout installs first (as `npm start` does), instead of failing to find vitest.
ensureInstalled(fileURLToPath(new URL('..', import.meta.url)), { command: 'npm test' });

const extra = process.argv.slice(2);
const only = process.env.IXVAULT_TEST_BACKENDS?.split(',') ?? ['sqlite', 'postgres'];
const reports = mkdtempSync(join(tmpdir(), 'ixvault-test-reports-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
/** Every failed test of the run, as printed after its half and again after the total. */
const failures = [];
let reported = 0;
let exitCode = 0;

/** The S3 endpoint every S3 test of this run uses (see test/helpers/s3.ts). */
let s3Env = {};
let ceph;
if (missingCeph().length === 0) {
  ceph = await startCephS3({ log: (m) => console.log(m) }).catch((err) => {
    console.log(`could not start Ceph RGW: ${err.message}`);
    exitCode = 1;
    return undefined;
  });
  if (ceph)
    s3Env = {
      IXVAULT_TEST_S3_ENDPOINT: ceph.endpoint,
      IXVAULT_TEST_S3_ACCESS_KEY_ID: ceph.accessKeyId,
      IXVAULT_TEST_S3_SECRET_ACCESS_KEY: ceph.secretAccessKey,
    };
} else {
  console.log(`Ceph is not installed (${missingCeph().join(', ')}): the S3 tests will say they are skipped`);
}

/** The first lines of a failure's message, indented, for the summary at the end. */
function firstLines(message = '', count = 6) {
  return message.split('\n').slice(0, count).join('\n    ');
}

function runVitest(label, env) {
  console.log(`\n=== tests on ${label} ===`);
  const report = join(reports, `${label}.json`);
  const result = spawnSync(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
    { stdio: 'inherit', env: { ...process.env, ...s3Env, ...env } },
  );
  if (result.status !== 0) exitCode = 1;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests;
    totals.failed += json.numFailedTests;
    totals.skipped += json.numPendingTests + json.numTodoTests;
    console.log(`${label}: ${json.numPassedTests} passed, ${json.numFailedTests} failed`);
    // A skip is never silent: each skipped test is listed by its full name, which says why (see browser.test.ts).
    const skipped = json.testResults.flatMap((file) =>
      file.assertionResults.filter((t) => ['skipped', 'pending', 'todo'].includes(t.status)).map((t) => t.fullName),
    );
    for (const name of skipped) console.log(`  skipped: ${name}`);
    // A failure is named again, with the start of its message, here and after the run's total: CI keeps only
    // the tail of a run, which the other half's output can fill.
    for (const file of json.testResults) {
      for (const t of file.assertionResults.filter((a) => a.status === 'failed'))
        failures.push(`  FAILED (${label}): ${file.name} > ${t.fullName}\n    ${firstLines(t.failureMessages?.join('\n'))}`);
      if (file.status === 'failed' && !file.assertionResults.some((a) => a.status === 'failed'))
        failures.push(`  FAILED (${label}): ${file.name} (the file itself)\n    ${firstLines(file.message)}`);
    }
    for (const failure of failures.slice(reported)) console.log(failure);
    reported = failures.length;
  } catch {
    console.log(`${label}: no report (vitest exited with ${result.status})`);
    exitCode = 1;
  }
}

if (only.includes('sqlite')) runVitest('sqlite', { IXVAULT_TEST_DATABASE_URL: '' });

if (only.includes('postgres')) {
  const cluster = await startCluster({ log: (m) => console.log(m) }).catch((err) => {
    console.log(`could not start PostgreSQL: ${err.message}`);
    exitCode = 1;
    return undefined;
  });
  if (cluster) {
    const cleanup = () => cluster.stop();
    process.on('SIGINT', async () => {
      cleanup();
      await ceph?.stop();
      process.exit(130);
    });
    try {
      runVitest('postgres', { IXVAULT_TEST_DATABASE_URL: cluster.url });
    } finally {
      cleanup();
    }
  } else if (exitCode === 0) {
    console.log('\nSKIPPED the PostgreSQL half: no PostgreSQL server binaries found (apt-get install postgresql).');
  }
}

await ceph?.stop();
rmSync(reports, { recursive: true, force: true });
console.log(`\ntotal: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
for (const failure of failures) console.log(failure);
process.exit(exitCode);
