/**
 * Moving old interactions from the main store to the archive. Each batch is
 * copied in one transaction, and deleted from main in a second one once the
 * copy has committed. On SQLite the two stores are two files, and a transaction
 * over attached WAL databases is atomic per file only: with copy and delete in
 * one transaction, a crash between the two files' commits could keep the delete
 * and lose the copy. Now a crash at any point leaves the batch in main, or in
 * both stores; the copy skips rows the archive already has, so the next run
 * completes it: nothing is lost or left twice.
 */
import { sql } from 'kysely';
import type { StoreConnection } from './database.js';

const TABLES = ['interactions', 'interaction_agents', 'custom_attributes', 'messages', 'content_items'] as const;

export class ArchiveRepository {
  constructor(private readonly store: StoreConnection) {}

  async tenants(): Promise<string[]> {
    const rows = await this.store.in('main').selectFrom('interactions').select('tenant_id').distinct().execute();
    return rows.map((r) => r.tenant_id);
  }

  async countOlderThan(tenantId: string, cutoffMs: number): Promise<number> {
    const row = await this.store
      .in('main')
      .selectFrom('interactions')
      .select(sql<number>`count(*)`.as('n'))
      .where('tenant_id', '=', tenantId)
      .where('start_ms', '<', cutoffMs)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Moves up to `batchSize` interactions that started before the cutoff; returns how many moved. */
  async moveBatch(tenantId: string, cutoffMs: number, batchSize: number): Promise<number> {
    const main = this.store.schemaOf('main');
    const archive = this.store.schemaOf('archive');
    const ids = await this.store.db.transaction().execute(async (trx) => {
      const batch = await trx
        .withSchema(main)
        .selectFrom('interactions')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('start_ms', '<', cutoffMs)
        .orderBy('start_ms')
        .limit(batchSize)
        .execute();
      const selected = batch.map((r) => r.id);
      if (selected.length === 0) return selected;
      for (const table of TABLES) {
        const key = sql.ref(table === 'interactions' ? 'id' : 'interaction_id');
        await sql`insert into ${sql.id(archive, table)}
          select * from ${sql.id(main, table)} where tenant_id = ${tenantId} and ${key} in (${sql.join(selected)})
          on conflict do nothing`.execute(trx);
      }
      return selected;
    });
    if (ids.length === 0) return 0;
    // Only after the copy has committed.
    await this.store.db.transaction().execute(async (trx) => {
      for (const table of TABLES) {
        const key = sql.ref(table === 'interactions' ? 'id' : 'interaction_id');
        await sql`delete from ${sql.id(main, table)} where tenant_id = ${tenantId} and ${key} in (${sql.join(ids)})`.execute(trx);
      }
    });
    return ids.length;
  }
}
