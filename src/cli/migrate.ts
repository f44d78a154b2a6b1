import type { Command } from 'commander';
import { addStoreOptions, openFromFlags } from './common.js';

export function registerMigrate(program: Command): void {
  addStoreOptions(
    program
      .command('migrate')
      .description('Apply database migrations to the main and archive stores (serve does this at start too)'),
  ).action(async (flags) => {
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    const applied = runtime.migrationsApplied;
    process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    await runtime.close();
  });
}
