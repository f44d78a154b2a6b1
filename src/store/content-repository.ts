/** Content item metadata (the bytes live in the blob store). */
import { sql, type Transaction } from 'kysely';
import type { AuditEntry } from '../domain/audit.js';
import { errors } from '../domain/errors.js';
import type { ContentItem } from '../domain/interaction.js';
import type { Visibility } from '../domain/principal.js';
import type { Source } from '../domain/search.js';
import type { TextPart } from '../domain/texts.js';
import type { AuditRepository } from './audit-repository.js';
import { chunkValues } from './chunks.js';
import type { StoreConnection } from './database.js';
import { GroupCommit, type Outcome } from './group-commit.js';
import { blockingHolds } from './hold-repository.js';
import { type InteractionRepository, looksLikeGuid, visibleToAgent } from './interaction-repository.js';
import { contentToRow, rowToContent } from './rows.js';
import type { ContentItemsTable, Database } from './schema.js';

type MainDb = ReturnType<StoreConnection['on']>;

/** The key of a content row: what an upload of an existing item does not change. */
const KEY_COLUMNS = new Set<string>(['tenant_id', 'interaction_id', 'content_key']);

function replacedColumns(row: ContentItemsTable): (keyof ContentItemsTable)[] {
  return (Object.keys(row) as (keyof ContentItemsTable)[]).filter((c) => !KEY_COLUMNS.has(c));
}

/** The indexes of `items` by tenant (those `tenantOf` gives one). */
function byTenant<T>(items: T[], tenantOf: (item: T, index: number) => string | undefined): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [i, item] of items.entries()) {
    const tenantId = tenantOf(item, i);
    if (tenantId !== undefined) out.set(tenantId, [...(out.get(tenantId) ?? []), i]);
  }
  return out;
}

export type ContentDeletion =
  | { deleted: true; interactionId: string; sha256: string }
  | { deleted: false; interactionId: string; sha256: string; holds: string[] };

/** One upload's metadata write (ContentRepository.put), as a group commit queues it. */
interface ContentWrite {
  visibility: Visibility;
  idOrGuid: string;
  item: ContentItem;
  texts: TextPart[];
  inline?: Buffer;
}

type Stored = { interactionId: string; replacedSha256?: string };

export class ContentRepository {
  /** Uploads in flight are written together, a few statements per group (see group-commit.ts). */
  private readonly uploads: GroupCommit<ContentWrite, Stored>;

  constructor(
    private readonly store: StoreConnection,
    private readonly interactions: InteractionRepository,
    private readonly audits: AuditRepository,
  ) {
    // Two writes of one interaction's key never share a group: the second replaces the first.
    this.uploads = new GroupCommit(
      store,
      (trx, batch) => this.writeBatch(trx, batch),
      (w) => JSON.stringify([w.visibility.tenantId, w.idOrGuid, w.item.contentKey]),
    );
  }

  /**
   * Stores an item's metadata, replacing an item with the same key, and sets
   * the interaction's content count from its content rows, in one write
   * transaction that holds the interaction row's lock: a re-ingest or another
   * upload of the same interaction waits, so the count always matches the
   * rows. Returns the replaced item's hash once the transaction's commit is
   * durable (power loss cannot undo it); concurrent calls share a transaction.
   * `inline`: the item's bytes, kept in the database (src/blobs/inline.ts) in
   * the same transaction; without it they are in the blob store.
   */
  put(visibility: Visibility, idOrGuid: string, item: ContentItem, texts: TextPart[] = [], inline?: Buffer): Promise<Stored> {
    return this.uploads.run(inline ? { visibility, idOrGuid, item, texts, inline } : { visibility, idOrGuid, item, texts });
  }

  /**
   * A group of uploads' writes, each statement for the whole group: resolve
   * and lock the interactions, read the items being replaced, check holds
   * where bytes are replaced; then refusals are settled and the rest is
   * written — the bytes kept inline, the content rows, the content counts —
   * and re-indexed where texts changed. The keys are distinct (GroupCommit).
   */
  private async writeBatch(root: Transaction<Database>, batch: ContentWrite[]): Promise<Outcome<Stored>[]> {
    const outcomes: (Outcome<Stored> | undefined)[] = batch.map(() => undefined);
    const { ids, previous } = await this.resolveLocked(root, batch);
    const main = this.store.on(root, 'main');
    const writes: { i: number; tenantId: string; id: string; replaced?: string }[] = [];
    const latest = new Map<string, { sha256: string; write: number }>();
    for (const [i, w] of batch.entries()) {
      const id = ids[i];
      if (!id) {
        outcomes[i] = { ok: false, error: errors.interactionNotFound(w.idOrGuid) };
        continue;
      }
      const tenantId = w.visibility.tenantId;
      // One item named twice in a group (once by id, once by guid): the later write replaces the earlier's.
      const slot = JSON.stringify([id, w.item.contentKey]);
      const earlier = latest.get(slot);
      const replaced = earlier ? earlier.sha256 : previous.get(slot);
      // Replacing held bytes would delete them: refused like a deletion.
      if (replaced !== undefined && replaced !== w.item.sha256) {
        const holds = await blockingHolds(this.store, root, tenantId, id, 'main');
        if (holds.length > 0) {
          outcomes[i] = { ok: false, error: errors.interactionHeld(id, holds) };
          continue;
        }
      }
      writes.push(replaced === undefined ? { i, tenantId, id } : { i, tenantId, id, replaced });
      latest.set(slot, { sha256: w.item.sha256, write: writes.length - 1 });
    }
    const last = new Set([...latest.values()].map((l) => l.write));
    if (writes.length > 0) {
      const inline = new Map<string, { tenant_id: string; sha256: string; bytes: Buffer }>();
      for (const { i, tenantId } of writes) {
        const w = batch[i] as ContentWrite;
        if (w.inline) inline.set(`${tenantId}/${w.item.sha256}`, { tenant_id: tenantId, sha256: w.item.sha256, bytes: w.inline });
      }
      const rows = writes
        .filter((_, k) => last.has(k))
        .map(({ i, tenantId, id }) => contentToRow(tenantId, id, (batch[i] as ContentWrite).item));
      if (this.store.impl.writableCtes) await this.writeRowsAtOnce(root, [...inline.values()], rows);
      else {
        if (inline.size > 0) await this.insertBlobs(main, [...inline.values()]).execute();
        await this.upsertItems(main, rows).execute();
        for (const [tenantId, members] of byTenant(writes, (w) => w.tenantId))
          await this.recount(root, tenantId, [...new Set(members.map((k) => (writes[k] as { id: string }).id))]);
      }
      for (const { i, tenantId, id, replaced } of writes) {
        const w = batch[i] as ContentWrite;
        // A new item without texts (a recording, no file name) changes nothing the index holds.
        if (replaced !== undefined || w.texts.length > 0)
          await this.interactions.texts.writeContent(root, 'main', tenantId, id, w.item.contentKey, w.texts);
        outcomes[i] = {
          ok: true,
          value: replaced === undefined ? { interactionId: id } : { interactionId: id, replacedSha256: replaced },
        };
      }
    }
    return outcomes.map((o) => o ?? { ok: false, error: new Error('content write: no outcome') });
  }

  /**
   * The bytes kept inline. `do update`, not `do nothing`: it locks bytes already there until this commits,
   * so a concurrent dropUnreferenced (which locks them before it counts references) waits and then sees
   * the new rows.
   */
  private insertBlobs(main: MainDb, blobs: { tenant_id: string; sha256: string; bytes: Buffer }[]) {
    return main
      .insertInto('content_blobs')
      .values(blobs)
      .onConflict((oc) => oc.columns(['tenant_id', 'sha256']).doUpdateSet((eb) => ({ sha256: eb.ref('excluded.sha256') })));
  }

  /** The content rows, each replacing the item of its key. */
  private upsertItems(main: MainDb, rows: ContentItemsTable[]) {
    return main
      .insertInto('content_items')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'interaction_id', 'content_key'])
          // Every column the row mapper writes, but the key, from the row being inserted.
          .doUpdateSet((eb) =>
            Object.fromEntries(replacedColumns(rows[0] as ContentItemsTable).map((c) => [c, eb.ref(`excluded.${c}`)])),
          ),
      );
  }

  /**
   * PostgreSQL: the bytes, the rows and the counts in ONE statement, sent
   * with the COMMIT (round trips were most of a small upload's time there). An interaction's
   * count is its rows the statement sees but did not write, plus the rows it
   * wrote (inserted or updated; one per key, GroupCommit): the same number
   * whichever snapshot reads the table. PostgreSQL's parts all read the snapshot the
   * statement started with, so the rows it inserted are not seen there and
   * come from `items`; Citus runs a data-modifying CTE as a statement of its
   * own first, so the rest sees them too (counting "seen plus inserted"
   * counted each new item twice there, test/store/content-count.test.ts).
   * The tenants are named as values, in the UPDATE and in its subquery on
   * content_items, so that Citus routes it to their shards: a correlated
   * subquery tied to the row's tenant_id alone sends an UPDATE to every shard.
   */
  private async writeRowsAtOnce(
    root: Transaction<Database>,
    blobs: { tenant_id: string; sha256: string; bytes: Buffer }[],
    rows: ContentItemsTable[],
  ): Promise<void> {
    const main = this.store.on(root, 'main');
    const items = this.upsertItems(main, rows).returning(['tenant_id', 'interaction_id', 'content_key']);
    const withBlobs = blobs.length > 0 ? sql`, blobs as (${this.insertBlobs(main, blobs)})` : sql``;
    const interactions = this.store.impl.table('main', 'interactions');
    const contentItems = this.store.impl.table('main', 'content_items');
    const tenantList = sql.join([...new Set(rows.map((r) => r.tenant_id))]);
    const write = sql`
      with items as (${items})${withBlobs}
      update ${interactions} as i
      set content_count =
            (select count(*) from ${contentItems} as c where c.tenant_id in (${tenantList}) and c.tenant_id = i.tenant_id
              and c.interaction_id = i.id and not exists (select from items as n
                where n.tenant_id = c.tenant_id and n.interaction_id = c.interaction_id and n.content_key = c.content_key))
            + (select count(*) from items as n where n.tenant_id = i.tenant_id and n.interaction_id = i.id),
          updated_ms = ${Date.now()}
      where i.tenant_id in (${tenantList}) and (i.tenant_id, i.id) in (select tenant_id, interaction_id from items)`;
    // Nothing is read from its answer: it can travel with the COMMIT.
    await this.store.impl.sendWithCommit(root, this.store.impl.keepPrepared(write.compile(root)));
  }

  /**
   * The interaction id each write names, if its caller may see it, with the
   * rows locked for the transaction (in id order), and the hash of the item
   * each write replaces (by `[id, contentKey]`): one look-up per visibility
   * (and chunk), the items read by a left join on the interactions.
   * Rows locked by waiting (PostgreSQL: FOR UPDATE) are joined in the
   * statement's snapshot, taken before the wait: an item a concurrent upload
   * committed meanwhile is missing there. So where rows are locked the same
   * look-up runs again without the lock, sent with it (one round trip): it
   * starts once the locks are held, and reads the items as they are.
   */
  private async resolveLocked(
    root: Transaction<Database>,
    batch: ContentWrite[],
  ): Promise<{ ids: (string | undefined)[]; previous: Map<string, string> }> {
    const ids: (string | undefined)[] = batch.map(() => undefined);
    const previous = new Map<string, string>();
    const byVisibility = new Map<string, number[]>();
    for (const [i, w] of batch.entries()) {
      const key = JSON.stringify([w.visibility.tenantId, w.visibility.agentId ?? null]);
      byVisibility.set(key, [...(byVisibility.get(key) ?? []), i]);
    }
    const main = this.store.on(root, 'main');
    for (const members of byVisibility.values()) {
      const visibility = (batch[members[0] as number] as ContentWrite).visibility;
      for (const chunk of chunkValues(members)) {
        const names = chunk.map((i) => (batch[i] as ContentWrite).idOrGuid);
        const guids = names.filter(looksLikeGuid).map((n) => n.toLowerCase());
        const plain = names.filter((n) => !looksLikeGuid(n));
        const keys = [...new Set(chunk.map((i) => (batch[i] as ContentWrite).item.contentKey))];
        const lookUp = (lock: boolean) =>
          main
            .selectFrom('interactions as i')
            .leftJoin('content_items as c', (j) =>
              j.onRef('c.tenant_id', '=', 'i.tenant_id').onRef('c.interaction_id', '=', 'i.id').on('c.content_key', 'in', keys),
            )
            .select(['i.id', 'i.guid', 'c.content_key', 'c.sha256'])
            .where('i.tenant_id', '=', visibility.tenantId)
            .where((eb) =>
              eb.or([
                ...(plain.length > 0 ? [eb('i.id', 'in', plain)] : []),
                ...(guids.length > 0 ? [eb('i.guid', 'in', guids)] : []),
              ]),
            )
            .$if(visibility.agentId !== undefined, (qb) => qb.where(visibleToAgent(visibility.agentId as string)))
            .orderBy('i.id')
            // `of i`: lock the interaction rows only, not the content or agents rows read with them.
            .$if(lock, (qb) => qb.forUpdate('i'))
            .compile();
        const looks = (this.store.impl.lockRows ? [lookUp(true), lookUp(false)] : [lookUp(false)]).map(
          this.store.impl.keepPrepared,
        );
        const answers = await this.store.impl.sendTogether(root, looks);
        const locked = answers[0] ?? [];
        const byGuid = new Map(locked.map((r) => [r.guid, r.id]));
        const found = new Set(locked.map((r) => r.id));
        for (const r of answers.at(-1) ?? [])
          if (r.content_key !== null && r.sha256 !== null) previous.set(JSON.stringify([r.id, r.content_key]), r.sha256);
        for (const i of chunk) {
          const name = (batch[i] as ContentWrite).idOrGuid;
          ids[i] = looksLikeGuid(name) ? byGuid.get(name.toLowerCase()) : found.has(name) ? name : undefined;
        }
      }
    }
    return { ids, previous };
  }

  /** content_count := the number of content rows, for each of these interactions of main; the caller holds their rows' locks. */
  private async recount(root: Transaction<Database>, tenantId: string, ids: string[], source: Source = 'main'): Promise<void> {
    for (const chunk of chunkValues(ids))
      await this.store
        .on(root, source)
        .updateTable('interactions')
        .set((eb) => ({
          content_count: eb
            .selectFrom('content_items')
            .select(eb.fn.countAll<number>().as('n'))
            .where('content_items.tenant_id', '=', tenantId)
            .whereRef('content_items.interaction_id', '=', 'interactions.id'),
          updated_ms: Date.now(),
        }))
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', chunk)
        .execute();
  }

  async get(
    visibility: Visibility,
    idOrGuid: string,
    contentKey: string,
    source: Source = 'main',
  ): Promise<{ interactionId: string; guid: string; item: ContentItem } | undefined> {
    const id = await this.interactions.resolve(visibility, idOrGuid, source);
    if (!id) return undefined;
    const row = await this.store
      .in(source)
      .selectFrom('content_items as c')
      .innerJoin('interactions as i', (j) => j.onRef('i.tenant_id', '=', 'c.tenant_id').onRef('i.id', '=', 'c.interaction_id'))
      .selectAll('c')
      .select('i.guid')
      .where('c.tenant_id', '=', visibility.tenantId)
      .where('c.interaction_id', '=', id)
      .where('c.content_key', '=', contentKey)
      .executeTakeFirst();
    if (!row) return undefined;
    return { interactionId: id, guid: row.guid, item: rowToContent(row) };
  }

  /**
   * Removes one item unless a legal hold covers its interaction (checked in
   * this transaction, as for a whole interaction). Returns its hash, the holds
   * that refused it, or undefined when there was no such item.
   * `withinTransaction` runs in the deletion's transaction (the audit entry of
   * the deletion or the refusal): both commit or neither.
   */
  async delete(
    visibility: Visibility,
    idOrGuid: string,
    contentKey: string,
    source: Source = 'main',
    withinTransaction?: (root: Transaction<Database>, outcome: ContentDeletion) => Promise<void>,
  ): Promise<ContentDeletion | undefined> {
    return this.store.write(async (root) => {
      const id = await this.interactions.resolve(visibility, idOrGuid, source, root, { lock: true });
      if (!id) return undefined;
      const trx = this.store.on(root, source);
      const tenantId = visibility.tenantId;
      const row = await trx
        .selectFrom('content_items')
        .select('sha256')
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', '=', id)
        .where('content_key', '=', contentKey)
        .executeTakeFirst();
      if (!row) return undefined;
      const holds = await blockingHolds(this.store, root, tenantId, id, source);
      if (holds.length > 0) {
        const refused: ContentDeletion = { deleted: false, interactionId: id, sha256: row.sha256, holds };
        await withinTransaction?.(root, refused);
        return refused;
      }
      await trx
        .deleteFrom('content_items')
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', '=', id)
        .where('content_key', '=', contentKey)
        .execute();
      await this.recount(root, tenantId, [id], source);
      await this.interactions.texts.writeContent(root, source, tenantId, id, contentKey, []);
      const removed: ContentDeletion = { deleted: true, interactionId: id, sha256: row.sha256 };
      await withinTransaction?.(root, removed);
      return removed;
    });
  }

  /** Bytes kept in the database (src/blobs/inline.ts), or undefined when they are in the blob store. */
  async inlineBytes(tenantId: string, sha256: string, root?: Transaction<Database>): Promise<Buffer | undefined> {
    const row = await (root ? this.store.on(root, 'main') : this.store.in('main'))
      .selectFrom('content_blobs')
      .select('bytes')
      .where('tenant_id', '=', tenantId)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return row ? Buffer.from(row.bytes) : undefined;
  }

  /**
   * Drops the database-kept bytes among these hashes that no content row of
   * either store references; returns the hashes dropped and their sizes. The
   * bytes' rows are locked first, then references are counted by a later
   * statement (a fresh snapshot on PostgreSQL): an upload that referenced them
   * meanwhile has committed by then and is seen (its upsert locks the same row).
   */
  async dropUnreferenced(tenantId: string, sha256s: string[]): Promise<{ sha256: string; size: number }[]> {
    if (sha256s.length === 0) return [];
    return this.store.write(async (root) => {
      const blobs = this.store.on(root, 'main');
      const present = await blobs
        .selectFrom('content_blobs')
        .select('sha256')
        .where('tenant_id', '=', tenantId)
        .where('sha256', 'in', sha256s)
        .$if(this.store.impl.lockRows, (q) => q.forUpdate())
        .execute();
      if (present.length === 0) return [];
      const used = await this.referencedAmong(
        tenantId,
        present.map((r) => r.sha256),
        root,
      );
      const unused = present.map((r) => r.sha256).filter((sha) => !used.has(sha));
      if (unused.length === 0) return [];
      const dropped = await blobs
        .deleteFrom('content_blobs')
        .where('tenant_id', '=', tenantId)
        .where('sha256', 'in', unused)
        .returning(['sha256', (eb) => eb.fn<number>('length', ['bytes']).as('size')])
        .execute();
      return dropped.map((r) => ({ sha256: r.sha256, size: Number(r.size) }));
    });
  }

  /**
   * One slice of the walk over every tenant's database-kept bytes, after
   * `after` (a tenant and hash; from the start when undefined): up to `limit`
   * of them, the unreferenced ones dropped (left by a crash between a
   * deletion's commit and its release). Returns what was dropped and where
   * the walk stands (undefined: it reached the end).
   */
  async sweepSlice(
    after: { tenantId: string; sha256: string } | undefined,
    limit: number,
  ): Promise<{ dropped: { tenantId: string; sha256: string; size: number }[]; next?: { tenantId: string; sha256: string } }> {
    const rows = await this.store
      .in('main')
      .selectFrom('content_blobs')
      .select(['tenant_id', 'sha256'])
      .$if(after !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('tenant_id', '>', after?.tenantId ?? ''),
            eb.and([eb('tenant_id', '=', after?.tenantId ?? ''), eb('sha256', '>', after?.sha256 ?? '')]),
          ]),
        ),
      )
      .orderBy('tenant_id')
      .orderBy('sha256')
      .limit(limit)
      .execute();
    const dropped: { tenantId: string; sha256: string; size: number }[] = [];
    const byTenant = new Map<string, string[]>();
    for (const r of rows) byTenant.set(r.tenant_id, [...(byTenant.get(r.tenant_id) ?? []), r.sha256]);
    for (const [tenantId, shas] of byTenant)
      for (const d of await this.dropUnreferenced(tenantId, shas)) dropped.push({ tenantId, ...d });
    const last = rows.at(-1);
    return rows.length < limit || !last ? { dropped } : { dropped, next: { tenantId: last.tenant_id, sha256: last.sha256 } };
  }

  /** How many items, in either store, still point at these bytes. */
  async references(tenantId: string, sha256: string): Promise<number> {
    let total = 0;
    for (const source of ['main', 'archive'] as const) {
      const row = await this.store
        .in(source)
        .selectFrom('content_items')
        .select(sql<number>`count(*)`.as('n'))
        .where('tenant_id', '=', tenantId)
        .where('sha256', '=', sha256)
        .executeTakeFirst();
      total += Number(row?.n ?? 0);
    }
    return total;
  }

  /** Which of these hashes an item in either store points at (within `root` when given). */
  async referencedAmong(tenantId: string, sha256s: string[], root?: Transaction<Database>): Promise<Set<string>> {
    const out = new Set<string>();
    for (const source of ['main', 'archive'] as const) {
      for (const chunk of chunkValues(sha256s)) {
        const rows = await (root ? this.store.on(root, source) : this.store.in(source))
          .selectFrom('content_items')
          .select('sha256')
          .distinct()
          .where('tenant_id', '=', tenantId)
          .where('sha256', 'in', chunk)
          .execute();
        for (const r of rows) out.add(r.sha256);
      }
    }
    return out;
  }

  /**
   * Appends an audit entry to the tenant's chain (AuditRepository.append).
   * `root`: the write transaction of the change being audited, so that the
   * entry commits with it or not at all; without it, a transaction of its own.
   */
  async audit(tenantId: string, entry: AuditEntry, root?: Transaction<Database>): Promise<void> {
    await this.audits.append(tenantId, entry, root);
  }
}
