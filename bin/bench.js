#!/usr/bin/env node
// `npm run bench -- …`: compiles the harness (bench/ and the src/ it imports) into dist/harness, then runs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.bench.json')],
  {
    stdio: 'inherit',
  },
);
const result = spawnSync(process.execPath, [join(root, 'dist', 'harness', 'bench', 'main.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
