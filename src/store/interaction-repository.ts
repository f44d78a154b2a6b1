/**
 * Writing and reading single interactions with their agents, attributes and
 * messages. Every function takes the tenant (or a Visibility) first: there is
 * no query here that is not scoped to one tenant.
 */
import type { Kysely, Transaction } from 'kysely';
import { errors, type FieldProblem, VaultError } from '../domain/errors.js';
import { newGuid, newInteractionId } from '../domain/ids.js';
import type { Interaction, InteractionWithDetails, Message } from '../domain/interaction.js';
import type { Visibility } from '../domain/principal.js';
import type { Source } from '../domain/search.js';
import type { InteractionInput, MessageInput } from '../domain/validate.js';
import { chunkValues } from './chunks.js';
import type { StoreConnection } from './database.js';
import { interactionToRow, messageToRow, rowToContent, rowToInteraction, rowToMessage } from './rows.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface DeletedInteraction {
  id: string;
  guid: string;
  sha256s: string[];
}

export interface UpsertOutcome {
  id: string;
  guid: string;
  created: boolean;
}

interface ExistingIdentity {
  id: string;
  guid: string;
  created_ms: number;
  content_count: number;
}

export class InteractionRepository {
  constructor(private readonly store: StoreConnection) {}

  /**
   * Creates or replaces interactions, all in one transaction: either every
   * record is stored or none. A record is matched to an existing one by id or
   * guid; content items of an existing record are kept, and so are its
   * messages when the input carries none.
   */
  async upsertMany(tenantId: string, inputs: InteractionInput[], nowMs = Date.now()): Promise<UpsertOutcome[]> {
    return this.store
      .in('main')
      .transaction()
      .execute((trx) => this.upsertIn(trx, tenantId, inputs, nowMs));
  }

  private async upsertIn(
    trx: Transaction<Database>,
    tenantId: string,
    inputs: InteractionInput[],
    nowMs: number,
  ): Promise<UpsertOutcome[]> {
    const existing = await findIdentities(trx, tenantId, inputs);
    const conflicts: { index: number; problems: FieldProblem[] }[] = [];
    const plans = inputs.map((input, index) => {
      const byId = input.id ? existing.byId.get(input.id) : undefined;
      const byGuid = input.guid ? existing.byGuid.get(input.guid) : undefined;
      const match = byId ?? byGuid;
      const problem = identityProblem(input, byId, byGuid);
      if (problem) conflicts.push({ index, problems: [problem] });
      const record: Interaction = {
        ...input,
        id: match?.id ?? input.id ?? newInteractionId(nowMs),
        guid: match?.guid ?? input.guid ?? newGuid(),
      };
      return { input, record, match };
    });
    if (conflicts.length > 0) {
      const only = conflicts.length === 1 && inputs.length === 1 ? conflicts[0]?.problems[0] : undefined;
      throw only
        ? errors.identityConflict(only.message)
        : new VaultError('conflict', 'IXV_IDENTITY_CONFLICT', 'records conflict with stored identities; none was stored', {
            extra: { invalidRecords: conflicts },
          });
    }

    const replaced = plans.filter((p) => p.match).map((p) => p.record.id);
    const keepMessages = plans.filter((p) => p.match && p.input.messages === undefined).map((p) => p.record.id);
    const replaceMessages = replaced.filter((id) => !keepMessages.includes(id));
    for (const ids of chunkValues(replaced)) {
      await trx.deleteFrom('interactions').where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
      await trx.deleteFrom('interaction_agents').where('tenant_id', '=', tenantId).where('interaction_id', 'in', ids).execute();
      await trx.deleteFrom('custom_attributes').where('tenant_id', '=', tenantId).where('interaction_id', 'in', ids).execute();
    }
    for (const ids of chunkValues(replaceMessages)) {
      await trx.deleteFrom('messages').where('tenant_id', '=', tenantId).where('interaction_id', 'in', ids).execute();
    }

    const rows = plans.map(({ record, match }) =>
      interactionToRow(tenantId, record, {
        createdMs: match?.created_ms ?? nowMs,
        updatedMs: nowMs,
        contentCount: match?.content_count ?? 0,
      }),
    );
    const agents = plans.flatMap(({ record }) =>
      record.handlingAgentIds.map((agentId) => ({
        tenant_id: tenantId,
        interaction_id: record.id,
        agent_id: agentId,
        start_ms: record.startMs,
      })),
    );
    const attributes = plans.flatMap(({ record }) =>
      Object.entries(record.customAttributes).map(([name, value]) => ({
        tenant_id: tenantId,
        interaction_id: record.id,
        name,
        value,
        start_ms: record.startMs,
      })),
    );
    const messages = plans.flatMap(({ input, record }) =>
      (input.messages ?? []).map((m) => messageToRow(tenantId, record.id, m)),
    );
    const schema = this.store.schemaOf('main');
    await this.store.rows.insert(trx, schema, 'interactions', rows);
    await this.store.rows.insert(trx, schema, 'interaction_agents', agents);
    await this.store.rows.insert(trx, schema, 'custom_attributes', attributes);
    await this.store.rows.insert(trx, schema, 'messages', messages);
    return plans.map(({ record, match }) => ({ id: record.id, guid: record.guid, created: !match }));
  }

  /** The id of a visible interaction, looked up by id or guid. */
  async resolve(visibility: Visibility, idOrGuid: string, source: Source = 'main', db?: Db): Promise<string | undefined> {
    const q = db ?? this.store.in(source);
    const column = looksLikeGuid(idOrGuid) ? 'guid' : 'id';
    let query = q
      .selectFrom('interactions as i')
      .select('i.id')
      .where('i.tenant_id', '=', visibility.tenantId)
      .where(`i.${column}`, '=', column === 'guid' ? idOrGuid.toLowerCase() : idOrGuid);
    if (visibility.agentId) query = query.where(visibleToAgent(visibility.agentId));
    const row = await query.executeTakeFirst();
    return row?.id;
  }

  async get(visibility: Visibility, idOrGuid: string, source: Source = 'main'): Promise<InteractionWithDetails | undefined> {
    const db = this.store.in(source);
    const id = await this.resolve(visibility, idOrGuid, source);
    if (!id) return undefined;
    const tenantId = visibility.tenantId;
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
  ): Promise<{ id: string; indexes: number[] }> {
    return this.store
      .in('main')
      .transaction()
      .execute(async (trx) => {
        const id = await this.resolve(visibility, idOrGuid, 'main', trx);
        if (!id) throw errors.interactionNotFound(idOrGuid);
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
        for (const chunk of chunkValues(indexes)) {
          await trx
            .deleteFrom('messages')
            .where('tenant_id', '=', tenantId)
            .where('interaction_id', '=', id)
            .where('idx', 'in', chunk)
            .execute();
        }
        const rows = numbered.map((m) => messageToRow(tenantId, id, m));
        await this.store.rows.insert(trx, this.store.schemaOf('main'), 'messages', rows);
        await trx
          .updateTable('interactions')
          .set({ updated_ms: Date.now() })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .execute();
        return { id, indexes };
      });
  }

  /**
   * Deletes an interaction with everything it owns, in one transaction, and
   * returns the content hashes it referenced so the caller can release blobs.
   */
  /**
   * Deletes an interaction with all its rows in one transaction. `withinTransaction`
   * runs in that same transaction (the audit entry): it commits with the
   * deletion or neither does.
   */
  async delete(
    visibility: Visibility,
    idOrGuid: string,
    source: Source = 'main',
    withinTransaction?: (trx: Transaction<Database>, removed: DeletedInteraction) => Promise<void>,
  ): Promise<DeletedInteraction | undefined> {
    return this.store
      .in(source)
      .transaction()
      .execute(async (trx) => {
        const id = await this.resolve(visibility, idOrGuid, source, trx);
        if (!id) return undefined;
        const tenantId = visibility.tenantId;
        const row = await trx
          .selectFrom('interactions')
          .select('guid')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
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
        const removed = { id, guid: row.guid, sha256s: content.map((c) => c.sha256) };
        await withinTransaction?.(trx, removed);
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

/** Owner first, then the others in a stable order. */
export function orderAgents(ownerId: string | null, agentIds: string[]): string[] {
  const sorted = [...agentIds].sort();
  if (ownerId && sorted.includes(ownerId)) return [ownerId, ...sorted.filter((a) => a !== ownerId)];
  return sorted;
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

async function findIdentities(db: Db, tenantId: string, inputs: InteractionInput[]) {
  const ids = inputs.flatMap((i) => (i.id ? [i.id] : []));
  const guids = inputs.flatMap((i) => (i.guid ? [i.guid] : []));
  const byId = new Map<string, ExistingIdentity>();
  const byGuid = new Map<string, ExistingIdentity>();
  const select = () =>
    db.selectFrom('interactions').select(['id', 'guid', 'created_ms', 'content_count']).where('tenant_id', '=', tenantId);
  for (const chunk of chunkValues(ids)) {
    for (const row of await select().where('id', 'in', chunk).execute()) byId.set(row.id, row);
  }
  for (const chunk of chunkValues(guids)) {
    for (const row of await select().where('guid', 'in', chunk).execute()) byGuid.set(row.guid, row);
  }
  return { byId, byGuid };
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
