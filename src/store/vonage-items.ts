/**
 * The Vonage item of an interactions row in SQL, from the renderings the row
 * mappers keep (interactions.vonage_head, content_items.vonage_json; see
 * domain/vonage-item.ts): what the triggers of migration 010 store in
 * interactions.vonage_item, and what a page joins where that column is NULL.
 * SQLite >= 3.44 and PostgreSQL both have string_agg with ORDER BY.
 */
import { type RawBuilder, sql } from 'kysely';

/** `content`: the content_items table of the row's store; `row`: the interactions row's name in the statement. */
export function vonageItemSql(content: RawBuilder<unknown>, row = 'i'): RawBuilder<string> {
  const r = sql.raw(row);
  return sql<string>`${r}.vonage_head || coalesce((select string_agg(c.vonage_json, ',' order by c.content_key) from ${content} c
    where c.tenant_id = ${r}.tenant_id and c.interaction_id = ${r}.id), '') || ']}'`;
}
