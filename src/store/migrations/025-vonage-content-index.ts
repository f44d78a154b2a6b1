import { sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * A Vonage search lists only content-bearing interactions, and walked every
 * interaction of its window in `interactions_time_ix` to find them: in issue
 * 15's shape (a recording on every fifth) a page of 1000 read ~3 800 entries
 * for ~770 items. This index holds only the interactions with content (its
 * entries are made by their first upload; ingest of the others pays nothing),
 * with the columns the Vonage filters read. On SQLite it also carries the
 * item kept ready (`vonage_item`, migration 010), so a page is read from the
 * index alone instead of one table look-up per item: the statement of a page
 * of 1000 took half the time (docs/BENCHMARKS.md, "Session 12"). PostgreSQL
 * leaves the item out: a B-tree entry there may not exceed ~2.7 KB, and an
 * interaction with many content items has a larger item.
 */
export async function up({ createIndex, dialect }: MigrationContext): Promise<void> {
  const filters = ['tenant_id', 'start_ms', 'id', 'media_type', 'direction', 'connect_from', 'connect_to'];
  const columns = dialect === 'sqlite' ? [...filters, 'vonage_item'] : filters;
  await createIndex('interactions_content_time_ix', 'interactions', columns, { where: sql`content_count > 0` });
}
