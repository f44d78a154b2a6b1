import { sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * The audit log's monotonic sequence (entries within one millisecond keep
 * their order). PostgreSQL draws it from a sequence; SQLite takes the next
 * rowid inside its IMMEDIATE write transaction and needs no object.
 */
export async function up({ db, schema, dialect }: MigrationContext): Promise<void> {
  if (dialect === 'postgres') await sql`create sequence if not exists ${sql.id(schema, 'audit_seq')}`.execute(db);
}
