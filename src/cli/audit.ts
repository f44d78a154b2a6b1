/**
 * `ixvault audit verify | search | export`: the tenant's tamper-evident audit
 * log from the command line (an operator with access to the database; the
 * native API has the same for admins).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { AuditFilter } from '../store/audit-repository.js';
import { addStoreOptions, openFromFlags, type StoreFlags, tenantIdsOf } from './common.js';
import { Progress } from './progress.js';

interface FilterFlags {
  principal?: string;
  interaction?: string;
  action?: string;
  from?: string;
  to?: string;
}

function addFilterOptions(command: Command): Command {
  return command
    .requiredOption('--tenant <id>', 'the tenant whose log to read')
    .option('--principal <who>', 'only entries of this principal: user:<tenant>/<id> or client:<tenant>/<clientId>')
    .option('--interaction <id>', 'only entries about this interaction')
    .option('--action <name>', 'only this action (content.read, content.delete, interaction.delete, export.item, erasure, …)')
    .option('--from <instant>', 'only entries at or after this ISO 8601 instant')
    .option('--to <instant>', 'only entries at or before this ISO 8601 instant');
}

function filterOf(flags: FilterFlags): AuditFilter {
  const instant = (flag: string, value: string) => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new Error(`--${flag} must be an ISO 8601 instant, got '${value}'`);
    return ms;
  };
  const filter: AuditFilter = {};
  if (flags.principal) filter.actor = flags.principal;
  if (flags.interaction) filter.interactionId = flags.interaction;
  if (flags.action) filter.action = flags.action;
  if (flags.from) filter.fromMs = instant('from', flags.from);
  if (flags.to) filter.toMs = instant('to', flags.to);
  return filter;
}

const entryLine = ({ atMs, ...rest }: { atMs: number }) => `${JSON.stringify({ at: new Date(atMs).toISOString(), ...rest })}\n`;

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description("Verify, search and export a tenant's tamper-evident audit log");

  addStoreOptions(
    audit
      .command('verify')
      .description("Check each tenant's hash chain from its first entry; name the first broken entry (exit code 1)")
      .option(
        '--tenant <id...>',
        'only these tenants (default: every tenant of the principals file: --config, else DATA/demo-principals.json)',
      ),
  ).action(async (flags: StoreFlags & { tenant?: string[] }) => {
    const tenants = await tenantIdsOf(flags, 'verify');
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    let broken = 0;
    try {
      for (const tenantId of tenants) {
        const progress = new Progress(`verifying ${tenantId}`);
        let seen = 0;
        const report = await runtime.vault.audits.verify(tenantId, (checked) => {
          progress.tick(checked - seen);
          seen = checked;
        });
        progress.finish();
        if (report.broken) {
          broken++;
          process.stdout.write(
            `${tenantId}: BROKEN at entry ${report.broken.chainNo}: ${report.broken.reason} (${report.entries} entries before it are intact)\n`,
          );
        } else if (report.head) {
          process.stdout.write(
            `${tenantId}: ${report.entries} entries, chain intact; head #${report.head.chainNo} ${report.head.hash} (keep it to detect a rewrite of the end)\n`,
          );
        } else process.stdout.write(`${tenantId}: no entries\n`);
      }
    } finally {
      await runtime.close();
    }
    if (broken > 0) process.exitCode = 1;
  });

  addStoreOptions(
    addFilterOptions(audit.command('search').description('Entries matching every filter, newest first, as JSON lines')).option(
      '--limit <n>',
      'at most this many entries',
      '100',
    ),
  ).action(async (flags: StoreFlags & FilterFlags & { tenant: string; limit: string }) => {
    const limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a whole number >= 1');
    const filter = filterOf(flags);
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    try {
      const page = await runtime.vault.audits.search(flags.tenant, filter, { limit });
      for (const entry of page.entries) process.stdout.write(entryLine(entry));
    } finally {
      await runtime.close();
    }
  });

  addStoreOptions(
    addFilterOptions(
      audit
        .command('export')
        .description('Every entry matching the filters, oldest first, as JSON lines (the export is itself audited)'),
    ),
  ).action(async (flags: StoreFlags & FilterFlags & { tenant: string }) => {
    const filter = filterOf(flags);
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    try {
      await runtime.vault.audits.append(flags.tenant, {
        atMs: Date.now(),
        actor: `cli:${userInfo().username}`,
        action: 'audit.export',
        interactionId: '',
        detail: { filter: { ...filter } },
      });
      const progress = new Progress('exporting audit entries');
      for await (const entry of runtime.vault.audits.scan(flags.tenant, filter)) {
        if (!process.stdout.write(entryLine(entry))) await new Promise((resolve) => process.stdout.once('drain', resolve));
        progress.tick();
      }
      progress.finish();
    } finally {
      await runtime.close();
    }
  });
}
