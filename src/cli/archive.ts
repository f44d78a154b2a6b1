/** `ixvault archive --older-than DAYS`: move old interactions to the archive store, batch by batch. */
import type { Command } from 'commander';
import { addStoreOptions, openFromFlags, tenantIdsOf } from './common.js';
import { Progress } from './progress.js';

export function registerArchive(program: Command): void {
  addStoreOptions(
    program
      .command('archive')
      .description('Move interactions that started more than DAYS ago from the main store to the archive')
      .requiredOption('--older-than <days>', 'age in days (fractions allowed)')
      .option('--batch-size <n>', 'interactions per transaction', '500')
      .option(
        '--tenant <id...>',
        'only these tenants (default: every tenant of the principals file: --config, else DATA/demo-principals.json)',
      ),
  ).action(async (flags) => {
    const days = Number(flags.olderThan);
    const batchSize = Number(flags.batchSize);
    if (!Number.isFinite(days) || days < 0) throw new Error('--older-than must be a number of days >= 0');
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('--batch-size must be a whole number >= 1');
    // The tenants come from the principals, not from the data: a scan for distinct
    // tenant ids would read every shard of a distributed database.
    const tenants = await tenantIdsOf(flags, 'archive');
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    const cutoffMs = Date.now() - days * 86_400_000;
    let moved = 0;
    try {
      for (const tenantId of tenants) {
        const total = await runtime.vault.archive.countOlderThan(tenantId, cutoffMs);
        if (total === 0) continue;
        const progress = new Progress(`archiving ${tenantId}`, total);
        for (;;) {
          const n = await runtime.vault.archive.moveBatch(tenantId, cutoffMs, batchSize);
          if (n === 0) break;
          moved += n;
          progress.tick(n);
        }
        progress.finish();
      }
    } finally {
      await runtime.close();
    }
    process.stdout.write(`moved ${moved} interactions older than ${new Date(cutoffMs).toISOString()} to the archive\n`);
  });
}
