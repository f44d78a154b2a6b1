import type { MigrationContext } from '../migrator.js';

/**
 * Small content kept in the database (issue 15 item 4; docs/DECISIONS.md
 * "Small content inline"): `content_blobs` holds the bytes of content up to
 * INLINE_MAX_BYTES (src/blobs/inline.ts), addressed like the blob store by
 * tenant and SHA-256, written in the same transaction as the content row that
 * first references them. Main store only, like the blob store it stands in
 * for: content rows of both stores reference it, and an archive move leaves it
 * where it is. Bytes no row references are dropped by the release that
 * follows a deletion, or by the sweep after a crash.
 */
export async function up({ db, schema, source, dialect, text }: MigrationContext): Promise<void> {
  if (source !== 'main') return;
  await db
    .withSchema(schema)
    .schema.createTable('content_blobs')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('sha256', text, (c) => c.notNull())
    .addColumn('bytes', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('content_blobs_pk', ['tenant_id', 'sha256'])
    .execute();
}
