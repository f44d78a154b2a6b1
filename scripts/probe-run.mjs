/**
 * What the probe scripts (`npm run fuzz`, `npm run probe:isolation`) share:
 * their options, and running one test file of the suite at a chosen size on
 * the chosen backends (scripts/test.mjs), then printing the report each
 * backend's run wrote as one table row.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `--<countName> N --seed N --backends B`, or the help (exit 0) / a usage error (exit 2). */
export function probeOptions(help, countName, countDefault) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(help);
    process.exit(0);
  }
  const option = (name, fallback) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
  };
  const count = Number(option(countName, String(countDefault)));
  const seed = Number(option('seed', '20261121'));
  const backends = option('backends', 'sqlite,postgres');
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
    console.error(`invalid --${countName} or --seed\n\n${help}`);
    process.exit(2);
  }
  return { count, seed, backends };
}

/**
 * Runs `testFile` with the environment `env(report)` gives, then prints
 * `header` and `row(report)` per backend, and exits with the suite's status.
 */
export function runProbe({ name, testFile, backends, env, header, row }) {
  const reports = mkdtempSync(join(tmpdir(), `ixvault-${name}-`));
  const report = join(reports, 'report');
  const result = spawnSync(process.execPath, ['scripts/test.mjs', testFile], {
    stdio: 'inherit',
    env: { ...process.env, IXVAULT_TEST_BACKENDS: backends, ...env(report) },
  });
  console.log(`\n${header}`);
  for (const backend of backends.split(',')) {
    const file = `${report}.${backend}.json`;
    if (existsSync(file)) console.log(row(backend.padEnd(9), JSON.parse(readFileSync(file, 'utf8'))));
    else console.log(`${backend.padEnd(9)} no report`);
  }
  rmSync(reports, { recursive: true, force: true });
  process.exit(result.status ?? 1);
}
