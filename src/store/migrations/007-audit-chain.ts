import { sql } from 'kysely';
import { entryHash, GENESIS_HASH } from '../../domain/audit.js';
import type { MigrationContext } from '../migrator.js';

const BACKFILL_PAGE = 2000;

/**
 * The audit log becomes a hash chain per tenant (src/domain/audit.ts) and
 * append-only; the tables of erasures (with their signed receipts) and export
 * jobs (with the files each run wrote) are created in the main store.
 *
 * Entries written before this migration are chained in their existing order
 * (time, then sequence), so `audit verify` covers them too. Then the chain
 * position is unique per tenant — two writers can never fork a chain — and
 * triggers refuse every UPDATE and DELETE of an entry (and TRUNCATE on
 * PostgreSQL). Citus refuses a trigger on a distributed table unless asked
 * explicitly: there migration 024 creates the same guard.
 */
export async function up(ctx: MigrationContext): Promise<void> {
  const { db, schema, text, source, createIndex } = ctx;
  const s = db.withSchema(schema).schema;
  await s.alterTable('audit_log').addColumn('chain_no', 'bigint').execute();
  await s.alterTable('audit_log').addColumn('prev_hash', text).execute();
  await s.alterTable('audit_log').addColumn('hash', text).execute();
  await chainExisting(ctx);
  await createIndex('audit_log_chain_uq', 'audit_log', ['tenant_id', 'chain_no'], { unique: true });
  // Search by principal and by interaction (the read-coalescing lookup uses the latter).
  await createIndex('audit_log_actor_ix', 'audit_log', ['tenant_id', 'actor', 'at_ms']);
  await createIndex('audit_log_interaction_ix', 'audit_log', ['tenant_id', 'interaction_id', 'at_ms']);
  await appendOnly(ctx);
  if (source !== 'main') return;

  await s
    .createTable('erasures')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('requested_by', text, (c) => c.notNull())
    .addColumn('requested_ms', 'bigint', (c) => c.notNull())
    .addColumn('finished_ms', 'bigint')
    // The subject's identifiers while the erasure runs (so a crashed one resumes); null once it is done.
    .addColumn('subject', text)
    // HMAC of the subject: matches a resumed request without keeping the identifiers.
    .addColumn('subject_digest', text, (c) => c.notNull())
    // JSON: every interaction found, recorded before the first deletion.
    .addColumn('found', text)
    .addColumn('receipt', text)
    .addPrimaryKeyConstraint('erasures_pk', ['tenant_id', 'id'])
    .execute();
  await createIndex('erasures_digest_ix', 'erasures', ['tenant_id', 'subject_digest', 'status']);

  await s
    .createTable('export_jobs')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('schedule', text)
    .addColumn('delay_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('filters', text, (c) => c.notNull())
    .addColumn('sink', text, (c) => c.notNull())
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .addColumn('run_no', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('window_from_ms', 'bigint')
    .addColumn('window_to_ms', 'bigint')
    .addColumn('after_start_ms', 'bigint')
    .addColumn('after_id', text)
    .addColumn('next_run_ms', 'bigint')
    .addColumn('lease_owner', text)
    .addColumn('lease_until_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('total', 'integer')
    .addColumn('interactions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('files', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('export_jobs_pk', ['tenant_id', 'id'])
    .execute();
  await createIndex('export_jobs_due_ix', 'export_jobs', ['tenant_id', 'status', 'next_run_ms']);

  await s
    .createTable('export_files')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('job_id', text, (c) => c.notNull())
    .addColumn('run_no', 'integer', (c) => c.notNull())
    .addColumn('path', text, (c) => c.notNull())
    .addColumn('interaction_id', text, (c) => c.notNull())
    .addColumn('sha256', text, (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    // The manifest line (JSON) of this file.
    .addColumn('line', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('export_files_pk', ['tenant_id', 'job_id', 'run_no', 'path'])
    .execute();
}

/** Chains the entries already written, tenant by tenant, in their order. */
async function chainExisting({ db, schema }: MigrationContext): Promise<void> {
  const log = db.withSchema(schema);
  const tenants = await log.selectFrom('audit_log').select('tenant_id').distinct().execute();
  for (const { tenant_id: tenantId } of tenants) {
    let prevHash = GENESIS_HASH;
    let chainNo = 0;
    let after: { at_ms: number; seq: string | number } | undefined;
    for (;;) {
      let page = log
        .selectFrom('audit_log')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('at_ms')
        .orderBy('seq')
        .limit(BACKFILL_PAGE);
      if (after) {
        const { at_ms, seq } = after;
        page = page.where((eb) => eb.or([eb('at_ms', '>', at_ms), eb.and([eb('at_ms', '=', at_ms), eb('seq', '>', seq)])]));
      }
      const rows = await page.execute();
      for (const row of rows) {
        chainNo += 1;
        const hash = entryHash({
          tenantId,
          chainNo,
          atMs: Number(row.at_ms),
          actor: row.actor,
          action: row.action,
          interactionId: row.interaction_id,
          contentKey: row.content_key,
          detail: row.detail,
          prevHash,
        });
        await log
          .updateTable('audit_log')
          .set({ chain_no: chainNo, prev_hash: prevHash, hash })
          .where('tenant_id', '=', tenantId)
          .where('at_ms', '=', row.at_ms)
          .where('seq', '=', row.seq)
          .execute();
        prevHash = hash;
      }
      const last = rows.at(-1);
      if (!last || rows.length < BACKFILL_PAGE) break;
      after = { at_ms: last.at_ms, seq: last.seq };
    }
  }
}

async function appendOnly({ db, schema, dialect, tableName }: MigrationContext): Promise<void> {
  const table = tableName('audit_log');
  if (dialect === 'sqlite') {
    for (const event of ['update', 'delete'])
      await sql
        .raw(
          `create trigger "${table}_no_${event}" before ${event} on "${table}" ` +
            `begin select raise(abort, 'the audit log is append-only'); end`,
        )
        .execute(db);
    return;
  }
  const { rows } = await sql<{
    citus: boolean;
  }>`select exists (select 1 from pg_extension where extname = 'citus') as citus`.execute(db);
  if (rows[0]?.citus) return;
  await postgresAppendOnly(db, schema);
}

/** PostgreSQL: the audit log of `schema` refuses UPDATE, DELETE and TRUNCATE (007; 024 on Citus). */
export async function postgresAppendOnly(db: MigrationContext['db'], schema: string): Promise<void> {
  const fn = sql.id(schema, 'audit_log_append_only');
  await sql`create or replace function ${fn}() returns trigger language plpgsql as $$
    begin raise exception 'the audit log is append-only' using errcode = 'insufficient_privilege'; end $$`.execute(db);
  const target = sql.id(schema, 'audit_log');
  await sql`create trigger audit_log_no_change before update or delete on ${target} for each row execute function ${fn}()`.execute(
    db,
  );
  await sql`create trigger audit_log_no_truncate before truncate on ${target} for each statement execute function ${fn}()`.execute(
    db,
  );
}
