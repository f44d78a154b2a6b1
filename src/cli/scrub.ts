/** `ixvault scrub`: remove what deletions left in the store's files, online, with progress. */
import type { Command } from 'commander';
import { addStoreOptions, openFromFlags } from './common.js';
import { Progress } from './progress.js';

export function registerScrub(program: Command): void {
  addStoreOptions(
    program
      .command('scrub')
      .description(
        'Remove what deleted records left in the store\'s files (docs/GOVERNANCE.md, "What a deletion leaves on disk"): ' +
          "on SQLite, merge deleted documents' words out of the full-text index and empty the WAL file. An erasure " +
          'starts one by itself; run this after retention or deletions, or when the server stopped before its scrub ' +
          'ended. Runs while the service runs: each step is one short transaction. On PostgreSQL there is nothing to do',
      ),
  ).action(async (flags) => {
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    try {
      const progress = new Progress('merging the full-text index (steps)');
      const report = await runtime.scrubber.run(() => progress.tick());
      progress.finish();
      process.stdout.write(
        `scrubbed: ${report.steps} merge steps; WAL ${report.logTruncated ? 'emptied' : 'not emptied (a reader in another process held it: run again)'}\n`,
      );
      if (!report.logTruncated) process.exitCode = 1;
    } finally {
      await runtime.close();
    }
  });
}
