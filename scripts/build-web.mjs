#!/usr/bin/env node
/**
 * Builds the console (web/ → dist/console) with Vite, then measures its first
 * load: the page and everything it loads before any script runs (entry script,
 * its static imports, style sheets), gzipped as served. Fails above the budget.
 * Chunks loaded on demand (the waveform player, the CometD client) are listed
 * apart. `--if-stale`: only when dist/console is missing or older than web/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const FIRST_LOAD_BUDGET = 200 * 1024;
const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'console');

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** The page's own references (/console/...) to scripts, preloads and style sheets. */
export function firstLoadFiles(html) {
  const refs = [...html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="\/console\/([^"]+)"[^>]*>/g)]
    .filter((m) => !/rel="icon"/.test(m[0]))
    .map((m) => m[1]);
  return ['index.html', ...refs];
}

/** Whether dist/console is missing or older than any file of web/. */
function stale() {
  let built;
  try {
    built = statSync(join(out, 'index.html')).mtimeMs;
  } catch {
    return true;
  }
  const newest = (dir) =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  return newest(join(root, 'web')) > built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--if-stale') && !stale()) process.exit(0);
  const started = Date.now();
  // The console ships as a production build whoever asks for it: vitest's global
  // setup runs this with NODE_ENV=test, and Vite would then bundle React's
  // development build (StrictMode's double effects, another bundle than users get).
  process.env.NODE_ENV = 'production';
  const { build } = await import('vite');
  await build({ configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  const first = firstLoadFiles(html);
  let total = 0;
  for (const f of first) total += gz(join(out, f));
  const lazy = readdirSync(join(out, 'assets')).filter((f) => !first.includes(`assets/${f}`));
  const lazyTotal = lazy.reduce((sum, f) => sum + gz(join(out, 'assets', f)), 0);
  console.log(
    `console built in ${((Date.now() - started) / 1000).toFixed(1)} s: first load ${kb(total)} gzipped (budget ${kb(FIRST_LOAD_BUDGET)}; ${first.length} files), loaded on demand ${kb(lazyTotal)} (${lazy.length} files)`,
  );
  if (total > FIRST_LOAD_BUDGET) {
    console.error(`console first load ${kb(total)} is over the budget of ${kb(FIRST_LOAD_BUDGET)}`);
    process.exit(1);
  }
}
