/**
 * Moving old interactions from the main store to the archive. Each batch is
 * one transaction that copies the rows of every table and deletes them from
 * main. The copy skips rows the archive already has, so a batch cut short by a
 * crash (or, on SQLite in WAL mode, a commit that reached only one of the two
 * files) is completed by the next run: nothing is lost or left twice.
 */
import { sql } from 'kysely';
import type { StoreConnection } from './database.js';

const TABLES = ['interactions', 'interaction_agents', 'custom_attributes', 'messages', 'content_items'] as const;

export class ArchiveRepository {
  constructor(private readonly store: StoreConnection) {}

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
    return this.store.db.transaction().execute(async (trx) => {
      const batch = await trx
        .withSchema(main)
        .selectFrom('interactions')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('start_ms', '<', cutoffMs)
        .orderBy('start_ms')
        .limit(batchSize)
        .execute();
      const ids = batch.map((r) => r.id);
      if (ids.length === 0) return 0;
      for (const table of TABLES) {
        const key = sql.ref(table === 'interactions' ? 'id' : 'interaction_id');
        await sql`insert into ${sql.id(archive, table)}
          select * from ${sql.id(main, table)} where tenant_id = ${tenantId} and ${key} in (${sql.join(ids)})
          on conflict do nothing`.execute(trx);
        await sql`delete from ${sql.id(main, table)} where tenant_id = ${tenantId} and ${key} in (${sql.join(ids)})`.execute(trx);
      }
      return ids.length;
    });
  }
}
