import type { MigrationContext } from '../migrator.js';

/**
 * Legal holds read page by page: a hold's interactions by the hold (its
 * primary key leads with the interaction, which is what the deletion and write
 * checks ask), and a tenant's holds newest first. A hold may name millions of
 * interactions; without these both listings read every row the tenant has.
 */
export async function up({ source, createIndex }: MigrationContext): Promise<void> {
  if (source !== 'main') return;
  await createIndex('legal_hold_interactions_hold_ix', 'legal_hold_interactions', ['tenant_id', 'hold_id', 'interaction_id']);
  await createIndex('legal_holds_created_ix', 'legal_holds', ['tenant_id', 'created_ms', 'id']);
}
