/**
 * SQLite's batch writer thread is handed a batch as rows the main thread made
 * (record-rows.ts freshBatch), column by column, taken to be new to the store;
 * the thread checks that in its transaction and, when the store holds any id
 * or guid of the batch, writes nothing and is sent the records instead. What
 * must hold: a batch written that way stores exactly the rows (and full-text
 * documents) the main thread's own write stores; a batch naming a stored
 * record is written from its records (updated in place, refused in create
 * mode, conflicts per record) with nothing of the first attempt left behind.
 * SQLite only: PostgreSQL writes on the calling thread.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODES, VaultError } from '../../src/domain/errors.js';
import type { InteractionInput } from '../../src/domain/validate.js';
import { connect, type StoreConnection } from '../../src/store/database.js';
import { InteractionRepository } from '../../src/store/interaction-repository.js';
import { migrate } from '../../src/store/migrator.js';
import { ROWS_PER_STATEMENT } from '../../src/store/row-writer.js';
import { BACKEND } from '../helpers/server.js';

const TENANT = 't';
const NOW = Date.UTC(2025, 5, 1, 12);

/** Records with every kind of row: agents (one repeated), attributes, messages, an email, masked card numbers. */
function records(count: number, prefix: string): InteractionInput[] {
  return Array.from({ length: count }, (_, i): InteractionInput => {
    const media = (['chat', 'email', 'call'] as const)[i % 3] ?? 'chat';
    const input: InteractionInput = {
      id: `${prefix}${String(i).padStart(4, '0')}`,
      guid: randomUUID(),
      mediaType: media,
      typeId: i % 2 ? 'Inbound' : 'Outbound',
      state: 'Stopped',
      startMs: Date.UTC(2025, 0, 1) + i * 60_000,
      endMs: Date.UTC(2025, 0, 1) + i * 60_000 + 30_000,
      subject: `subject ${i} about a refund`,
      owner: { id: `agent-${i % 7}`, userName: `user${i % 7}`, firstName: 'Ann' },
      handlingAgentIds: [`agent-${i % 7}`, 'agent-x', `agent-${i % 7}`],
      connectFrom: `+1415${String(i).padStart(7, '0')}`,
      customAttributes: { Queue: i % 2 ? 'support' : 'sales', Priority: String(i % 5) },
      userData: { n: i, nested: { ok: true } },
      cardRedactions: i % 10 === 0 ? 2 : 0,
    };
    if (media === 'chat')
      input.messages = Array.from({ length: (i % 4) + 1 }, (_, k) => ({
        index: k + 1,
        from: k % 2 ? { type: 'Customer' as const, nickname: 'Bob' } : { type: 'Agent' as const, participantId: 'p1' },
        visibility: 'All' as const,
        timestampMs: Date.UTC(2025, 0, 1) + k,
        type: 'Text' as const,
        text: `message ${k} of ${i}`,
      }));
    if (media === 'email') input.email = { from: 'a@example.com', to: ['b@example.com'], text: `email body ${i}` };
    return input;
  });
}

describe.runIf(BACKEND === 'sqlite')('batches handed to the writer thread as rows', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  let threaded: StoreConnection;
  let mainThread: StoreConnection;
  let viaThread: InteractionRepository;
  let onMainThread: InteractionRepository;

  const open = async (batchThread: boolean) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ixvault-fresh-batches-'));
    dirs.push(dataDir);
    const store = connect({ dataDir, batchThread });
    await migrate(store);
    return store;
  };
  beforeAll(async () => {
    threaded = await open(true);
    mainThread = await open(false);
    viaThread = new InteractionRepository(threaded);
    onMainThread = new InteractionRepository(mainThread);
  });
  afterAll(async () => {
    await threaded.close();
    await mainThread.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** Every row a write makes, in a stable order (the FTS5 index by its documents' rowids' text). */
  const everything = async (store: StoreConnection) => {
    const all = async (query: string) => (await sql.raw(query).execute(store.db)).rows;
    return {
      interactions: await all('select * from interactions order by tenant_id, id'),
      agents: await all('select * from interaction_agents order by tenant_id, interaction_id, agent_id'),
      attributes: await all('select * from custom_attributes order by tenant_id, interaction_id, name'),
      messages: await all('select * from messages order by tenant_id, interaction_id, idx'),
      documents: await all(
        'select d.tenant_id, d.interaction_id, f.body from text_docs d join text_fts f on f.rowid = d.doc_id order by d.tenant_id, d.interaction_id',
      ),
    };
  };

  it('stores exactly the rows and documents the main thread stores, in statements of many rows', async () => {
    // More rows than one statement takes, and a remainder, in every table.
    const batch = records(ROWS_PER_STATEMENT * 3 + 7, 'R');
    expect(threaded.batches).toBeDefined();
    const [a, b] = [await viaThread.upsertMany(TENANT, batch, NOW), await onMainThread.upsertMany(TENANT, batch, NOW)];
    expect(a).toEqual(b);
    expect(a.every((o) => o.created)).toBe(true);
    const [stored, expected] = [await everything(threaded), await everything(mainThread)];
    expect(stored.interactions).toHaveLength(batch.length);
    expect(stored.messages.length).toBeGreaterThan(ROWS_PER_STATEMENT);
    expect(stored.interactions.filter((r) => (r as { card_redactions: number }).card_redactions === 2)).toHaveLength(
      Math.ceil(batch.length / 10),
    );
    expect(stored).toEqual(expected);
  });

  it('makes the ids and guids a record lacks, as the main thread would, and answers in the order asked', async () => {
    const [withGuid, withId, neither] = records(3, 'N').map((r, i) => {
      const { id, guid, ...rest } = r;
      return i === 0 ? { ...rest, guid } : i === 1 ? { ...rest, id } : rest;
    }) as [InteractionInput, InteractionInput, InteractionInput];
    const outcomes = await viaThread.upsertMany(TENANT, [withGuid, withId, neither], NOW);
    expect(outcomes.map((o) => o.created)).toEqual([true, true, true]);
    expect(outcomes[0]?.guid).toBe(withGuid.guid);
    expect(outcomes[1]?.id).toBe(withId.id);
    for (const o of outcomes) expect(await viaThread.get({ tenantId: TENANT }, o.guid)).toMatchObject({ id: o.id, guid: o.guid });
    // The same records again, now stored: found by the identity each names, updated in place.
    const again = await viaThread.upsertMany(
      TENANT,
      [
        { ...withGuid, subject: 'again' },
        { ...withId, subject: 'again' },
      ],
      NOW,
    );
    expect(again).toEqual([
      { id: outcomes[0]?.id, guid: withGuid.guid, created: false },
      { id: withId.id, guid: outcomes[1]?.guid, created: false },
    ]);
  });

  it('writes a batch naming a stored record from its records: updated in place, nothing doubled', async () => {
    const [stored, ...rest] = records(40, 'U');
    if (!stored) throw new Error('no record');
    await viaThread.upsertMany(TENANT, [stored, ...rest.slice(0, 1)], NOW);
    const changed = { ...stored, subject: 'changed', handlingAgentIds: ['agent-y'], messages: [] };
    const outcomes = await viaThread.upsertMany(TENANT, [...rest.slice(1), changed], NOW + 1);
    expect(outcomes.at(-1)).toEqual({ id: stored.id, guid: stored.guid, created: false });
    expect(outcomes.slice(0, -1).every((o) => o.created)).toBe(true);
    const read = await viaThread.get({ tenantId: TENANT }, stored.id as string);
    expect(read).toMatchObject({ subject: 'changed', handlingAgentIds: ['agent-y'], messages: [] });
    const n = async (table: string) =>
      Number(
        (
          await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where interaction_id like 'U%'`.execute(
            threaded.db,
          )
        ).rows[0]?.n,
      );
    expect(await n('text_docs')).toBe(40);
    expect(await n('interaction_agents')).toBe(1 + 39 * 2);
  });

  it('writes no document for a new record without text, and one once it has text', async () => {
    const [a, b] = records(2, 'T').map(({ subject: _s, messages: _m, email: _e, ...rest }) => ({
      ...rest,
      mediaType: 'call' as const,
    }));
    if (!a || !b) throw new Error('no records');
    await viaThread.upsertMany(TENANT, [a, b], NOW);
    const docs = async () =>
      (
        await sql<{ id: string }>`select interaction_id as id from text_docs where interaction_id like 'T%'`.execute(threaded.db)
      ).rows.map((r) => r.id);
    expect(await docs()).toEqual([]);
    await viaThread.upsertMany(TENANT, [{ ...a, subject: 'now with a subject' }, b], NOW);
    expect(await docs()).toEqual([a.id]);
  });

  it('refuses in create mode, and per record on a conflict, storing none of the batch', async () => {
    const [first, second, third] = records(3, 'K');
    if (!first || !second || !third) throw new Error('no records');
    await viaThread.upsertMany(TENANT, [first, second], NOW);
    const refused = await viaThread.upsertMany(TENANT, [third, second], NOW, 'create').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(VaultError);
    expect(refused).toMatchObject({ kind: 'conflict', code: CODES.identityConflict });
    const conflicting = await viaThread
      .upsertMany(TENANT, [third, { ...first, guid: randomUUID() }], NOW)
      .catch((err: unknown) => err);
    expect((conflicting as VaultError).extra.invalidRecords).toEqual([
      { index: 1, problems: [expect.objectContaining({ field: 'guid' })] },
    ]);
    expect(await viaThread.get({ tenantId: TENANT }, third.id as string)).toBeUndefined();
  });
});
