/**
 * Legal holds, and the check every deletion makes in its own transaction.
 *
 * Race safety: a deletion takes the tenant's hold gate shared before it
 * checks (`blockingHolds`), a hold's creation takes it exclusive
 * (`StoreDialect.lockHoldGate`). So a hold created while a deletion runs
 * either commits first, and the deletion then sees it and refuses, or waits
 * until the deletion committed, and then finds the interaction gone (reported
 * as unknown for a hold on named interactions). An acknowledged hold never
 * loses to a deletion.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { errors } from '../domain/errors.js';
import { type HoldInput, type HoldQuery, type HoldSubject, type LegalHold, queryCovers } from '../domain/holds.js';
import type { Source } from '../domain/search.js';
import { chunkValues } from './chunks.js';
import type { StoreConnection } from './database.js';
import { looksLikeGuid } from './interaction-repository.js';
import type { Database, LegalHoldsTable } from './schema.js';

/** Runs inside the hold's own transaction (the audit entry): both commit or neither. */
export type WithinTransaction = (root: Transaction<Database>, hold: LegalHold) => Promise<void>;

export class HoldRepository {
  constructor(private readonly store: StoreConnection) {}

  async create(tenantId: string, input: HoldInput, createdBy: string, within: WithinTransaction, nowMs = Date.now()) {
    return this.store.write(async (root) => {
      await this.store.impl.lockHoldGate(root, tenantId, 'hold');
      const hold: LegalHold = {
        id: `hold-${randomUUID()}`,
        name: input.name,
        reason: input.reason,
        kind: input.kind,
        createdBy,
        createdMs: nowMs,
      };
      if (input.contactId !== undefined) hold.contactId = input.contactId;
      if (input.query !== undefined) hold.query = input.query;
      if (input.interactionIds !== undefined) hold.interactionIds = await this.resolveAll(root, tenantId, input.interactionIds);
      const main = this.store.on(root, 'main');
      await main
        .insertInto('legal_holds')
        .values({
          tenant_id: tenantId,
          id: hold.id,
          name: hold.name,
          reason: hold.reason,
          kind: hold.kind,
          contact_id: hold.contactId ?? null,
          query: hold.query ? JSON.stringify(hold.query) : null,
          created_by: createdBy,
          created_ms: nowMs,
          released_ms: null,
          released_by: null,
          release_reason: null,
        })
        .execute();
      const rows = (hold.interactionIds ?? []).map((id) => ({ tenant_id: tenantId, interaction_id: id, hold_id: hold.id }));
      for (const chunk of chunkValues(rows)) await main.insertInto('legal_hold_interactions').values(chunk).execute();
      await within(root, hold);
      return hold;
    });
  }

  /** The stored ids of interactions named by id or guid, in either store; an unknown one is a 400 naming it. */
  private async resolveAll(root: Transaction<Database>, tenantId: string, named: string[]): Promise<string[]> {
    const found = new Map<string, string>();
    for (const source of ['main', 'archive'] as Source[]) {
      const db = this.store.on(root, source);
      for (const column of ['id', 'guid'] as const) {
        const values = named
          .filter((n) => looksLikeGuid(n) === (column === 'guid'))
          .map((n) => (column === 'guid' ? n.toLowerCase() : n));
        for (const chunk of chunkValues(values)) {
          const rows = await db
            .selectFrom('interactions')
            .select(['id', 'guid'])
            .where('tenant_id', '=', tenantId)
            .where(column, 'in', chunk)
            .execute();
          for (const r of rows) found.set(column === 'guid' ? r.guid : r.id, r.id);
        }
      }
    }
    const problems = named.flatMap((n, i) =>
      found.has(looksLikeGuid(n) ? n.toLowerCase() : n) ? [] : [{ field: `interactionIds.${i}`, message: `no interaction ${n}` }],
    );
    if (problems.length > 0) throw errors.invalidRecord(problems);
    return [...new Set(named.map((n) => found.get(looksLikeGuid(n) ? n.toLowerCase() : n) as string))];
  }

  async list(tenantId: string, options: { includeReleased: boolean }): Promise<LegalHold[]> {
    const rows = await this.store
      .in('main')
      .selectFrom('legal_holds')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .$if(!options.includeReleased, (q) => q.where('released_ms', 'is', null))
      .orderBy('created_ms', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(rowToHold);
  }

  /** One hold with the interactions it names. */
  async get(tenantId: string, id: string): Promise<LegalHold | undefined> {
    const db = this.store.in('main');
    const row = await db
      .selectFrom('legal_holds')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const hold = rowToHold(row);
    if (hold.kind === 'interactions') {
      const ids = await db
        .selectFrom('legal_hold_interactions')
        .select('interaction_id')
        .where('tenant_id', '=', tenantId)
        .where('hold_id', '=', id)
        .orderBy('interaction_id')
        .execute();
      hold.interactionIds = ids.map((r) => r.interaction_id);
    }
    return hold;
  }

  async release(tenantId: string, id: string, releasedBy: string, reason: string, within: WithinTransaction, nowMs = Date.now()) {
    return this.store.write(async (root) => {
      const main = this.store.on(root, 'main');
      const row = await main
        .selectFrom('legal_holds')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .$if(this.store.impl.lockRows, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) throw errors.holdNotFound(id);
      if (row.released_ms !== null) throw errors.holdReleased(id);
      await main
        .updateTable('legal_holds')
        .set({ released_ms: nowMs, released_by: releasedBy, release_reason: reason })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      const hold = rowToHold({ ...row, released_ms: nowMs, released_by: releasedBy, release_reason: reason });
      await within(root, hold);
      return hold;
    });
  }
}

/**
 * The active holds covering one interaction, read in the deletion's own
 * transaction after taking the hold gate shared (see the module comment).
 * The caller holds the interaction row's lock.
 */
export async function blockingHolds(
  store: StoreConnection,
  root: Transaction<Database>,
  tenantId: string,
  interactionId: string,
  source: Source,
): Promise<string[]> {
  await store.impl.lockHoldGate(root, tenantId, 'delete');
  const main = store.on(root, 'main');
  const active = await main
    .selectFrom('legal_holds as h')
    .select(['h.id', 'h.kind', 'h.contact_id', 'h.query'])
    .where('h.tenant_id', '=', tenantId)
    .where('h.released_ms', 'is', null)
    .where((eb) =>
      eb.or([
        eb('h.kind', '<>', 'interactions'),
        eb.exists(
          eb
            .selectFrom('legal_hold_interactions as hi')
            .select(eb.lit(1).as('one'))
            .whereRef('hi.tenant_id', '=', 'h.tenant_id')
            .whereRef('hi.hold_id', '=', 'h.id')
            .where('hi.interaction_id', '=', interactionId),
        ),
      ]),
    )
    .orderBy('h.id')
    .execute();
  if (active.length === 0) return [];
  const db = store.on(root, source);
  const row = await db
    .selectFrom('interactions')
    .select(['contact_id', 'start_ms', 'media_type', 'custom_attributes'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', interactionId)
    .executeTakeFirst();
  if (!row) return [];
  let subject: HoldSubject | undefined;
  const subjectOf = async (): Promise<HoldSubject> => {
    if (subject) return subject;
    const agents = await db
      .selectFrom('interaction_agents')
      .select('agent_id')
      .where('tenant_id', '=', tenantId)
      .where('interaction_id', '=', interactionId)
      .execute();
    subject = {
      startMs: row.start_ms,
      mediaType: row.media_type,
      handlingAgentIds: agents.map((a) => a.agent_id),
      customAttributes: JSON.parse(row.custom_attributes) as Record<string, string>,
    };
    return subject;
  };
  const holding: string[] = [];
  for (const hold of active) {
    if (hold.kind === 'interactions') holding.push(hold.id);
    else if (hold.kind === 'contact') {
      if (row.contact_id !== null && row.contact_id === hold.contact_id) holding.push(hold.id);
    } else if (hold.query !== null && queryCovers(JSON.parse(hold.query) as HoldQuery, await subjectOf())) holding.push(hold.id);
  }
  return holding;
}

function rowToHold(row: LegalHoldsTable): LegalHold {
  const hold: LegalHold = {
    id: row.id,
    name: row.name,
    reason: row.reason,
    kind: row.kind as LegalHold['kind'],
    createdBy: row.created_by,
    createdMs: row.created_ms,
  };
  if (row.contact_id !== null) hold.contactId = row.contact_id;
  if (row.query !== null) hold.query = JSON.parse(row.query) as HoldQuery;
  if (row.released_ms !== null) hold.releasedMs = row.released_ms;
  if (row.released_by !== null) hold.releasedBy = row.released_by;
  if (row.release_reason !== null) hold.releaseReason = row.release_reason;
  return hold;
}

/**
 * The active holds on a contact (kind `contact`), inside a deleting
 * transaction `root` and behind the same gate as `blockingHolds`, so a hold
 * made meanwhile is seen or waits for the deletion.
 */
export async function contactHolds(
  store: StoreConnection,
  root: Transaction<Database>,
  tenantId: string,
  contactId: string,
): Promise<string[]> {
  await store.impl.lockHoldGate(root, tenantId, 'delete');
  const rows = await store
    .on(root, 'main')
    .selectFrom('legal_holds')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'contact')
    .where('contact_id', '=', contactId)
    .where('released_ms', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}
