/**
 * Keeps the full-text index in step with the records, always inside the
 * caller's write transaction (ingest, patch, appended messages, content
 * upload and deletion, interaction deletion, archive move): a search never
 * misses an acknowledged record, and nothing removed from a record survives
 * in the index. An interaction's document is rebuilt from what is stored: its
 * row and messages (the record's own text, never copied) and `text_parts`
 * (the text of its content: transcript segments, file names, which live
 * nowhere else in the database).
 */
import type { Kysely, Transaction } from 'kysely';
import { agentToken, documentOf } from '../domain/fulltext.js';
import type { ContentItem } from '../domain/interaction.js';
import type { Source } from '../domain/search.js';
import { contentTexts, interactionTexts, type TextBearing, type TextPart, type TextPlace } from '../domain/texts.js';
import { chunkValues } from './chunks.js';
import type { StoreConnection } from './database.js';
import { rowToContent, rowToInteraction } from './rows.js';
import type { Database, InteractionsTable, TextPartsTable } from './schema.js';

/** The order of an interaction's parts in its document and in a hit's matches. */
const PLACE_ORDER: Record<TextPlace, number> = { subject: 0, comment: 1, email: 2, message: 3, attachment: 4, transcript: 5 };

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

export function partToRow(tenantId: string, interactionId: string, p: TextPart): TextPartsTable {
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

export class TextIndex {
  constructor(private readonly store: StoreConnection) {}

  /**
   * The document of a record new to the store, from the record as it will be
   * stored (after redaction): its own texts' tokens in document order and its
   * handling agents' tokens (the rows interaction_agents gets); '' when it has no text. Made with the record's rows (record-rows.ts), on the main
   * thread: SQLite's batch writer thread is the busier of the two with the
   * index (docs/BENCHMARKS.md, "Full-text ingest, session 5"). A static method,
   * so that the bench's index-off baseline skips it as it skips writeRecords.
   */
  static documentOfRecord(tenantId: string, record: TextBearing & { handlingAgentIds?: string[] }): string {
    return documentOf(sortParts(interactionTexts(record)), agentTokensOf(tenantId, record.handlingAgentIds ?? []));
  }

  /**
   * After an upsert of records into `source` (their rows and messages already
   * written): the documents of the records new to the store (documentOfRecord,
   * made by the caller: record-rows.ts), which have none yet, and of those
   * `stored` before, rebuilt from what is stored (their content's parts too).
   */
  async writeRecords(
    root: Transaction<Database>,
    source: Source,
    tenantId: string,
    fresh: { id: string; startMs: number; body: string }[],
    stored: string[],
  ): Promise<void> {
    await this.store.impl.fullText.put(root, source, tenantId, fresh);
    await this.refresh(root, source, tenantId, stored);
  }

  /** After messages were appended or rewritten. */
  async writeMessages(root: Transaction<Database>, tenantId: string, id: string): Promise<void> {
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
    /** Called inside the rebuild's write transaction `trx`, which any read of the store it makes must use. */
    transcript: (item: ContentItem, trx: Transaction<Database>) => Promise<Uint8Array | undefined>,
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
      const content = new Map<string, ContentItem[]>();
      for (const chunk of chunkValues(ids)) {
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
      const partRows: TextPartsTable[] = [];
      for (const row of rows)
        for (const item of content.get(row.id) ?? [])
          for (const part of contentTexts(item, await transcript(item, root))) partRows.push(partToRow(tenantId, row.id, part));
      await this.remove(root, source, tenantId, ids);
      await this.store.rows.insert(root, source, 'text_parts', partRows);
      await this.refresh(root, source, tenantId, ids);
      return { lastId: last.id, count: rows.length };
    });
  }

  /** Rebuilds the documents of these interactions from what is stored. */
  async refresh(root: Transaction<Database>, source: Source, tenantId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const db = this.store.on(root, source);
    const [stored, agents] = await Promise.all([storedTexts(db, tenantId, ids), storedAgents(db, tenantId, ids)]);
    // An id without a row (deleted meanwhile) gets an empty document: removed.
    await this.store.impl.fullText.put(
      root,
      source,
      tenantId,
      ids.map((id) => {
        const texts = stored.get(id);
        return {
          id,
          startMs: texts?.startMs ?? 0,
          body: texts ? documentOf(texts.parts, agentTokensOf(tenantId, agents.get(id) ?? [])) : '',
        };
      }),
    );
  }

  /** The searchable parts of stored interactions (storedTexts). */
  async partsOf(db: Kysely<Database>, tenantId: string, ids: string[]): Promise<Map<string, TextPart[]>> {
    return new Map([...(await storedTexts(db, tenantId, ids))].map(([id, texts]) => [id, texts.parts]));
  }
}

/** The tokens of an interaction's handling agents in its document (one per agent, as interaction_agents has one row). */
export function agentTokensOf(tenantId: string, agentIds: readonly string[]): string[] {
  return [...new Set(agentIds)].map((agentId) => agentToken(tenantId, agentId));
}

/**
 * The handling agents of stored interactions (interaction_agents), which their
 * documents carry as tokens: a document is rebuilt after its agents' rows are
 * written, in the same transaction, on every path that writes them.
 */
export async function storedAgents(db: Kysely<Database>, tenantId: string, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const chunk of chunkValues(ids))
    for (const row of await db
      .selectFrom('interaction_agents')
      .select(['interaction_id', 'agent_id'])
      .where('tenant_id', '=', tenantId)
      .where('interaction_id', 'in', chunk)
      .execute()) {
      const list = out.get(row.interaction_id);
      if (list) list.push(row.agent_id);
      else out.set(row.interaction_id, [row.agent_id]);
    }
  return out;
}

/**
 * The searchable parts of stored interactions, each list in document order:
 * the record's own texts (from its row and its messages: interactionTexts)
 * and its content's (text_parts: transcript segments, file names).
 */
export async function storedTexts(
  db: Kysely<Database>,
  tenantId: string,
  ids: string[],
): Promise<Map<string, { startMs: number; parts: TextPart[] }>> {
  const messages = new Map<string, { index: number; text?: string }[]>();
  const content = new Map<string, TextPart[]>();
  const records = new Map<string, InteractionsTable>();
  for (const chunk of chunkValues(ids)) {
    // The three reads at once: on PostgreSQL each is a round trip, and a search waits for them (its snippets).
    const [rows, texts, parts] = await Promise.all([
      db.selectFrom('interactions').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', chunk).execute(),
      db
        .selectFrom('messages')
        .select(['interaction_id', 'idx', 'text'])
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', 'in', chunk)
        .where('text', 'is not', null)
        .execute(),
      db.selectFrom('text_parts').selectAll().where('tenant_id', '=', tenantId).where('interaction_id', 'in', chunk).execute(),
    ]);
    for (const row of rows) records.set(row.id, row);
    for (const m of texts) {
      const list = messages.get(m.interaction_id) ?? [];
      list.push(m.text === null ? { index: m.idx } : { index: m.idx, text: m.text });
      messages.set(m.interaction_id, list);
    }
    for (const row of parts) {
      const list = content.get(row.interaction_id) ?? [];
      list.push(rowToPart(row));
      content.set(row.interaction_id, list);
    }
  }
  const out = new Map<string, { startMs: number; parts: TextPart[] }>();
  for (const [id, row] of records) {
    const own = interactionTexts({
      ...rowToInteraction(row, []),
      messages: (messages.get(id) ?? []).sort((a, b) => a.index - b.index),
    });
    out.set(id, { startMs: Number(row.start_ms), parts: sortParts([...own, ...(content.get(id) ?? [])]) });
  }
  return out;
}
