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
import { GroupCommit } from './group-commit.js';
import { blockingHolds } from './hold-repository.js';
import type { InteractionRepository } from './interaction-repository.js';
import { contentToRow, rowToContent } from './rows.js';
import type { Database } from './schema.js';

export type ContentDeletion =
  | { deleted: true; interactionId: string; sha256: string }
  | { deleted: false; interactionId: string; sha256: string; holds: string[] };

export class ContentRepository {
  /** Uploads in flight share durable transactions (see group-commit.ts). */
  private readonly uploads: GroupCommit;

  constructor(
    private readonly store: StoreConnection,
    private readonly interactions: InteractionRepository,
    private readonly audits: AuditRepository,
  ) {
    this.uploads = new GroupCommit(store);
  }

  /**
   * Stores an item's metadata, replacing an item with the same key, and sets
   * the interaction's content count from its content rows, in one write
   * transaction that holds the interaction row's lock: a re-ingest or another
   * upload of the same interaction waits, so the count always matches the
   * rows. Returns the replaced item's hash once the transaction's commit is
   * durable (power loss cannot undo it); concurrent calls share a transaction.
   */
  async put(
    visibility: Visibility,
    idOrGuid: string,
    item: ContentItem,
    texts: TextPart[] = [],
  ): Promise<{ interactionId: string; replacedSha256?: string }> {
    return this.uploads.run(async (root) => {
      const id = await this.interactions.resolve(visibility, idOrGuid, 'main', root, { lock: true });
      if (!id) throw errors.interactionNotFound(idOrGuid);
      const trx = this.store.on(root, 'main');
      const tenantId = visibility.tenantId;
      const previous = await trx
        .selectFrom('content_items')
        .select('sha256')
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', '=', id)
        .where('content_key', '=', item.contentKey)
        .executeTakeFirst();
      // Replacing held bytes would delete them: refused like a deletion.
      if (previous && previous.sha256 !== item.sha256) {
        const holds = await blockingHolds(this.store, root, tenantId, id, 'main');
        if (holds.length > 0) throw errors.interactionHeld(id, holds);
      }
      const row = contentToRow(tenantId, id, item);
      const { tenant_id: _t, interaction_id: _i, content_key: _k, ...changed } = row;
      await trx
        .insertInto('content_items')
        .values(row)
        .onConflict((oc) => oc.columns(['tenant_id', 'interaction_id', 'content_key']).doUpdateSet(changed))
        .execute();
      await this.recount(trx, tenantId, id);
      // A new item without texts (a recording, no file name) changes nothing the index holds.
      if (previous || texts.length > 0)
        await this.interactions.texts.writeContent(root, 'main', tenantId, id, item.contentKey, texts);
      return previous ? { interactionId: id, replacedSha256: previous.sha256 } : { interactionId: id };
    });
  }

  /** content_count := the number of content rows; the caller holds the interaction row's lock. */
  private async recount(trx: Transaction<Database>, tenantId: string, id: string): Promise<void> {
    await trx
      .updateTable('interactions')
      .set((eb) => ({
        content_count: eb
          .selectFrom('content_items')
          .select(eb.fn.countAll<number>().as('n'))
          .where('content_items.tenant_id', '=', tenantId)
          .where('content_items.interaction_id', '=', id),
        updated_ms: Date.now(),
      }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
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
      await this.recount(trx, tenantId, id);
      await this.interactions.texts.writeContent(root, source, tenantId, id, contentKey, []);
      const removed: ContentDeletion = { deleted: true, interactionId: id, sha256: row.sha256 };
      await withinTransaction?.(root, removed);
      return removed;
    });
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

  /** Which of these hashes an item in either store points at. */
  async referencedAmong(tenantId: string, sha256s: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const source of ['main', 'archive'] as const) {
      for (const chunk of chunkValues(sha256s)) {
        const rows = await this.store
          .in(source)
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
