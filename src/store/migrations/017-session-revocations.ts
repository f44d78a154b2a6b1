import type { MigrationContext } from '../migrator.js';

/**
 * When each user last signed out of the console (`DELETE /api/v1/session`):
 * a session cookie signed before it is refused on every node, so that a
 * copied cookie dies with the sign-out instead of living out its 12 hours.
 * One row a user who ever signed out; main store only.
 */
export async function up({ db, schema, source, text }: MigrationContext): Promise<void> {
  if (source !== 'main') return;
  await db
    .withSchema(schema)
    .schema.createTable('session_revocations')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('user_id', text, (c) => c.notNull())
    .addColumn('signed_out_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('session_revocations_pk', ['tenant_id', 'user_id'])
    .execute();
}
