/**
 * Writing and reading single interactions with their agents, attributes and
 * messages. Every function takes the tenant (or a Visibility) first: there is
 * no query here that is not scoped to one tenant.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { CODES, errors, type FieldProblem, VaultError } from '../domain/errors.js';
import { newGuid, newInteractionId } from '../domain/ids.js';
import { type Interaction, type InteractionWithDetails, type Message, orderAgents } from '../domain/interaction.js';
import type { Visibility } from '../domain/principal.js';
import type { Source } from '../domain/search.js';
import type { InteractionInput, MessageInput } from '../domain/validate.js';
import { chunkValues } from './chunks.js';
import type { StoreConnection } from './database.js';
import { blockingHolds, refusedChanges } from './hold-repository.js';
import { type FreshBatch, freshBatch, type RecordRows, recordRows } from './record-rows.js';
import { messageToRow, rowToContent, rowToInteraction, rowToMessage } from './rows.js';
import type { Database } from './schema.js';
import { TextIndex } from './text-index.js';

type Db = Kysely<Database> | Transaction<Database>;

/** What a deletion did: removed the interaction (its content hashes to release), or refused it for holds. */
export type DeletionOutcome =
  | { deleted: true; id: string; guid: string; sha256s: string[] }
  | { deleted: false; id: string; guid: string; holds: string[] };

export interface UpsertOutcome {
  id: string;
  guid: string;
  created: boolean;
}

/** A stored identity, in whichever store holds it (an id and a guid are unique across both). */
interface ExistingIdentity {
  source: Source;
  id: string;
  guid: string;
}

export class InteractionRepository {
  /** The full-text index, written in the same transactions as the records. */
  readonly texts: TextIndex;

  constructor(private readonly store: StoreConnection) {
    this.texts = new TextIndex(store);
  }

  /**
   * Creates or updates interactions, all in one transaction: either every
   * record is stored or none. A record is matched to an existing one by id or
   * guid in the main store or the archive, and updated in place where it is
   * (an archived interaction stays archived); content items of an existing
   * record are kept, and so are its messages when the input carries none.
   * With `mode` 'create' a record that matches a stored one is refused (409), nothing is updated.
   */
  async upsertMany(
    tenantId: string,
    inputs: InteractionInput[],
    nowMs = Date.now(),
    mode: 'upsert' | 'create' = 'upsert',
  ): Promise<UpsertOutcome[]> {
    checkIdentities(inputs);
    // A batch goes to the batch writer thread, if the store has one, which writes it as new or as records.
    if (this.store.batches && inputs.length > 1) return this.store.batches.upsertMany(tenantId, inputs, nowMs, mode);
    if (inputs.length > 1) {
      // New records, the common batch, go without identity locks; their rows are made before the transaction.
      const written = await this.writeFresh(tenantId, freshBatch(tenantId, inputs, nowMs));
      if (written) return written;
    }
    return this.upsertRecords(tenantId, inputs, nowMs, mode);
  }

  /**
   * upsertMany's way for records that may be stored: the identity locks, the
   * look-up, then each record updated, inserted or refused. The batch writer
   * thread runs it for a batch its fresh write could not take. The inputs'
   * identities were checked by upsertMany (checkIdentities).
   */
  async upsertRecords(
    tenantId: string,
    inputs: InteractionInput[],
    nowMs: number,
    mode: 'upsert' | 'create' = 'upsert',
  ): Promise<UpsertOutcome[]> {
    const keys = identityKeys(
      inputs.flatMap((input) => (input.id ? [input.id] : [])),
      inputs.flatMap((input) => (input.guid ? [input.guid] : [])),
    );
    const locked = () =>
      this.store.write(async (trx) => {
        // Before the lookup: a concurrent write of the same new id or guid has no row to lock yet.
        await this.store.impl.lockKeys(trx, identityScope(tenantId), keys);
        return this.upsertIn(trx, tenantId, inputs, nowMs, mode);
      });
    return this.refusingDuplicates(
      locked().catch((err: unknown) => {
        // A writer without the locks (writeFresh) stored one of these new identities first: run again, and the
        // lookup finds its record, to update or refuse as if this write had come after it.
        if (!this.store.impl.isUniqueViolation(err)) throw err;
        return locked();
      }),
    );
  }

  /**
   * The last line of the consistency model: should the database still refuse
   * a duplicate id or guid (a writer that did not take the identity locks),
   * the caller gets the catalogue's 409, never the driver's error.
   */
  private async refusingDuplicates<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (err) {
      if (!this.store.impl.isUniqueViolation(err)) throw err;
      throw errors.identityConflict('a concurrent write stored the same id or guid; none of these records was stored');
    }
  }

  /**
   * A read-modify-write of one visible interaction in ONE write transaction:
   * the row is locked (SQLite: the IMMEDIATE transaction holds the write lock;
   * PostgreSQL: FOR UPDATE) from the read to the write, so concurrent patches
   * apply one after the other and none is lost.
   */
  async modify(
    visibility: Visibility,
    idOrGuid: string,
    change: (current: InteractionWithDetails) => InteractionInput,
    nowMs = Date.now(),
  ): Promise<UpsertOutcome> {
    const write = this.store.write(async (trx) => {
      const id = await this.resolve(visibility, idOrGuid, 'main', trx, { lock: true });
      if (!id) throw errors.interactionNotFound(idOrGuid);
      const current = await this.load(this.store.on(trx, 'main'), visibility.tenantId, id);
      if (!current) throw errors.interactionNotFound(idOrGuid);
      const input = change(current);
      checkIdentities([input]);
      const [outcome] = await this.upsertIn(trx, visibility.tenantId, [input], nowMs);
      if (!outcome) throw errors.internal('upsert returned nothing');
      return outcome;
    });
    return this.refusingDuplicates(write);
  }

  private async upsertIn(
    trx: Transaction<Database>,
    tenantId: string,
    inputs: InteractionInput[],
    nowMs: number,
    mode: 'upsert' | 'create' = 'upsert',
  ): Promise<UpsertOutcome[]> {
    const existing = await this.findIdentities(
      trx,
      tenantId,
      inputs.flatMap((i) => (i.id ? [i.id] : [])),
      inputs.flatMap((i) => (i.guid ? [i.guid] : [])),
    );
    const conflicts: { index: number; problems: FieldProblem[] }[] = [];
    const plans = inputs.map((input, index) => {
      const byId = input.id ? existing.byId.get(input.id) : undefined;
      const byGuid = input.guid ? existing.byGuid.get(input.guid) : undefined;
      const match = byId ?? byGuid;
      const problem =
        mode === 'create' && match
          ? { field: byId ? 'id' : 'guid', message: `${byId ? input.id : input.guid} is taken by another interaction` }
          : identityProblem(input, byId, byGuid);
      if (problem) conflicts.push({ index, problems: [problem] });
      const record: Interaction = {
        ...input,
        id: match?.id ?? input.id ?? newInteractionId(nowMs),
        guid: match?.guid ?? input.guid ?? newGuid(),
      };
      return { input, record, match, source: match?.source ?? ('main' as Source) };
    });
    if (conflicts.length > 0) {
      const only = conflicts.length === 1 && inputs.length === 1 ? conflicts[0]?.problems[0] : undefined;
      throw only
        ? errors.identityConflict(only.message)
        : new VaultError('conflict', CODES.identityConflict, 'records conflict with stored identities; none was stored', {
            extra: { invalidRecords: conflicts },
          });
    }
    await this.refuseHeldChanges(
      trx,
      tenantId,
      plans.flatMap(({ input, record, match }, index) =>
        match ? [{ index, id: record.id, source: match.source, next: input }] : [],
      ),
      inputs.length === 1,
    );
    // Rows are written in id order, the order the lookup locked them in (no lock-order deadlock between batches).
    plans.sort((a, b) => (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0));
    for (const source of ['main', 'archive'] as const) {
      const group = plans.filter((p) => p.source === source);
      if (group.length > 0) await this.writeRecords(trx, source, tenantId, group, nowMs);
    }
    const byIndex = new Map(plans.map((p) => [p.input, p]));
    return inputs.map((input) => {
      const plan = byIndex.get(input);
      if (!plan) throw errors.internal('upsert lost a record');
      return { id: plan.record.id, guid: plan.record.guid, created: !plan.match };
    });
  }

  /** Refuses (409) a write that would change or remove what was said in a held interaction (hold-repository.ts). */
  private async refuseHeldChanges(
    trx: Transaction<Database>,
    tenantId: string,
    changes: Parameters<typeof refusedChanges>[3],
    single: boolean,
  ): Promise<void> {
    const refused = await refusedChanges(this.store, trx, tenantId, changes);
    const [only] = refused;
    if (!only) return;
    throw single ? errors.heldChange(only.id, only.holds, only.problems) : errors.heldChanges(refused);
  }

  /** Writes records into one store: the interaction row in place, its derived rows replaced. */
  private async writeRecords(
    trx: Transaction<Database>,
    source: Source,
    tenantId: string,
    plans: { input: InteractionInput; record: Interaction; match: ExistingIdentity | undefined }[],
    nowMs: number,
  ): Promise<void> {
    const db = this.store.on(trx, source);
    const matched = plans.filter((p) => p.match).map((p) => p.record.id);
    const replaceMessages = plans.filter((p) => p.match && p.input.messages !== undefined).map((p) => p.record.id);
    for (const ids of chunkValues(matched)) {
      await db.deleteFrom('interaction_agents').where('tenant_id', '=', tenantId).where('interaction_id', 'in', ids).execute();
      await db.deleteFrom('custom_attributes').where('tenant_id', '=', tenantId).where('interaction_id', 'in', ids).execute();
    }
    for (const ids of chunkValues(replaceMessages)) {
      await db.deleteFrom('messages').where('tenant_id', '=', tenantId).where('interaction_id', 'in', ids).execute();
    }
    // Stored records and new ones apart: the new ones' rows are INSERTed (see writeFresh).
    for (const group of [plans.filter((p) => p.match), plans.filter((p) => !p.match)]) {
      if (group.length === 0) continue;
      const rows = recordRows(
        tenantId,
        group.map(({ input, record, match }) => ({ input, id: record.id, guid: record.guid, existed: match !== undefined })),
        nowMs,
      );
      await this.writeRows(trx, source, tenantId, rows, group[0]?.match ? matched : []);
    }
  }

  /**
   * The rows of records into one store: the interaction rows, their derived
   * rows, the card-redaction counts, the full-text documents. `stored` names
   * the records (all of them, or none) stored before: their interaction rows
   * are updated in place (their derived rows were deleted before); new
   * records' rows are inserted, so that a concurrent writer of the same new
   * identity fails on the unique index rather than overwriting it.
   */
  private async writeRows(
    trx: Transaction<Database>,
    source: Source,
    tenantId: string,
    rows: RecordRows,
    stored: string[],
  ): Promise<void> {
    // created_ms and content_count of an existing row are kept: content_count belongs to the content
    // transactions, which hold the row's lock while they change it.
    if (stored.length > 0)
      await this.store.rows.upsertColumns(trx, source, 'interactions', rows.interactions, {
        conflict: ['tenant_id', 'id'],
        keep: ['created_ms', 'content_count', 'card_redactions'],
      });
    else await this.store.rows.insertColumns(trx, source, 'interactions', rows.interactions);
    await this.store.rows.insertColumns(trx, source, 'interaction_agents', rows.agents);
    await this.store.rows.insertColumns(trx, source, 'custom_attributes', rows.attributes);
    await this.store.rows.insertColumns(trx, source, 'messages', rows.messages);
    // The count accumulates over a record's writes: what an earlier write masked is not in this input any more.
    const db = this.store.on(trx, source);
    for (const [i, count] of rows.cardRedactions.entries()) {
      if (count === 0) continue;
      await db
        .updateTable('interactions')
        .set((eb) => ({ card_redactions: eb('card_redactions', '+', count) }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', rows.ids[i] as string)
        .execute();
    }
    const { documents } = rows;
    await this.texts.writeRecords(
      trx,
      source,
      tenantId,
      documents.ids.map((id, i) => ({ id, startMs: documents.startMs[i] as number, body: documents.bodies[i] as string })),
      stored,
    );
  }

  /**
   * Writes a batch of records new to the store (record-rows.ts freshBatch: rows
   * made beforehand), in one transaction: all or nothing. Returns undefined,
   * having written nothing, when the store holds any id or guid the records
   * name, or a concurrent writer stored one first: they must then be written
   * as records (upsertMany's locked way), which updates or refuses them.
   */
  async writeFresh(tenantId: string, batch: FreshBatch): Promise<UpsertOutcome[] | undefined> {
    const { ids, guids } = batch.given;
    const taken = (found: { byId: Map<string, unknown>; byGuid: Map<string, unknown> }) =>
      found.byId.size > 0 || found.byGuid.size > 0;
    const write = this.store.write(async (trx) => {
      // No identity locks (a batch's 2000 ids and guids as locks ran PostgreSQL's lock table out): the
      // interactions are INSERTed, never upserted, so of two writers of the same new identity the unique
      // index makes the later one wait for the first and fail, and that one goes the locked way.
      if (taken(await this.findIdentities(trx, tenantId, ids, guids))) return undefined;
      await this.writeRows(trx, 'main', tenantId, batch.rows, []);
      // Where writers run at once (PostgreSQL; SQLite's IMMEDIATE transaction excludes every other), the
      // archive is read again after the insert: a record that another writer stored and the archive moved
      // between our look-up and our insert is no longer in main, so the insert met no conflict there.
      if (this.store.impl.lockRows && taken(await this.findIdentities(trx, tenantId, ids, guids, ['archive'])))
        throw new FreshIdentitiesTaken();
      return batch.outcomes;
    });
    // SQLite (the batch writer thread answers one transaction a batch): nothing can have come between.
    if (!this.store.impl.lockRows) return this.refusingDuplicates(write);
    try {
      return await write;
    } catch (err) {
      if (err instanceof FreshIdentitiesTaken || this.store.impl.isUniqueViolation(err)) return undefined;
      throw err;
    }
  }

  /**
   * The stored identities the inputs name, in either store: one statement per
   * store whatever the batch's size (the ids and the guids each bound as one
   * list: identityLookup). On PostgreSQL the rows are locked, main first: an
   * archive move of the same interaction then either waits for this
   * transaction or has finished, and the archive is read after the lock, so a
   * record moving under us is found where it went.
   */
  private async findIdentities(
    trx: Transaction<Database>,
    tenantId: string,
    ids: string[],
    guids: string[],
    sources: readonly Source[] = ['main', 'archive'],
  ) {
    const byId = new Map<string, ExistingIdentity>();
    const byGuid = new Map<string, ExistingIdentity>();
    // Records that name neither (ixvault makes both) have nothing to find.
    if (ids.length === 0 && guids.length === 0) return { byId, byGuid };
    for (const source of sources) {
      const { rows } = await identityLookup(this.store, source, tenantId, ids, guids).execute(trx);
      for (const row of rows) {
        const identity = { source, ...row };
        if (!byId.has(row.id)) byId.set(row.id, identity);
        if (!byGuid.has(row.guid)) byGuid.set(row.guid, identity);
      }
    }
    return { byId, byGuid };
  }

  /** The id of a visible interaction, looked up by id or guid. */
  async resolve(
    visibility: Visibility,
    idOrGuid: string,
    source: Source = 'main',
    trx?: Transaction<Database>,
    options: { lock?: boolean } = {},
  ): Promise<string | undefined> {
    const q = trx ? this.store.on(trx, source) : this.store.in(source);
    const column = looksLikeGuid(idOrGuid) ? 'guid' : 'id';
    let query = q
      .selectFrom('interactions as i')
      .select('i.id')
      .where('i.tenant_id', '=', visibility.tenantId)
      .where(`i.${column}`, '=', column === 'guid' ? idOrGuid.toLowerCase() : idOrGuid)
      // `of i`: lock the interaction row only, not the agents row the visibility check reads.
      .$if(options.lock === true && this.store.impl.lockRows, (qb) => qb.forUpdate('i'));
    if (visibility.agentId) query = query.where(visibleToAgent(visibility.agentId));
    const row = await query.executeTakeFirst();
    return row?.id;
  }

  async get(visibility: Visibility, idOrGuid: string, source: Source = 'main'): Promise<InteractionWithDetails | undefined> {
    const id = await this.resolve(visibility, idOrGuid, source);
    if (!id) return undefined;
    return this.load(this.store.in(source), visibility.tenantId, id);
  }

  /** One interaction with its details, read through `db` (a store or a transaction bound to one). */
  private async load(db: Db, tenantId: string, id: string): Promise<InteractionWithDetails | undefined> {
    const [row, agents, messages, content] = await Promise.all([
      db.selectFrom('interactions').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),
      db
        .selectFrom('interaction_agents')
        .select('agent_id')
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', '=', id)
        .execute(),
      db
        .selectFrom('messages')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', '=', id)
        .orderBy('idx')
        .execute(),
      db
        .selectFrom('content_items')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', '=', id)
        .orderBy('content_key')
        .execute(),
    ]);
    if (!row) return undefined;
    return {
      ...rowToInteraction(
        row,
        orderAgents(
          row.owner_id,
          agents.map((a) => a.agent_id),
        ),
      ),
      messages: messages.map(rowToMessage),
      content: content.map(rowToContent),
      createdMs: row.created_ms,
      updatedMs: row.updated_ms,
      cardRedactions: row.card_redactions,
    };
  }

  /**
   * Adds messages; a message whose index already exists replaces it. Messages
   * without an index are numbered after the current last one.
   */
  async appendMessages(
    visibility: Visibility,
    idOrGuid: string,
    messages: MessageInput[],
    cardRedactions = 0,
  ): Promise<{ id: string; indexes: number[] }> {
    return this.store.write(async (root) => {
      const id = await this.resolve(visibility, idOrGuid, 'main', root, { lock: true });
      if (!id) throw errors.interactionNotFound(idOrGuid);
      const trx = this.store.on(root, 'main');
      const tenantId = visibility.tenantId;
      const last = await trx
        .selectFrom('messages')
        .select((eb) => eb.fn.max('idx').as('max'))
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', '=', id)
        .executeTakeFirst();
      let next = Number(last?.max ?? 0) + 1;
      const numbered: Message[] = messages.map((m) => ({ ...m, index: m.index ?? next++ }));
      const indexes = numbered.map((m) => m.index);
      // A numbered message may land on an index the request also names explicitly: the same 400 as ingest's.
      const duplicates = indexes.flatMap((index, i) =>
        indexes.indexOf(index) === i ? [] : [{ field: `messages.${i}.index`, message: `duplicate message index ${index}` }],
      );
      if (duplicates.length > 0) throw errors.invalidRecord(duplicates);
      await this.refuseHeldChanges(
        root,
        tenantId,
        [{ index: 0, id, source: 'main', next: { messages: numbered }, appendOnly: true }],
        true,
      );
      for (const chunk of chunkValues(indexes)) {
        await trx
          .deleteFrom('messages')
          .where('tenant_id', '=', tenantId)
          .where('interaction_id', '=', id)
          .where('idx', 'in', chunk)
          .execute();
      }
      const rows = numbered.map((m) => messageToRow(tenantId, id, m));
      await this.store.rows.insert(root, 'main', 'messages', rows);
      await this.texts.writeMessages(root, tenantId, id);
      await trx
        .updateTable('interactions')
        .set((eb) => ({ updated_ms: Date.now(), card_redactions: eb('card_redactions', '+', cardRedactions) }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      return { id, indexes };
    });
  }

  /**
   * THE deletion of an interaction (every path comes here: the APIs,
   * retention, erasure): with everything it owns, in one transaction, unless a
   * legal hold covers it, which this transaction checks with the row locked
   * (hold-repository.ts: race-safe against a hold created meanwhile). Returns
   * the content hashes it referenced so the caller can release blobs, or the
   * holds that refused it. `withinTransaction` runs in that same transaction
   * (the audit entry of the deletion or of the refusal): it commits with the
   * outcome or neither does.
   */
  async delete(
    visibility: Visibility,
    idOrGuid: string,
    source: Source = 'main',
    withinTransaction?: (root: Transaction<Database>, outcome: DeletionOutcome) => Promise<void>,
  ): Promise<DeletionOutcome | undefined> {
    return this.store.write(async (root) => {
      const id = await this.resolve(visibility, idOrGuid, source, root, { lock: true });
      if (!id) return undefined;
      const trx = this.store.on(root, source);
      const tenantId = visibility.tenantId;
      const row = await trx
        .selectFrom('interactions')
        .select('guid')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const holds = await blockingHolds(this.store, root, tenantId, id, source);
      if (holds.length > 0) {
        const refused: DeletionOutcome = { deleted: false, id, guid: row.guid, holds };
        await withinTransaction?.(root, refused);
        return refused;
      }
      const content = await trx
        .selectFrom('content_items')
        .select('sha256')
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', '=', id)
        .execute();
      for (const table of ['messages', 'content_items', 'interaction_agents', 'custom_attributes'] as const) {
        await trx.deleteFrom(table).where('tenant_id', '=', tenantId).where('interaction_id', '=', id).execute();
      }
      await trx.deleteFrom('interactions').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
      await this.texts.remove(root, source, tenantId, [id]);
      const removed: DeletionOutcome = { deleted: true, id, guid: row.guid, sha256s: content.map((c) => c.sha256) };
      await withinTransaction?.(root, removed);
      return removed;
    });
  }

  /** Handling agents of many interactions at once (for search pages). */
  async agentsOf(db: Db, tenantId: string, ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const chunk of chunkValues(ids)) {
      const rows = await db
        .selectFrom('interaction_agents')
        .select(['interaction_id', 'agent_id'])
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', 'in', chunk)
        .execute();
      for (const r of rows) {
        const list = out.get(r.interaction_id);
        if (list) list.push(r.agent_id);
        else out.set(r.interaction_id, [r.agent_id]);
      }
    }
    return out;
  }

  /** Content items of many interactions at once (for search pages). */
  async contentOf(db: Db, tenantId: string, ids: string[]) {
    const out = new Map<string, ReturnType<typeof rowToContent>[]>();
    for (const chunk of chunkValues(ids)) {
      const rows = await db
        .selectFrom('content_items')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', 'in', chunk)
        .orderBy('interaction_id')
        .orderBy('content_key')
        .execute();
      for (const r of rows) {
        const item = rowToContent(r);
        const list = out.get(r.interaction_id);
        if (list) list.push(item);
        else out.set(r.interaction_id, [item]);
      }
    }
    return out;
  }
}

export function looksLikeGuid(value: string): boolean {
  return value.length === 36 && value[8] === '-';
}

/** Agents see interactions they own or handled; the owner is always a handling agent. */
export function visibleToAgent(agentId: string) {
  // biome-ignore lint/suspicious/noExplicitAny: works on any query rooted at `interactions as i`
  return (eb: any) =>
    eb.exists(
      eb
        .selectFrom('interaction_agents as va')
        .select(eb.lit(1).as('one'))
        .whereRef('va.tenant_id', '=', 'i.tenant_id')
        .whereRef('va.interaction_id', '=', 'i.id')
        .where('va.agent_id', '=', agentId),
    );
}

function identityProblem(
  input: InteractionInput,
  byId: ExistingIdentity | undefined,
  byGuid: ExistingIdentity | undefined,
): FieldProblem | undefined {
  if (byId && byGuid && byId.id !== byGuid.id)
    return { field: 'guid', message: `guid ${input.guid} belongs to interaction ${byGuid.id}, not ${byId.id}` };
  if (byId && input.guid && byId.guid !== input.guid)
    return { field: 'guid', message: `interaction ${byId.id} has guid ${byId.guid}; a guid cannot change` };
  if (byGuid && input.id && byGuid.id !== input.id)
    return { field: 'id', message: `guid ${byGuid.guid} belongs to interaction ${byGuid.id}; an id cannot change` };
  return undefined;
}

/** Thrown inside writeFresh's transaction to undo it: the archive holds one of the batch's identities. */
class FreshIdentitiesTaken extends Error {}

/** The lock scope of a tenant's interaction identities (StoreDialect.lockKeys). */
function identityScope(tenantId: string): string {
  return `${tenantId}\u0000identity`;
}

/** The lock keys of the ids and guids a write names: taken before they are looked up (see upsertMany). */
function identityKeys(ids: string[], guids: string[]): string[] {
  return [...ids.map((id) => `id\u0000${id}`), ...guids.map((guid) => `guid\u0000${guid}`)];
}

/**
 * Rules on the identities a set of inputs carries, before the store is asked:
 * an id shaped like a GUID would be unreachable (lookups route such a value to
 * the guid column), and one write may not name the same id or guid twice.
 */
export function checkIdentities(inputs: InteractionInput[]): void {
  const invalid: { index: number; problems: FieldProblem[] }[] = [];
  const seenIds = new Map<string, number>();
  const seenGuids = new Map<string, number>();
  inputs.forEach((input, index) => {
    const problems: FieldProblem[] = [];
    if (input.id !== undefined && looksLikeGuid(input.id))
      problems.push({
        field: 'id',
        message: 'must not have the form of a GUID (such values are looked up as guids); put it in guid',
      });
    if (input.id !== undefined) {
      const first = seenIds.get(input.id);
      if (first !== undefined) problems.push({ field: 'id', message: `same id as record ${first}` });
      else seenIds.set(input.id, index);
    }
    if (input.guid !== undefined) {
      const first = seenGuids.get(input.guid);
      if (first !== undefined) problems.push({ field: 'guid', message: `same guid as record ${first}` });
      else seenGuids.set(input.guid, index);
    }
    if (problems.length > 0) invalid.push({ index, problems });
  });
  const [first] = invalid;
  if (!first) return;
  if (inputs.length === 1) throw errors.invalidRecord(first.problems);
  throw errors.invalidBatch(invalid);
}

/**
 * The statement of findIdentities: the stored identities of one store among
 * these ids and guids, locked on PostgreSQL. The tenant is repeated in each
 * half of the OR so that each half is a search of its own unique index
 * (SQLite: MULTI-INDEX OR, PostgreSQL: BitmapOr); `tenant_id = ? and (… or …)`
 * makes SQLite scan the tenant (test/store/identity-lookup.test.ts).
 */
export function identityLookup(store: StoreConnection, source: Source, tenantId: string, ids: string[], guids: string[]) {
  const { inList, lockRows } = store.impl;
  return sql<{ id: string; guid: string }>`select id, guid from ${store.table(source, 'interactions')}
    where (tenant_id = ${tenantId} and id ${inList(ids)}) or (tenant_id = ${tenantId} and guid ${inList(guids)})
    order by id${lockRows ? sql` for update` : sql``}`;
}
