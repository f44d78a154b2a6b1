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
import { diagnoseCeph, missingCeph, probeS3, startCephS3 } from './ceph-s3.mjs';
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

/**
 * Ceph RGW, shared by every S3 test of this run (see test/helpers/s3.ts). A Ceph
 * that will not start is tried again (twice) before the run says so; a Ceph that
 * stopped answering is diagnosed in the run's notes and replaced before the next
 * half. A test file that finds it not answering says so in the notes and starts
 * its own (test/helpers/s3.ts).
 */
let ceph;
/** What the run noticed that is not a test's failure, printed after the total: never silent, never hidden in the scroll. */
const notes = [];
const notesFile = join(reports, 'notes.txt');
let notesRead = 0;

async function startSharedCeph() {
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startCephS3({ log: (m) => console.log(m) });
    } catch (err) {
      lastError = err;
      console.log(`could not start Ceph RGW (attempt ${attempt} of 3): ${err.message}`);
    }
  }
  failures.push(`  FAILED: Ceph RGW did not start in 3 attempts\n    ${firstLines(lastError?.message)}`);
  exitCode = 1;
  return undefined;
}

/** The shared Ceph, checked with an S3 write before a half; a Ceph that no longer answers is noted and replaced. */
async function healthyCeph(label) {
  if (!ceph) return;
  const problem = await probeS3(ceph);
  if (!problem) return;
  notes.push(
    `  NOTE: the run's Ceph RGW stopped answering before the ${label} half (${problem}); started another\n    ${diagnoseCeph(ceph.dir).replaceAll('\n', '\n    ')}`,
  );
  console.log(notes.at(-1));
  await ceph.stop();
  ceph = await startSharedCeph();
}

function s3Env() {
  if (!ceph) return {};
  return {
    IXVAULT_TEST_S3_ENDPOINT: ceph.endpoint,
    IXVAULT_TEST_S3_ACCESS_KEY_ID: ceph.accessKeyId,
    IXVAULT_TEST_S3_SECRET_ACCESS_KEY: ceph.secretAccessKey,
    IXVAULT_TEST_S3_CEPH_DIR: ceph.dir,
  };
}

/** The notes test files left since the last call (test/helpers/s3.ts), printed now and again after the total. */
function collectNotes() {
  let text = '';
  try {
    text = readFileSync(notesFile, 'utf8');
  } catch {
    return;
  }
  const fresh = text.slice(notesRead);
  notesRead = text.length;
  for (const note of fresh.split('\n\n').filter((n) => n.trim())) {
    notes.push(`  NOTE: ${note.trim().replaceAll('\n', '\n    ')}`);
    console.log(notes.at(-1));
  }
}

if (missingCeph().length === 0) ceph = await startSharedCeph();
else console.log(`Ceph is not installed (${missingCeph().join(', ')}): the S3 tests will say they are skipped`);

/** The first lines of a failure's message, indented, for the summary at the end. */
function firstLines(message = '', count = 6) {
  return message.split('\n').slice(0, count).join('\n    ');
}

async function runVitest(label, env) {
  await healthyCeph(label);
  console.log(`\n=== tests on ${label} ===`);
  const report = join(reports, `${label}.json`);
  const result = spawnSync(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
    { stdio: 'inherit', env: { ...process.env, ...s3Env(), IXVAULT_TEST_NOTES: notesFile, ...env } },
  );
  if (result.status !== 0) exitCode = 1;
  collectNotes();
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

if (only.includes('sqlite')) await runVitest('sqlite', { IXVAULT_TEST_DATABASE_URL: '' });

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
      await runVitest('postgres', { IXVAULT_TEST_DATABASE_URL: cluster.url });
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
for (const note of notes) console.log(note);
process.exit(exitCode);
