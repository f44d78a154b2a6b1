import type { MigrationContext } from '../migrator.js';

/**
 * Governance (issue 14, part 1):
 * - `card_redactions` on interactions and content items: how many card
 *   numbers were masked in what was ingested (the tenant's report sums them);
 * - `sensitive` on content items: the containsSensitiveData marker, whose
 *   download needs its own right;
 * - legal holds (`legal_holds`, and the interactions a hold names in
 *   `legal_hold_interactions`, without limit) and retention policies, in the
 *   main store only: they govern both stores.
 * Every key leads with tenant_id. Columns are added to both stores alike, so
 * an archive move still copies rows column for column.
 */
export async function up({ db, schema, source, text }: MigrationContext): Promise<void> {
  const s = db.withSchema(schema).schema;
  await s
    .alterTable('interactions')
    .addColumn('card_redactions', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await s
    .alterTable('content_items')
    .addColumn('card_redactions', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await s
    .alterTable('content_items')
    .addColumn('sensitive', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  if (source !== 'main') return;

  await s
    .createTable('legal_holds')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('reason', text, (c) => c.notNull())
    /** interactions | contact | query */
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('contact_id', text)
    /** JSON HoldQuery for kind = query. */
    .addColumn('query', text)
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('released_ms', 'bigint')
    .addColumn('released_by', text)
    .addColumn('release_reason', text)
    .addPrimaryKeyConstraint('legal_holds_pk', ['tenant_id', 'id'])
    .execute();
  await s
    .createTable('legal_hold_interactions')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('interaction_id', text, (c) => c.notNull())
    .addColumn('hold_id', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('legal_hold_interactions_pk', ['tenant_id', 'interaction_id', 'hold_id'])
    .execute();

  await s
    .createTable('retention_policies')
    .addColumn('tenant_id', text, (c) => c.notNull())
    /** active | pending | config (the rules last read from the config file) */
    .addColumn('state', text, (c) => c.notNull())
    /** JSON RetentionRule[] */
    .addColumn('rules', text, (c) => c.notNull())
    .addColumn('set_by', text, (c) => c.notNull())
    .addColumn('set_ms', 'bigint', (c) => c.notNull())
    .addColumn('effective_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('retention_policies_pk', ['tenant_id', 'state'])
    .execute();
}
