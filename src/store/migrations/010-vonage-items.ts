import { type RawBuilder, sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';
import { vonageItemSql } from '../vonage-items.js';

/**
 * Each content-bearing interaction keeps its WHOLE Vonage item ready
 * (`interactions.vonage_item`: its `vonage_head`, its content items'
 * `vonage_json` in content-key order, `]}`), so that a search page is one
 * index range read of one column (issue 15; docs/DECISIONS.md "A Vonage page
 * is one statement"). The database keeps it, by triggers, on every write that
 * can change it, whoever makes the write (ingest, PATCH, uploads, deletions,
 * archive moves, erasure):
 * - a content row inserted, changed or deleted renders its interaction again;
 * - an interaction whose head changes, or one inserted with content already
 *   counted and no item (a copy from the other store brings its item along),
 *   is rendered again. An interaction without content has none: the
 *   search never lists it, and ingest pays nothing for the column.
 * A NULL item is always correct to read: the page then joins the parts itself
 * (SearchRepository.vonagePage). Citus refuses such triggers on distributed
 * tables, so there the column stays NULL and pages join the parts.
 */
export async function up(ctx: MigrationContext): Promise<void> {
  const { db, schema, dialect, tableName } = ctx;
  await db.withSchema(schema).schema.alterTable('interactions').addColumn('vonage_item', ctx.text).execute();
  // SQLite's triggers name the tables of their own schema unqualified.
  const content = dialect === 'sqlite' ? sql.id(tableName('content_items')) : sql.id(schema, 'content_items');
  const item = vonageItemSql(content);
  await sql`update ${sql.id(schema, tableName('interactions'))} as i set vonage_item = ${item} where i.content_count > 0`.execute(
    db,
  );
  if (dialect === 'sqlite') await sqliteTriggers(ctx, item);
  else await postgresTriggers(ctx, item);
}

async function sqliteTriggers({ db, tableName }: MigrationContext, item: RawBuilder<unknown>): Promise<void> {
  const interactions = tableName('interactions');
  const content = tableName('content_items');
  // `i` is the row being rendered again.
  const render = (row: 'new' | 'old', key: string) =>
    sql`update ${sql.id(interactions)} as i set vonage_item = ${item}
      where i.tenant_id = ${sql.raw(`${row}.tenant_id`)} and i.id = ${sql.raw(`${row}.${key}`)};`;
  const trigger = (name: string, body: RawBuilder<unknown>) => sql`create trigger ${sql.id(name)} ${body}`.execute(db);
  await trigger(`${content}_vonage_insert`, sql`after insert on ${sql.id(content)} begin ${render('new', 'interaction_id')} end`);
  await trigger(`${content}_vonage_delete`, sql`after delete on ${sql.id(content)} begin ${render('old', 'interaction_id')} end`);
  await trigger(
    `${content}_vonage_update`,
    sql`after update on ${sql.id(content)} begin ${render('old', 'interaction_id')} ${render('new', 'interaction_id')} end`,
  );
  await trigger(
    `${interactions}_vonage_head`,
    sql`after update of vonage_head on ${sql.id(interactions)} when new.content_count > 0 begin ${render('new', 'id')} end`,
  );
  await trigger(
    `${interactions}_vonage_insert`,
    sql`after insert on ${sql.id(interactions)} when new.content_count > 0 and new.vonage_item is null begin ${render('new', 'id')} end`,
  );
}

async function postgresTriggers({ db, schema }: MigrationContext, item: RawBuilder<unknown>): Promise<void> {
  const { rows } = await sql<{
    citus: boolean;
  }>`select exists (select 1 from pg_extension where extname = 'citus') as citus`.execute(db);
  if (rows[0]?.citus) return;
  const interactions = sql.id(schema, 'interactions');
  const content = sql.id(schema, 'content_items');
  const render = (row: 'new' | 'old') =>
    sql`update ${interactions} as i set vonage_item = ${item} where i.tenant_id = ${sql.raw(`${row}.tenant_id`)} and i.id = ${sql.raw(`${row}.interaction_id`)};`;
  const onContent = sql.id(schema, 'vonage_item_on_content');
  await sql`create or replace function ${onContent}() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' then ${render('old')} end if;
      if tg_op <> 'DELETE' then ${render('new')} end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger vonage_item_on_content after insert or update or delete on ${content}
    for each row execute function ${onContent}()`.execute(db);
  // On the interaction itself, before the row is written: the new row gets its item, no second update.
  const onHead = sql.id(schema, 'vonage_item_on_head');
  await sql`create or replace function ${onHead}() returns trigger language plpgsql as $$
    begin
      new.vonage_item := ${vonageItemSql(content, 'new')};
      return new;
    end $$`.execute(db);
  await sql`create trigger vonage_item_on_head before update of vonage_head on ${interactions}
    for each row when (new.content_count > 0) execute function ${onHead}()`.execute(db);
  await sql`create trigger vonage_item_on_insert before insert on ${interactions}
    for each row when (new.content_count > 0 and new.vonage_item is null) execute function ${onHead}()`.execute(db);
}
