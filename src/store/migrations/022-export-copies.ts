import type { MigrationContext } from '../migrator.js';

/**
 * An erasure names the export runs that still hold copies of what it removed
 * (`ExportRepository.copiesOf`): the tenant's export files looked up by
 * interaction. The table's key leads with job and run, so without this index
 * each erasure read every file every export of the tenant ever wrote — a
 * daily export of everything makes that the largest table of a tenant.
 */
export async function up({ source, createIndex }: MigrationContext): Promise<void> {
  // Export jobs and their files live in the main store only.
  if (source !== 'main') return;
  await createIndex('export_files_interaction_ix', 'export_files', ['tenant_id', 'interaction_id']);
}
