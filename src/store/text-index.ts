/**
 * Keeps the full-text index in step with the records, always inside the
 * caller's write transaction (ingest, patch, appended messages, content
 * upload and deletion, interaction deletion, archive move): a search never
 * misses an acknowledged record, and nothing removed from a record survives
 * in the index. `text_parts` holds each searchable piece of text as stored;
 * the engine's document for an interaction is rebuilt from them.
 */
import type { Transaction } from 'kysely';
import { documentOf } from '../domain/fulltext.js';
import type { ContentItem } from '../domain/interaction.js';
import type { Source } from '../domain/search.js';
import { contentTexts, interactionTexts, type TextPart, type TextPlace } from '../domain/texts.js';
import { chunkValues } from './chunks.js';
import type { StoreConnection } from './database.js';
import { rowToContent, rowToInteraction } from './rows.js';
import type { Database, TextPartsTable } from './schema.js';

/** The order of an interaction's parts in its document and in a hit's matches. */
const PLACE_ORDER: Record<TextPlace, number> = { subject: 0, comment: 1, email: 2, message: 3, attachment: 4, transcript: 5 };
/** Parts that come from the record itself (replaced on every upsert; messages only when the input carries them). */
const RECORD_PLACES: TextPlace[] = ['subject', 'comment', 'email'];

export function sortParts(parts: TextPart[]): TextPart[] {
  return parts.sort(
    (a, b) =>
      PLACE_ORDER[a.place] - PLACE_ORDER[b.place] ||
      (a.contentKey < b.contentKey ? -1 : a.contentKey > b.contentKey ? 1 : 0) ||
      a.seq - b.seq,
  );
}

export function rowToPart(row: TextPartsTable): TextPart {
  const part: TextPart = { place: row.place as TextPlace, contentKey: row.content_key, seq: row.seq, text: row.body };
  if (row.at_ms !== null) part.atMs = Number(row.at_ms);
  if (row.speaker !== null) part.speaker = row.speaker;
  return part;
}

function partToRow(tenantId: string, interactionId: string, p: TextPart): TextPartsTable {
  return {
    tenant_id: tenantId,
    interaction_id: interactionId,
    place: p.place,
    content_key: p.contentKey,
    seq: p.seq,
    at_ms: p.atMs ?? null,
    speaker: p.speaker ?? null,
    body: p.text,
  };
}

export interface RecordTexts {
  id: string;
  /** The record's own parts (interactionTexts). */
  parts: TextPart[];
  /** Whether the interaction existed before this write (its other parts are kept). */
  existed: boolean;
  /** Whether its messages were replaced (their old parts go). */
  replacesMessages: boolean;
}

export class TextIndex {
  constructor(private readonly store: StoreConnection) {}

  /** After an upsert of records into `source`. */
  async writeRecords(root: Transaction<Database>, source: Source, tenantId: string, records: RecordTexts[]): Promise<void> {
    const db = this.store.on(root, source);
    const existed = records.filter((r) => r.existed);
    for (const chunk of chunkValues(existed.map((r) => r.id)))
      await db
        .deleteFrom('text_parts')
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', 'in', chunk)
        .where('place', 'in', RECORD_PLACES)
        .execute();
    for (const chunk of chunkValues(existed.filter((r) => r.replacesMessages).map((r) => r.id)))
      await db
        .deleteFrom('text_parts')
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', 'in', chunk)
        .where('place', '=', 'message')
        .execute();
    const rows = records.flatMap((r) => r.parts.map((p) => partToRow(tenantId, r.id, p)));
    await this.store.rows.insert(root, source, 'text_parts', rows);
    // A new record's parts are all here; an existing one's document also has the parts this write kept.
    const fresh = records.filter((r) => !r.existed).map((r) => ({ id: r.id, body: documentOf(sortParts(r.parts)) }));
    await this.store.impl.fullText.put(root, source, tenantId, fresh);
    await this.refresh(
      root,
      source,
      tenantId,
      existed.map((r) => r.id),
    );
  }

  /** Replaces the parts of some messages (appended or rewritten). */
  async writeMessages(root: Transaction<Database>, tenantId: string, id: string, indexes: number[], parts: TextPart[]) {
    const db = this.store.on(root, 'main');
    for (const chunk of chunkValues(indexes))
      await db
        .deleteFrom('text_parts')
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', '=', id)
        .where('place', '=', 'message')
        .where('seq', 'in', chunk)
        .execute();
    await this.store.rows.insert(
      root,
      'main',
      'text_parts',
      parts.map((p) => partToRow(tenantId, id, p)),
    );
    await this.refresh(root, 'main', tenantId, [id]);
  }

  /** Replaces the parts of one content item (none: the item was removed or has no text). */
  async writeContent(
    root: Transaction<Database>,
    source: Source,
    tenantId: string,
    id: string,
    contentKey: string,
    parts: TextPart[],
  ): Promise<void> {
    await this.store
      .on(root, source)
      .deleteFrom('text_parts')
      .where('tenant_id', '=', tenantId)
      .where('interaction_id', '=', id)
      .where('place', 'in', ['transcript', 'attachment'])
      .where('content_key', '=', contentKey)
      .execute();
    await this.store.rows.insert(
      root,
      source,
      'text_parts',
      parts.map((p) => partToRow(tenantId, id, p)),
    );
    await this.refresh(root, source, tenantId, [id]);
  }

  /** Everything of these interactions, parts and documents. */
  async remove(root: Transaction<Database>, source: Source, tenantId: string, ids: string[]): Promise<void> {
    const db = this.store.on(root, source);
    for (const chunk of chunkValues(ids))
      await db.deleteFrom('text_parts').where('tenant_id', '=', tenantId).where('interaction_id', 'in', chunk).execute();
    await this.store.impl.fullText.remove(root, source, tenantId, ids);
  }

  /**
   * `ixvault reindex`: rebuilds the parts and documents of the next `size`
   * interactions of a tenant after `afterId` (id order) from the records
   * themselves, in one write transaction that locks their rows, so a
   * concurrent write of the same interaction runs before or after it, never
   * half-way. `transcript` reads a content item's bytes (the blob store is the
   * caller's). Returns the last id done, or undefined when none was left.
   */
  async rebuild(
    tenantId: string,
    source: Source,
    afterId: string,
    size: number,
    transcript: (item: ContentItem) => Promise<Uint8Array | undefined>,
  ): Promise<{ lastId: string; count: number } | undefined> {
    return this.store.write(async (root) => {
      const db = this.store.on(root, source);
      const rows = await db
        .selectFrom('interactions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(size)
        .$if(this.store.impl.lockRows, (q) => q.forUpdate())
        .execute();
      const last = rows[rows.length - 1];
      if (!last) return undefined;
      const ids = rows.map((r) => r.id);
      const messages = new Map<string, { index: number; text?: string }[]>();
      const content = new Map<string, ContentItem[]>();
      for (const chunk of chunkValues(ids)) {
        for (const m of await db
          .selectFrom('messages')
          .select(['interaction_id', 'idx', 'text'])
          .where('tenant_id', '=', tenantId)
          .where('interaction_id', 'in', chunk)
          .execute()) {
          const list = messages.get(m.interaction_id) ?? [];
          list.push(m.text === null ? { index: m.idx } : { index: m.idx, text: m.text });
          messages.set(m.interaction_id, list);
        }
        for (const c of await db
          .selectFrom('content_items')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('interaction_id', 'in', chunk)
          .execute()) {
          const list = content.get(c.interaction_id) ?? [];
          list.push(rowToContent(c));
          content.set(c.interaction_id, list);
        }
      }
      const records: RecordTexts[] = [];
      for (const row of rows) {
        const record = rowToInteraction(row, []);
        const parts = interactionTexts({ ...record, messages: (messages.get(row.id) ?? []).sort((a, b) => a.index - b.index) });
        for (const item of content.get(row.id) ?? []) parts.push(...contentTexts(item, await transcript(item)));
        records.push({ id: row.id, parts, existed: false, replacesMessages: true });
      }
      await this.remove(root, source, tenantId, ids);
      await this.writeRecords(root, source, tenantId, records);
      return { lastId: last.id, count: rows.length };
    });
  }

  /** Rebuilds the documents of these interactions from their stored parts. */
  async refresh(root: Transaction<Database>, source: Source, tenantId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const parts = await this.partsOf(this.store.on(root, source), tenantId, ids);
    await this.store.impl.fullText.put(
      root,
      source,
      tenantId,
      ids.map((id) => ({ id, body: documentOf(parts.get(id) ?? []) })),
    );
  }

  /** The stored parts of many interactions, each list in document order. */
  async partsOf(
    db: Transaction<Database> | import('kysely').Kysely<Database>,
    tenantId: string,
    ids: string[],
  ): Promise<Map<string, TextPart[]>> {
    const out = new Map<string, TextPart[]>();
    for (const chunk of chunkValues(ids)) {
      const rows = await db
        .selectFrom('text_parts')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', 'in', chunk)
        .execute();
      for (const row of rows) {
        const list = out.get(row.interaction_id);
        if (list) list.push(rowToPart(row));
        else out.set(row.interaction_id, [rowToPart(row)]);
      }
    }
    for (const list of out.values()) sortParts(list);
    return out;
  }
}
