/** Compiles the CLI once before the suite (CLI tests run `bin/ixvault.js`, which would otherwise compile on first use). */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['bin/ixvault.js', '--version'], { stdio: 'ignore' });
}
