/**
 * Legal holds, and the checks every deletion and every change of a stored
 * interaction make in their own transaction.
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
import { errors, type FieldProblem } from '../domain/errors.js';
import {
  changesToWhatWasSaid,
  type HoldInput,
  type HoldQuery,
  type HoldSubject,
  type LegalHold,
  queryCovers,
  type WhatWasSaid,
} from '../domain/holds.js';
import type { EmailParts } from '../domain/interaction.js';
import type { PagePosition, Source } from '../domain/search.js';
import { chunkValues } from './chunks.js';
import type { StoreConnection } from './database.js';
import { looksLikeGuid } from './interaction-repository.js';
import { rowToMessage } from './rows.js';
import type { Database, LegalHoldsTable } from './schema.js';

/** A hold as its detail shows it: the first page of the interactions it lists, and how many there are. */
export interface HoldDetail extends LegalHold {
  interactionCount: number;
  /** The last id of the first page, when more follow (the position of the next page). */
  nextInteractionId?: string;
}

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

  /** A page of the tenant's holds, newest first (ties by id). */
  async list(
    tenantId: string,
    options: { includeReleased: boolean; limit: number; after?: PagePosition },
  ): Promise<{ holds: LegalHold[]; next?: PagePosition }> {
    const { after, limit } = options;
    const rows = await this.store
      .in('main')
      .selectFrom('legal_holds')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .$if(!options.includeReleased, (q) => q.where('released_ms', 'is', null))
      .$if(after !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('created_ms', '<', after?.startMs ?? 0),
            eb.and([eb('created_ms', '=', after?.startMs ?? 0), eb('id', '<', after?.id ?? '')]),
          ]),
        ),
      )
      .orderBy('created_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const holds = rows.slice(0, limit).map(rowToHold);
    const last = holds.at(-1);
    return rows.length > limit && last ? { holds, next: { startMs: Number(last.createdMs), id: last.id } } : { holds };
  }

  /**
   * One hold with the first `limit` interactions it lists (those it names, or
   * those a change pinned to it) and how many there are; the rest page
   * through `interactions`.
   */
  async get(tenantId: string, id: string, limit: number): Promise<HoldDetail | undefined> {
    const found = await this.find(tenantId, id);
    if (!found) return undefined;
    const counted = await this.store
      .in('main')
      .selectFrom('legal_hold_interactions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('hold_id', '=', id)
      .executeTakeFirst();
    const page = await this.interactions(tenantId, id, { limit });
    const hold: HoldDetail = { ...found, interactionCount: Number(counted?.n ?? 0) };
    // A hold on named interactions holds those; one on a contact or a query, also those a change pinned to it.
    if (hold.kind === 'interactions') hold.interactionIds = page.ids;
    else if (page.ids.length > 0) hold.pinnedInteractionIds = page.ids;
    if (page.next !== undefined) hold.nextInteractionId = page.next;
    return hold;
  }

  /** One hold as it was placed (and released), without the interactions it lists. */
  async find(tenantId: string, id: string): Promise<LegalHold | undefined> {
    const row = await this.store
      .in('main')
      .selectFrom('legal_holds')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? rowToHold(row) : undefined;
  }

  /** A page of the interactions a hold lists, by id; `next` is the last id when there are more. */
  async interactions(
    tenantId: string,
    holdId: string,
    options: { limit: number; after?: string },
  ): Promise<{ ids: string[]; next?: string }> {
    const rows = await this.store
      .in('main')
      .selectFrom('legal_hold_interactions')
      .select('interaction_id')
      .where('tenant_id', '=', tenantId)
      .where('hold_id', '=', holdId)
      .$if(options.after !== undefined, (q) => q.where('interaction_id', '>', options.after ?? ''))
      .orderBy('interaction_id')
      .limit(options.limit + 1)
      .execute();
    const ids = rows.slice(0, options.limit).map((r) => r.interaction_id);
    const last = ids.at(-1);
    return rows.length > options.limit && last !== undefined ? { ids, next: last } : { ids };
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

/** An active hold, as the checks below read it. */
interface ActiveHold {
  id: string;
  kind: string;
  contact_id: string | null;
  query: string | null;
}

/** What a hold check is asked about: an interaction, in the store that holds it. */
interface Target {
  id: string;
  source: Source;
}

async function activeHolds(store: StoreConnection, root: Transaction<Database>, tenantId: string): Promise<ActiveHold[]> {
  return store
    .on(root, 'main')
    .selectFrom('legal_holds')
    .select(['id', 'kind', 'contact_id', 'query'])
    .where('tenant_id', '=', tenantId)
    .where('released_ms', 'is', null)
    .orderBy('id')
    .execute();
}

/**
 * The active holds covering each target that exists, with whether it is
 * pinned to the hold. A hold on interactions covers those it names; a hold on
 * a contact or a query covers what matches it now, and what was pinned to it
 * (`legal_hold_interactions`) when a write changed it while covered — so a
 * change of contact, time, agents or attributes does not free it.
 */
async function coveringHolds(
  store: StoreConnection,
  root: Transaction<Database>,
  tenantId: string,
  active: ActiveHold[],
  targets: Target[],
): Promise<Map<string, { hold: ActiveHold; pinned: boolean }[]>> {
  const covering = new Map<string, { hold: ActiveHold; pinned: boolean }[]>();
  if (active.length === 0 || targets.length === 0) return covering;
  const main = store.on(root, 'main');
  const pins = new Set<string>();
  for (const ids of chunkValues(targets.map((t) => t.id))) {
    const rows = await main
      .selectFrom('legal_hold_interactions')
      .select(['interaction_id', 'hold_id'])
      .where('tenant_id', '=', tenantId)
      .where('interaction_id', 'in', ids)
      .where(
        'hold_id',
        'in',
        active.map((h) => h.id),
      )
      .execute();
    for (const r of rows) pins.add(`${r.interaction_id}\u0000${r.hold_id}`);
  }
  const queries = active
    .filter((h) => h.kind === 'query' && h.query !== null)
    .map((h) => JSON.parse(h.query as string) as HoldQuery);
  for (const source of ['main', 'archive'] as Source[]) {
    const ids = targets.filter((t) => t.source === source).map((t) => t.id);
    for (const chunk of chunkValues(ids)) {
      const db = store.on(root, source);
      const rows = await db
        .selectFrom('interactions')
        .select(['id', 'contact_id', 'start_ms', 'media_type', 'custom_attributes'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', chunk)
        .execute();
      const agents = new Map<string, string[]>();
      if (queries.some((q) => q.agentId !== undefined)) {
        const agentRows = await db
          .selectFrom('interaction_agents')
          .select(['interaction_id', 'agent_id'])
          .where('tenant_id', '=', tenantId)
          .where('interaction_id', 'in', chunk)
          .execute();
        for (const a of agentRows) agents.set(a.interaction_id, [...(agents.get(a.interaction_id) ?? []), a.agent_id]);
      }
      for (const row of rows) {
        const subject: HoldSubject = {
          startMs: row.start_ms,
          mediaType: row.media_type,
          handlingAgentIds: agents.get(row.id) ?? [],
          customAttributes: JSON.parse(row.custom_attributes) as Record<string, string>,
        };
        const holds = active.flatMap((hold) => {
          const pinned = pins.has(`${row.id}\u0000${hold.id}`);
          const matches =
            (hold.kind === 'contact' && row.contact_id !== null && row.contact_id === hold.contact_id) ||
            (hold.kind === 'query' && hold.query !== null && queryCovers(JSON.parse(hold.query) as HoldQuery, subject));
          return pinned || matches ? [{ hold, pinned }] : [];
        });
        if (holds.length > 0) covering.set(row.id, holds);
      }
    }
  }
  return covering;
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
  const active = await activeHolds(store, root, tenantId);
  const covering = await coveringHolds(store, root, tenantId, active, [{ id: interactionId, source }]);
  return (covering.get(interactionId) ?? []).map((c) => c.hold.id);
}

/** A write about to change a stored interaction: what it will say after (see `changesToWhatWasSaid`). */
export interface PendingChange extends Target {
  /** The record's place in its batch. */
  index: number;
  next: WhatWasSaid;
  /** An append: messages the write does not name are kept. */
  appendOnly?: boolean;
}

export interface RefusedChange {
  index: number;
  id: string;
  holds: string[];
  problems: FieldProblem[];
}

/**
 * The changes that would change or remove what was said in an interaction an
 * active hold covers, each with its holds and problems. When none is refused,
 * every covered interaction is pinned to the contact and query holds covering
 * it now (see `coveringHolds`), so whatever else the write changes, it stays
 * held. Runs in the writing transaction after the rows are locked. Unlike a
 * deletion it needs no gate: creating a hold reads nothing a change writes
 * (only that named interactions exist), so a hold that commits after this
 * read is ordered after the write, and one acknowledged before the write began
 * is seen by this read.
 */
export async function refusedChanges(
  store: StoreConnection,
  root: Transaction<Database>,
  tenantId: string,
  changes: PendingChange[],
): Promise<RefusedChange[]> {
  if (changes.length === 0) return [];
  const active = await activeHolds(store, root, tenantId);
  if (active.length === 0) return [];
  const covering = await coveringHolds(store, root, tenantId, active, changes);
  const covered = changes.filter((c) => covering.has(c.id));
  if (covered.length === 0) return [];
  const said = await whatWasSaid(store, root, tenantId, covered);
  const refused = covered.flatMap((change) => {
    const problems = changesToWhatWasSaid(said.get(change.id) ?? {}, change.next, change.appendOnly);
    const holds = (covering.get(change.id) ?? []).map((c) => c.hold.id);
    return problems.length > 0 ? [{ index: change.index, id: change.id, holds, problems }] : [];
  });
  if (refused.length > 0) return refused;
  const pins = covered.flatMap((change) =>
    (covering.get(change.id) ?? [])
      .filter((c) => !c.pinned && c.hold.kind !== 'interactions')
      .map((c) => ({ tenant_id: tenantId, interaction_id: change.id, hold_id: c.hold.id })),
  );
  const main = store.on(root, 'main');
  for (const chunk of chunkValues(pins)) await main.insertInto('legal_hold_interactions').values(chunk).execute();
  return [];
}

/** What was said in each stored interaction: its preserved texts, and its messages where the write names messages. */
async function whatWasSaid(
  store: StoreConnection,
  root: Transaction<Database>,
  tenantId: string,
  changes: PendingChange[],
): Promise<Map<string, WhatWasSaid>> {
  const said = new Map<string, WhatWasSaid>();
  for (const source of ['main', 'archive'] as Source[]) {
    const db = store.on(root, source);
    const ids = changes.filter((c) => c.source === source).map((c) => c.id);
    const withMessages = changes.filter((c) => c.source === source && c.next.messages !== undefined).map((c) => c.id);
    for (const chunk of chunkValues(ids)) {
      const rows = await db
        .selectFrom('interactions')
        .select(['id', 'subject', 'comment', 'email'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', chunk)
        .execute();
      for (const row of rows) {
        const entry: WhatWasSaid = { messages: [] };
        if (row.subject !== null) entry.subject = row.subject;
        if (row.comment !== null) entry.comment = row.comment;
        if (row.email !== null) entry.email = JSON.parse(row.email) as EmailParts;
        said.set(row.id, entry);
      }
    }
    for (const chunk of chunkValues(withMessages)) {
      const rows = await db
        .selectFrom('messages')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', 'in', chunk)
        .orderBy('interaction_id')
        .orderBy('idx')
        .execute();
      for (const row of rows) said.get(row.interaction_id)?.messages?.push(rowToMessage(row));
    }
  }
  return said;
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
