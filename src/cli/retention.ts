/** `ixvault retention run [--dry-run]`: apply (or only report) each tenant's retention policy now. */
import type { Command } from 'commander';
import { addStoreOptions, noTenants, openFromFlags, principalsOf } from './common.js';
import { Progress } from './progress.js';

export function registerRetention(program: Command): void {
  const retention = program
    .command('retention')
    .description('Retention policies (set them in the principals file or with PUT /api/v1/retention)');
  addStoreOptions(
    retention
      .command('run')
      .description(
        "Remove what each tenant's active retention policy has outlived (legal holds keep what they cover) and print a report",
      )
      .option('--dry-run', 'remove nothing: report what would be removed and what holds keep')
      .option('--pending', 'with --dry-run: report for the pending policy change instead of the active policy')
      .option(
        '--tenant <id...>',
        'only these tenants (default: every tenant of the principals file: --config, else DATA/demo-principals.json)',
      )
      .option('--json', 'print the report as JSON'),
  ).action(async (flags) => {
    if (flags.pending && !flags.dryRun)
      throw new Error('--pending shows what a pending change would remove: use it with --dry-run');
    const principals = await principalsOf(flags);
    if (principals.tenants.length === 0) throw noTenants('apply retention to');
    const { runtime } = await openFromFlags(flags, principals);
    try {
      await runtime.retention.syncConfig();
      const tenants = [...runtime.directory.tenants.values()].filter((t) => !flags.tenant || flags.tenant.includes(t.id));
      const unknown = (flags.tenant ?? []).filter((id: string) => !runtime.directory.tenants.has(id));
      if (unknown.length > 0) throw new Error(`no tenant ${unknown.join(', ')} in the principals file`);
      const reports = [];
      for (const tenant of tenants) {
        const progress = new Progress(`retention ${tenant.id}${flags.dryRun ? ' (dry run)' : ''}`);
        const report = await runtime.retention.run(tenant, {
          dryRun: Boolean(flags.dryRun),
          policy: flags.pending ? 'pending' : 'active',
          onProgress: () => progress.tick(),
        });
        progress.finish();
        reports.push(report);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      else
        for (const r of reports) {
          const verb = r.dryRun ? 'would remove' : 'removed';
          process.stdout.write(
            `${r.tenantId} (${r.policy} policy, ${r.rules.length} rules): ${verb} ${r.interactions.removed} interactions and ` +
              `${r.content.removed} content items; legal holds keep ${r.interactions.held} interactions and ${r.content.held} content items\n`,
          );
          for (const id of r.interactions.ids) process.stdout.write(`  interaction ${id}\n`);
          for (const c of r.content.items) process.stdout.write(`  content ${c.interactionId}/${c.contentKey}\n`);
        }
    } finally {
      await runtime.close();
    }
  });
}
