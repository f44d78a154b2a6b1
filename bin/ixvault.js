#!/usr/bin/env node
// Runs the compiled CLI, compiling first when dist/ is missing or older than src/
// (so `npx ixvault …` works in a checkout whose sources changed; `npm ci` compiles once
// through the `prepare` script). Only the command that runs loads what it needs (see src/cli).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Node 22 keeps compiled bytecode between runs; Node 20 has no such cache and skips this.
module.enableCompileCache?.();

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

if (existsSync(join(root, 'src')) && (!existsSync(entry) || statSync(entry).mtimeMs < newestSource(join(root, 'src')))) {
  process.stderr.write('ixvault: compiling TypeScript (first run or sources changed)…\n');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      stdio: 'inherit',
    },
  );
}
const { main } = await import(entry);
await main(process.argv);
