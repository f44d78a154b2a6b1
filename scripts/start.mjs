#!/usr/bin/env node
/**
 * `npm start`: the quick start's first command. On a fresh checkout it installs first (npm ci, see
 * ensure-installed.mjs), rebuilds the console when web/ changed since its build, then runs
 * `ixvault serve --demo` in this process (so Ctrl-C and SIGTERM reach the server directly) with any
 * extra arguments: `npm start -- --port 8081`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInstalled } from './ensure-installed.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
ensureInstalled(root, { command: 'npm start' });
const web = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs'), '--if-stale'], { stdio: 'inherit' });
if (web.status !== 0) process.exit(web.status ?? 1);
process.argv.splice(2, 0, 'serve', '--demo');
await import('../bin/ixvault.js');
