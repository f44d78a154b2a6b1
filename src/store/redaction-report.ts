/** The tenant's report of card numbers masked on ingest: sums over both stores. */
import { sql } from 'kysely';
import type { Source } from '../domain/search.js';
import type { StoreConnection } from './database.js';

export interface RedactionReport {
  /** Interaction records with at least one masked card number, and how many were masked in their texts. */
  records: { interactions: number; cardNumbers: number };
  /** Content items (textual uploads) with masked card numbers, and how many. */
  content: { items: number; cardNumbers: number };
}

export async function redactionReport(store: StoreConnection, tenantId: string): Promise<RedactionReport> {
  const report: RedactionReport = { records: { interactions: 0, cardNumbers: 0 }, content: { items: 0, cardNumbers: 0 } };
  for (const source of ['main', 'archive'] as const) {
    const records = await maskedRows(store, source, 'interactions', tenantId).executeTakeFirst();
    const content = await maskedRows(store, source, 'content_items', tenantId).executeTakeFirst();
    report.records.interactions += Number(records?.n ?? 0);
    report.records.cardNumbers += Number(records?.total ?? 0);
    report.content.items += Number(content?.n ?? 0);
    report.content.cardNumbers += Number(content?.total ?? 0);
  }
  return report;
}

/** The tenant's rows with masked card numbers, counted and summed: read from their partial index (migration 021). */
export function maskedRows(store: StoreConnection, source: Source, table: 'interactions' | 'content_items', tenantId: string) {
  return store
    .in(source)
    .selectFrom(table)
    .select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(card_redactions), 0)`.as('total')])
    .where('tenant_id', '=', tenantId)
    .where('card_redactions', '>', 0);
}
