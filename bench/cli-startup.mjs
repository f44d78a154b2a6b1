#!/usr/bin/env node
/**
 * How fast the command line answers: `node bench/cli-startup.mjs [runs]` times
 * `ixvault --help` and the principals commands (tenant/user/client add) against
 * a bare `node -e ''` measured in the same run, interleaved, and prints the
 * medians. The CLI must be compiled (`npm run build`). Speed is measured here,
 * never in the tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'ixvault-cli-bench-'));
const config = join(dir, 'principals.json');
const cli = ['bin/ixvault.js'];
const cases = {
  'node -e ""': () => ['-e', ''],
  '--help': () => [...cli, '--help'],
  'import --help': () => [...cli, 'import', '--help'],
  'tenant add': (i) => [...cli, 'tenant', 'add', `t${i}`, '--config', config],
  'user add': (i) => [...cli, 'user', 'add', '--config', config, '--tenant', `t${i}`, '--user-name', `u${i}`, '--role', 'agent'],
  'client add': (i) => [...cli, 'client', 'add', '--config', config, '--tenant', `t${i}`, '--client-id', `c${i}`],
};
const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(cases)) {
    const started = process.hrtime.bigint();
    execFileSync(process.execPath, args(i), { stdio: 'ignore' });
    times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}
rmSync(dir, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(times))
  console.log(
    `${name.padEnd(14)} median ${median(xs).toFixed(0).padStart(5)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, ${xs.length} runs)`,
  );
