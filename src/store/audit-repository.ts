/**
 * The audit log: one append-only hash chain per tenant (src/domain/audit.ts).
 *
 * Appends to a tenant's chain are serialized: on PostgreSQL by a
 * transaction-scoped advisory lock on the tenant's chain (`lockKeys`), so
 * concurrent writers in any number of processes read the same head and never
 * fork it; on SQLite by the IMMEDIATE write transaction. The unique index on
 * (tenant_id, chain_no) is the last line: a writer that did not take the lock
 * fails instead of forking. The coalescing of Range reads is a lookup under the
 * same lock, so it holds across processes sharing the database.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import {
  type AuditEntry,
  type ChainedAuditEntry,
  chainBreak,
  entryHash,
  GENESIS_HASH,
  type HashedFields,
  READ_COALESCE_MS,
} from '../domain/audit.js';
import type { StoreConnection } from './database.js';
import { nextTurn } from './event-loop.js';
import type { AuditLogTable, Database } from './schema.js';

export interface AuditFilter {
  actor?: string;
  interactionId?: string;
  action?: string;
  fromMs?: number;
  toMs?: number;
}

export interface AuditPage {
  entries: ChainedAuditEntry[];
  /** Pass as `beforeChainNo` for the next (older) page; undefined on the last page. */
  next?: number;
}

export interface VerifyReport {
  entries: number;
  /** The newest entry: keep it elsewhere to detect a rewrite of the chain's end. */
  head?: { chainNo: number; hash: string };
  broken?: { chainNo: number; reason: string };
}

/** Entries read by one statement of a verification or an export of the log. */
export const AUDIT_PAGE_ROWS = 2000;

export class AuditRepository {
  constructor(private readonly store: StoreConnection) {}

  /**
   * Appends an entry to the tenant's chain. `root`: the write transaction of
   * the change being audited, so that the entry commits with it or not at all;
   * without it, a transaction of its own. With `coalesceRead`, nothing is
   * appended when the same principal read the same item within the coalescing
   * window (returns false).
   */
  async append(
    tenantId: string,
    entry: AuditEntry,
    root?: Transaction<Database>,
    options: { coalesceRead?: boolean } = {},
  ): Promise<boolean> {
    if (!root) {
      // A player's later Range reads find their entry without a write transaction; the first one of a
      // minute checks again under the lock below, so two servers racing still write one entry.
      if (options.coalesceRead && (await this.readRecently(this.store.in('main'), tenantId, entry))) return false;
      return this.store.write((own) => this.append(tenantId, entry, own, options));
    }
    await this.store.impl.lockKeys(root, tenantId, ['audit-chain']);
    const trx = this.store.on(root, 'main');
    if (options.coalesceRead && (await this.readRecently(trx, tenantId, entry))) return false;
    const head = await trx
      .selectFrom('audit_log')
      .select(['chain_no', 'hash'])
      .where('tenant_id', '=', tenantId)
      .orderBy('chain_no', 'desc')
      .limit(1)
      .executeTakeFirst();
    const fields: HashedFields = {
      tenantId,
      chainNo: Number(head?.chain_no ?? 0) + 1,
      atMs: entry.atMs,
      actor: entry.actor,
      action: entry.action,
      interactionId: entry.interactionId,
      contentKey: entry.contentKey ?? null,
      detail: JSON.stringify(entry.detail),
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    const seq = await this.store.impl.auditSeq(root);
    await trx
      .insertInto('audit_log')
      .values({
        tenant_id: tenantId,
        at_ms: fields.atMs,
        seq,
        actor: fields.actor,
        action: fields.action,
        interaction_id: fields.interactionId,
        content_key: fields.contentKey,
        detail: fields.detail,
        chain_no: fields.chainNo,
        prev_hash: fields.prevHash,
        hash: entryHash(fields),
      })
      .execute();
    return true;
  }

  /** Whether this principal's read of this item is already audited within the coalescing window. */
  private async readRecently(db: Kysely<Database>, tenantId: string, entry: AuditEntry): Promise<boolean> {
    const recent = await db
      .selectFrom('audit_log')
      .select('chain_no')
      .where('tenant_id', '=', tenantId)
      .where('interaction_id', '=', entry.interactionId)
      .where('at_ms', '>=', entry.atMs - READ_COALESCE_MS)
      .where('actor', '=', entry.actor)
      .where('action', '=', entry.action)
      .where('content_key', '=', entry.contentKey ?? '')
      .limit(1)
      .executeTakeFirst();
    return recent !== undefined;
  }

  /**
   * Entries matching every given filter, newest first, keyset-paged on the chain position. Without an actor
   * or an interaction to drive it, the search walks the chain itself (an action, a time span): in ranges of
   * AUDIT_PAGE_ROWS positions with a turn of the event loop between them (event-loop.ts), as an action few
   * entries have walked a chain of millions in one statement.
   */
  async search(tenantId: string, filter: AuditFilter, page: { limit: number; beforeChainNo?: number }): Promise<AuditPage> {
    const rows: Row[] = [];
    if (filter.actor !== undefined || filter.interactionId !== undefined) {
      let query = this.filtered(tenantId, filter)
        .orderBy('chain_no', 'desc')
        .limit(page.limit + 1);
      if (page.beforeChainNo !== undefined) query = query.where('chain_no', '<', page.beforeChainNo);
      rows.push(...(await query.execute()));
    } else {
      // Positions are 1, 2, 3… in each tenant's chain: a range of them is a range of its key. A position past
      // the head (any a client sends, up to 2^53) starts at the head: ranges beyond it hold nothing.
      const pastHead = (await this.headPosition(tenantId)) + 1;
      for (let before = Math.min(page.beforeChainNo ?? pastHead, pastHead); before > 1 && rows.length <= page.limit; ) {
        const from = Math.max(1, before - AUDIT_PAGE_ROWS);
        rows.push(
          ...(await this.filtered(tenantId, filter)
            .where('chain_no', '>=', from)
            .where('chain_no', '<', before)
            .orderBy('chain_no', 'desc')
            .limit(page.limit + 1 - rows.length)
            .execute()),
        );
        before = from;
        await nextTurn();
      }
    }
    const entries = rows.slice(0, page.limit).map(toEntry);
    const last = entries.at(-1);
    return rows.length > page.limit && last ? { entries, next: last.chainNo } : { entries };
  }

  /** The newest position of a tenant's chain (0: none). */
  private async headPosition(tenantId: string): Promise<number> {
    const head = await this.store
      .in('main')
      .selectFrom('audit_log')
      .select('chain_no')
      .where('tenant_id', '=', tenantId)
      .where('chain_no', 'is not', null)
      .orderBy('chain_no', 'desc')
      .limit(1)
      .executeTakeFirst();
    return Number(head?.chain_no ?? 0);
  }

  /**
   * Every entry matching the filter, oldest first (exports): by pages of an actor's or an interaction's
   * entries, else in ranges of the chain's positions (see search).
   */
  async *scan(tenantId: string, filter: AuditFilter): AsyncGenerator<ChainedAuditEntry> {
    if (filter.actor !== undefined || filter.interactionId !== undefined) {
      for (let after = 0; ; ) {
        const rows = await this.filtered(tenantId, filter)
          .where('chain_no', '>', after)
          .orderBy('chain_no', 'asc')
          .limit(AUDIT_PAGE_ROWS)
          .execute();
        for (const row of rows) yield toEntry(row);
        const last = rows.at(-1);
        if (!last || rows.length < AUDIT_PAGE_ROWS) return;
        after = Number(last.chain_no);
        await nextTurn();
      }
    }
    const head = await this.headPosition(tenantId);
    for (let after = 0; after < head; after += AUDIT_PAGE_ROWS) {
      const rows = await this.filtered(tenantId, filter)
        .where('chain_no', '>', after)
        .where('chain_no', '<=', after + AUDIT_PAGE_ROWS)
        .orderBy('chain_no', 'asc')
        .execute();
      for (const row of rows) yield toEntry(row);
      await nextTurn();
    }
  }

  /** Walks the tenant's chain from its first entry; stops at the first broken one. */
  async verify(tenantId: string, onProgress?: (checked: number) => void): Promise<VerifyReport> {
    let expected = { chainNo: 1, prevHash: GENESIS_HASH };
    let checked = 0;
    let head: VerifyReport['head'];
    let after = 0;
    for (;;) {
      const rows = await this.store
        .in('main')
        .selectFrom('audit_log')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('chain_no', '>', after)
        .orderBy('chain_no', 'asc')
        .limit(AUDIT_PAGE_ROWS)
        .execute();
      for (const row of rows) {
        const stored = { ...hashedFieldsOf(row), hash: row.hash };
        const reason = chainBreak(expected, stored);
        if (reason) return { entries: checked, ...(head ? { head } : {}), broken: { chainNo: stored.chainNo, reason } };
        checked += 1;
        head = { chainNo: stored.chainNo, hash: row.hash };
        expected = { chainNo: stored.chainNo + 1, prevHash: row.hash };
      }
      onProgress?.(checked);
      const last = rows.at(-1);
      if (!last || rows.length < AUDIT_PAGE_ROWS) break;
      after = Number(last.chain_no);
      // A chain of a million entries held every other request of a SQLite server until it was verified (event-loop.ts).
      await nextTurn();
    }
    // Entries the migration could not chain (or a writer that bypassed the chain) have no position.
    const unchained = await this.store
      .in('main')
      .selectFrom('audit_log')
      .select(['at_ms'])
      .where('tenant_id', '=', tenantId)
      .where('chain_no', 'is', null)
      .limit(1)
      .executeTakeFirst();
    if (unchained)
      return {
        entries: checked,
        ...(head ? { head } : {}),
        broken: {
          chainNo: expected.chainNo,
          reason: `an entry at ${new Date(unchained.at_ms).toISOString()} is outside the chain`,
        },
      };
    return head ? { entries: checked, head } : { entries: checked };
  }

  private filtered(tenantId: string, filter: AuditFilter) {
    let query = this.store.in('main').selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    if (filter.interactionId !== undefined) query = query.where('interaction_id', '=', filter.interactionId);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.fromMs !== undefined) query = query.where('at_ms', '>=', filter.fromMs);
    if (filter.toMs !== undefined) query = query.where('at_ms', '<=', filter.toMs);
    return query;
  }
}

type Row = Selectable<AuditLogTable>;

function hashedFieldsOf(row: Row): HashedFields {
  return {
    tenantId: row.tenant_id,
    chainNo: Number(row.chain_no),
    atMs: Number(row.at_ms),
    actor: row.actor,
    action: row.action,
    interactionId: row.interaction_id,
    contentKey: row.content_key,
    detail: row.detail,
    prevHash: row.prev_hash,
  };
}

function toEntry(row: Row): ChainedAuditEntry {
  const entry: ChainedAuditEntry = {
    chainNo: Number(row.chain_no),
    atMs: Number(row.at_ms),
    actor: row.actor,
    action: row.action,
    interactionId: row.interaction_id,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
  if (row.content_key !== null) entry.contentKey = row.content_key;
  return entry;
}
