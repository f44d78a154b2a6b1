/**
 * What `npm start` and `npm test` do first on a fresh checkout: install (`npm ci`, which also compiles
 * better-sqlite3 from C and runs the `prepare` build), so that the quick start is two commands and a
 * newcomer who runs either one first gets an install with its reason, never a module-not-found stack.
 * Only a checkout without an install is installed: an existing node_modules is never replaced behind
 * the user's back (after a change of package-lock.json, `npm ci` is theirs to run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Why this Node.js cannot run ixvault (package.json's engines: ^20.19.0 || ^22.12.0), or undefined.
 * Said before anything installs: an older Node fails later with errors that do not name the cause.
 * A newer major than 22 is let through: untested by CI, but not known to fail.
 */
export function nodeProblem(version = process.versions.node) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if ((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22) return undefined;
  return `Node.js ${version} is too old or not supported: ixvault needs Node.js 20.19+ or 22.12+ (node --version)`;
}

/** Whether `root` has no completed install: npm writes node_modules/.package-lock.json last. */
export function needsInstall(root) {
  return !existsSync(join(root, 'node_modules', '.package-lock.json'));
}

/**
 * Runs `npm ci` in `root` when it has no install, saying why and what takes the time; exits the
 * process with npm's status if it fails. Under npm (`npm start`), the same npm runs it.
 */
export function ensureInstalled(root, { command = 'npm start', log = (m) => console.log(m) } = {}) {
  const problem = nodeProblem();
  if (problem) {
    log(`${command}: ${problem}`);
    process.exit(1);
  }
  if (!needsInstall(root)) return false;
  log(
    `${command}: no node_modules here yet, so first: npm ci (installs the dependencies, compiles better-sqlite3 from C, ` +
      'builds ixvault and its console; a few minutes, node-gyp prints little while it compiles)',
  );
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, 'ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0 || needsInstall(root)) {
    log(
      `${command}: npm ci failed (${result.error?.message ?? `exit code ${result.status}`}); it needs Node.js 20.19+ or 22.12+, ` +
        'a C++ compiler, make and Python (apt-get install build-essential python3). Fix that and run it again.',
    );
    process.exit(result.status || 1);
  }
  return true;
}
