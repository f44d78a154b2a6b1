import type { Kysely } from 'kysely';
import { orderAgents } from '../../domain/interaction.js';
import { vonageContentJson, vonageItemHead } from '../../domain/vonage-item.js';
import type { MigrationContext } from '../migrator.js';
import { rowToContent, rowToInteraction } from '../rows.js';
import type { Database } from '../schema.js';

/**
 * Vonage renderings kept ready (issue 15; docs/DECISIONS.md "Vonage pages from
 * renderings kept ready"):
 * - `interactions.vonage_head`: the item's JSON up to its content list;
 * - `content_items.vonage_json`: each content item's JSON.
 * Both are written by the row mappers (rows.ts) on every write of their row,
 * in both stores alike, so an archive move copies them column for column.
 * Rows already stored get theirs here, rendered by the same functions, in
 * batches of BATCH keyed on the primary key. '' is never a rendering: the
 * default only lets the column be NOT NULL on both databases.
 */
const BATCH = 2000;

export async function up({ db, schema, text }: MigrationContext): Promise<void> {
  const s = db.withSchema(schema).schema;
  await s
    .alterTable('interactions')
    .addColumn('vonage_head', text, (c) => c.notNull().defaultTo(''))
    .execute();
  await s
    .alterTable('content_items')
    .addColumn('vonage_json', text, (c) => c.notNull().defaultTo(''))
    .execute();
  await renderStoredRows(db.withSchema(schema));
}

/** Writes the renderings of every row of one store with the functions the row mappers use. */
export async function renderStoredRows(q: Kysely<Database>): Promise<void> {
  let after: { tenant: string; id: string } | undefined;
  for (;;) {
    const from = after;
    const rows = await q
      .selectFrom('interactions')
      .select(['tenant_id', 'id', 'guid', 'media_type', 'type_id', 'state', 'start_ms', 'owner_id', 'connect_from', 'connect_to'])
      .$if(from !== undefined, (b) =>
        b.where((eb) => eb(eb.refTuple('tenant_id', 'id'), '>', eb.tuple(from?.tenant ?? '', from?.id ?? ''))),
      )
      .orderBy('tenant_id')
      .orderBy('id')
      .limit(BATCH)
      .execute();
    const last = rows[rows.length - 1];
    if (!last) break;
    const agents = await q
      .selectFrom('interaction_agents')
      .select(['tenant_id', 'interaction_id', 'agent_id'])
      .where((eb) =>
        eb.or(
          [...new Set(rows.map((r) => r.tenant_id))].map((tenant) =>
            eb.and([
              eb('tenant_id', '=', tenant),
              eb(
                'interaction_id',
                'in',
                rows.filter((r) => r.tenant_id === tenant).map((r) => r.id),
              ),
            ]),
          ),
        ),
      )
      .execute();
    const agentsOf = new Map<string, string[]>();
    for (const a of agents) {
      const key = `${a.tenant_id}\u0000${a.interaction_id}`;
      agentsOf.set(key, [...(agentsOf.get(key) ?? []), a.agent_id]);
    }
    for (const r of rows) {
      const record = rowToInteraction(r, orderAgents(r.owner_id, agentsOf.get(`${r.tenant_id}\u0000${r.id}`) ?? []));
      await q
        .updateTable('interactions')
        .set({ vonage_head: vonageItemHead(record) })
        .where('tenant_id', '=', r.tenant_id)
        .where('id', '=', r.id)
        .execute();
    }
    after = { tenant: last.tenant_id, id: last.id };
  }

  let afterItem: { tenant: string; id: string; key: string } | undefined;
  for (;;) {
    const from = afterItem;
    const rows = await q
      .selectFrom('content_items')
      .selectAll()
      .$if(from !== undefined, (b) =>
        b.where((eb) =>
          eb(
            eb.refTuple('tenant_id', 'interaction_id', 'content_key'),
            '>',
            eb.tuple(from?.tenant ?? '', from?.id ?? '', from?.key ?? ''),
          ),
        ),
      )
      .orderBy('tenant_id')
      .orderBy('interaction_id')
      .orderBy('content_key')
      .limit(BATCH)
      .execute();
    const last = rows[rows.length - 1];
    if (!last) break;
    for (const r of rows) {
      await q
        .updateTable('content_items')
        .set({ vonage_json: vonageContentJson(rowToContent(r)) })
        .where('tenant_id', '=', r.tenant_id)
        .where('interaction_id', '=', r.interaction_id)
        .where('content_key', '=', r.content_key)
        .execute();
    }
    afterItem = { tenant: last.tenant_id, id: last.interaction_id, key: last.content_key };
  }
}
