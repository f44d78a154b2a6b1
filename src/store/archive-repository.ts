/**
 * Moving old interactions from the main store to the archive. Each batch is
 * one write transaction in one database (SQLite: one file; PostgreSQL: two
 * schemas of one database) that copies the rows of every table and deletes
 * them from main: after a crash a batch is either wholly moved or wholly still
 * in main. The batch's main rows are locked first (PostgreSQL: FOR UPDATE), so
 * an ingest of the same interaction either finishes before the move (which then
 * moves the new version) or waits and finds the interaction in the archive.
 * The full-text index moves in the same transaction (search over the archive
 * is `source=archive`).
 * Should the archive already hold a copy (left by a version that kept the
 * archive in a separate file), main's copy replaces it: it is the newer one.
 */
import { sql } from 'kysely';
import type { StoreConnection } from './database.js';
import { TextIndex } from './text-index.js';

const TABLES = ['interactions', 'interaction_agents', 'custom_attributes', 'messages', 'content_items', 'text_parts'] as const;

export class ArchiveRepository {
  private readonly texts: TextIndex;

  constructor(private readonly store: StoreConnection) {
    this.texts = new TextIndex(store);
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
    const table = this.store.table;
    return this.store.write(async (trx) => {
      const batch = await this.store
        .on(trx, 'main')
        .selectFrom('interactions')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('start_ms', '<', cutoffMs)
        .orderBy('start_ms')
        .orderBy('id')
        .limit(batchSize)
        .$if(this.store.impl.lockRows, (q) => q.forUpdate())
        .execute();
      const ids = batch.map((r) => r.id);
      if (ids.length === 0) return 0;
      for (const name of TABLES) {
        const key = sql.ref(name === 'interactions' ? 'id' : 'interaction_id');
        const these = sql`tenant_id = ${tenantId} and ${key} in (${sql.join(ids)})`;
        await sql`delete from ${table('archive', name)} where ${these}`.execute(trx);
        await sql`insert into ${table('archive', name)} select * from ${table('main', name)} where ${these}`.execute(trx);
        await sql`delete from ${table('main', name)} where ${these}`.execute(trx);
      }
      // The text moved with text_parts; the archive's engine indexes it, main's forgets it.
      await this.store.impl.fullText.remove(trx, 'main', tenantId, ids);
      await this.texts.refresh(trx, 'archive', tenantId, ids);
      return ids.length;
    });
  }
}
