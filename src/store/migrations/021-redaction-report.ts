import { sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * The redactions report (`GET /api/v1/redactions`) sums the tenant's records
 * and content items with masked card numbers. Without an index it read every
 * row the tenant has, in both stores: at 10M interactions a full scan per
 * request. Partial indexes hold only the rows with a masked number (few, and
 * none at all for a clean ingest, so writes of the others cost nothing), so
 * the report reads exactly those.
 */
export async function up({ createIndex }: MigrationContext): Promise<void> {
  const masked = { where: sql`card_redactions > 0` };
  await createIndex('interactions_card_redactions_ix', 'interactions', ['tenant_id', 'card_redactions'], masked);
  await createIndex('content_items_card_redactions_ix', 'content_items', ['tenant_id', 'card_redactions'], masked);
}
