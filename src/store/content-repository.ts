/** Content item metadata (the bytes live in the blob store) and the audit log of deletions. */
import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { errors } from '../domain/errors.js';
import type { ContentItem } from '../domain/interaction.js';
import type { Visibility } from '../domain/principal.js';
import type { Source } from '../domain/search.js';
import type { StoreConnection } from './database.js';
import type { InteractionRepository } from './interaction-repository.js';
import { contentToRow, rowToContent } from './rows.js';
import type { Database } from './schema.js';

export interface AuditEntry {
  atMs: number;
  actor: string;
  action: string;
  interactionId: string;
  contentKey?: string;
  detail: Record<string, unknown>;
}

export class ContentRepository {
  constructor(
    private readonly store: StoreConnection,
    private readonly interactions: InteractionRepository,
  ) {}

  /**
   * Stores an item's metadata, replacing an item with the same key, and keeps
   * the interaction's content count in step. Returns the replaced item's hash.
   */
  async put(
    visibility: Visibility,
    idOrGuid: string,
    item: ContentItem,
  ): Promise<{ interactionId: string; replacedSha256?: string }> {
    return this.store
      .in('main')
      .transaction()
      .execute(async (trx) => {
        const id = await this.interactions.resolve(visibility, idOrGuid, 'main', trx);
        if (!id) throw errors.interactionNotFound(idOrGuid);
        const tenantId = visibility.tenantId;
        const previous = await trx
          .selectFrom('content_items')
          .select('sha256')
          .where('tenant_id', '=', tenantId)
          .where('interaction_id', '=', id)
          .where('content_key', '=', item.contentKey)
          .executeTakeFirst();
        if (previous) {
          await trx
            .deleteFrom('content_items')
            .where('tenant_id', '=', tenantId)
            .where('interaction_id', '=', id)
            .where('content_key', '=', item.contentKey)
            .execute();
        }
        await trx
          .insertInto('content_items')
          .values(contentToRow(tenantId, id, item))
          .execute();
        if (!previous) {
          await trx
            .updateTable('interactions')
            .set((eb) => ({ content_count: eb('content_count', '+', 1), updated_ms: Date.now() }))
            .where('tenant_id', '=', tenantId)
            .where('id', '=', id)
            .execute();
        }
        return previous ? { interactionId: id, replacedSha256: previous.sha256 } : { interactionId: id };
      });
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

  /** Removes one item; returns its hash, or undefined when there was none. */
  /** `withinTransaction` runs in the deletion's transaction (the audit entry): both commit or neither. */
  async delete(
    visibility: Visibility,
    idOrGuid: string,
    contentKey: string,
    source: Source = 'main',
    withinTransaction?: (trx: Kysely<Database>, removed: { interactionId: string; sha256: string }) => Promise<void>,
  ) {
    return this.store
      .in(source)
      .transaction()
      .execute(async (trx) => {
        const id = await this.interactions.resolve(visibility, idOrGuid, source, trx);
        if (!id) return undefined;
        const tenantId = visibility.tenantId;
        const row = await trx
          .selectFrom('content_items')
          .select('sha256')
          .where('tenant_id', '=', tenantId)
          .where('interaction_id', '=', id)
          .where('content_key', '=', contentKey)
          .executeTakeFirst();
        if (!row) return undefined;
        await trx
          .deleteFrom('content_items')
          .where('tenant_id', '=', tenantId)
          .where('interaction_id', '=', id)
          .where('content_key', '=', contentKey)
          .execute();
        await trx
          .updateTable('interactions')
          .set((eb) => ({ content_count: eb('content_count', '-', 1), updated_ms: Date.now() }))
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .execute();
        const removed = { interactionId: id, sha256: row.sha256 };
        await withinTransaction?.(trx, removed);
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

  /** `db`: the transaction of the change being audited, so that the entry commits with it or not at all. */
  async audit(tenantId: string, entry: AuditEntry, db: Kysely<Database> = this.store.in('main')): Promise<void> {
    await db
      .insertInto('audit_log')
      .values({
        tenant_id: tenantId,
        at_ms: entry.atMs,
        seq: randomBytes(6).toString('hex'),
        actor: entry.actor,
        action: entry.action,
        interaction_id: entry.interactionId,
        content_key: entry.contentKey ?? null,
        detail: JSON.stringify(entry.detail),
      })
      .execute();
  }

  async auditLog(tenantId: string, options: { sinceMs?: number; limit: number }): Promise<AuditEntry[]> {
    const rows = await this.store
      .in('main')
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('at_ms', '>=', options.sinceMs ?? 0)
      .orderBy('at_ms', 'desc')
      .orderBy('seq', 'desc')
      .limit(options.limit)
      .execute();
    return rows.map((r) => {
      const entry: AuditEntry = {
        atMs: r.at_ms,
        actor: r.actor,
        action: r.action,
        interactionId: r.interaction_id,
        detail: JSON.parse(r.detail) as Record<string, unknown>,
      };
      if (r.content_key !== null) entry.contentKey = r.content_key;
      return entry;
    });
  }
}
