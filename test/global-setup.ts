/**
 * Compiles the CLI once before the suite (CLI tests run `bin/ixvault.js`, which would otherwise compile on first use),
 * and builds the console when web/ changed since its last build (the console tests load it in a browser).
 */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['bin/ixvault.js', '--version'], { stdio: 'ignore' });
  execFileSync(process.execPath, ['scripts/build-web.mjs', '--if-stale'], { stdio: 'inherit' });
}
