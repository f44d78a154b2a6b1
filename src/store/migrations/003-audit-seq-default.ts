import { sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * The audit log's sequence number becomes the column's own default:
 * PostgreSQL makes `seq` a bigint drawn from `audit_seq` by the insert itself.
 *
 * Why: 002 left the sequence a free-standing object that the application
 * called `nextval()` on. Citus copies only the sequences that a distributed
 * table's column default uses to the other nodes, so an ixvault attached to a
 * Citus worker could not write an audit entry ("relation … does not exist").
 * As the default of a bigint column Citus creates it on every node, each with
 * a range of its own (docs/SCALING.md: order is per node there).
 *
 * The column was zero-padded text (text order = numeric order); `seq::bigint`
 * keeps every existing entry's value and order, and the same sequence goes on
 * from where it is. Citus refuses a nextval default together with other
 * subcommands, hence two statements.
 *
 * SQLite keeps its zero-padded text column: it numbers entries inside its
 * IMMEDIATE write transaction (no sequence object, no other node).
 */
export async function up({ db, schema, dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  const table = sql.id(schema, 'audit_log');
  await sql`alter table ${table} alter column seq type bigint using seq::bigint`.execute(db);
  const sequence = sql.lit(`${quoteIdent(schema)}.audit_seq`);
  await sql`alter table ${table} alter column seq set default nextval(${sequence}::regclass)`.execute(db);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
