import type { MigrationContext } from '../migrator.js';

/**
 * When the scrub that followed an erasure ended (src/services/residue.ts): until then the erased words may still
 * be in the SQLite file's full-text index and WAL. A server that stopped before its scrub ended runs one at its next
 * start for the erasures left without it, and `GET /api/v1/erasures/{id}` says which it is.
 */
export async function up({ db, schema, source }: MigrationContext): Promise<void> {
  // Erasure records live in the main store only.
  if (source !== 'main') return;
  await db.withSchema(schema).schema.alterTable('erasures').addColumn('scrubbed_ms', 'bigint').execute();
}
