import { sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';
import { postgresAppendOnly } from './007-audit-chain.js';

/**
 * On Citus, the audit log's append-only guard of migration 007, which 007 left out there: Citus
 * refuses a trigger on a distributed table unless `citus.enable_unsafe_triggers` is on, because a
 * trigger that reads or writes other shards may see or lock the wrong rows. This one only raises:
 * it runs on each shard, on the node that holds it, and reads nothing. Checked on Citus 13.2 (docs/
 * SCALING.md): UPDATE, DELETE and TRUNCATE through the coordinator are refused; a shard move and
 * `isolate_tenant_to_new_shard` still work, and the new shard keeps the guard. Without it an
 * UPDATE of an entry succeeded there and only `audit verify` noticed (test/governance/audit.test.ts).
 */
export async function up({ db, schema, dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  const { rows } = await sql<{
    citus: boolean;
  }>`select exists (select 1 from pg_extension where extname = 'citus') as citus`.execute(db);
  if (!rows[0]?.citus) return;
  await sql`set local citus.enable_unsafe_triggers = on`.execute(db);
  await postgresAppendOnly(db, schema);
}
