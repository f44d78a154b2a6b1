/** `ixvault reindex`: rebuild the full-text index from the stored records, online, with progress. */
import type { Command } from 'commander';
import { addStoreOptions, openFromFlags, tenantIdsOf } from './common.js';
import { Progress } from './progress.js';

export function registerReindex(program: Command): void {
  addStoreOptions(
    program
      .command('reindex')
      .description(
        'Rebuild the full-text search index (subject, comment, messages, transcripts, file names) of the main store ' +
          'and the archive from the stored records, while the service runs: each batch is one short transaction',
      )
      .option('--batch-size <n>', 'interactions per transaction', '200')
      .option(
        '--tenant <id...>',
        'only these tenants (default: every tenant of the principals file: --config, else DATA/demo-principals.json)',
      )
      .option('--source <store>', 'main, archive or both', 'both'),
  ).action(async (flags) => {
    const batchSize = Number(flags.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('--batch-size must be a whole number >= 1');
    const sources = flags.source === 'both' ? (['main', 'archive'] as const) : [flags.source];
    for (const source of sources)
      if (source !== 'main' && source !== 'archive') throw new Error('--source must be main, archive or both');
    // The tenants come from the principals, not from a scan of the data (see `archive`).
    const tenants = await tenantIdsOf(flags, 'reindex');
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    let done = 0;
    try {
      for (const tenantId of tenants) {
        for (const source of sources as ('main' | 'archive')[]) {
          const total = await runtime.vault.countInteractions(tenantId, source);
          if (total === 0) continue;
          const progress = new Progress(`reindexing ${tenantId} (${source})`, total);
          done += await runtime.vault.reindex(tenantId, source, batchSize, (n) => progress.tick(n));
          progress.finish();
        }
      }
    } finally {
      await runtime.close();
    }
    process.stdout.write(`reindexed ${done} interactions\n`);
  });
}
