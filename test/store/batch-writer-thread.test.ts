/**
 * SQLite writes batches of records on a thread of its own
 * (src/store/sqlite-batch-writer.ts) with its own connection, behind the
 * process's one writer lock. What must hold: a batch is stored as on the main
 * thread (rows, full-text index, in one transaction), readable by the main
 * connection once acknowledged; writes of both threads apply in the order
 * they were asked; a refused batch is the same coded error and stores nothing.
 * SQLite only: PostgreSQL has no such thread.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODES, VaultError } from '../../src/domain/errors.js';
import type { InteractionInput } from '../../src/domain/validate.js';
import { connect, type StoreConnection } from '../../src/store/database.js';
import { InteractionRepository } from '../../src/store/interaction-repository.js';
import { migrate } from '../../src/store/migrator.js';
import { sqliteBatchWriter } from '../../src/store/sqlite-batch-writer.js';
import { writerLock } from '../../src/store/writer-lock.js';
import { prestartWriterThread } from '../../src/store/writer-thread.js';
import { BACKEND } from '../helpers/server.js';

const TENANT = 't';

const record = (id: string, subject: string, extra: Partial<InteractionInput> = {}): InteractionInput => ({
  id,
  mediaType: 'chat',
  typeId: 'Inbound',
  state: 'Stopped',
  startMs: Date.UTC(2025, 0, 1),
  subject,
  owner: { id: 'agent-1' },
  handlingAgentIds: ['agent-1', 'agent-2'],
  customAttributes: { Queue: 'support' },
  userData: {},
  messages: [
    { index: 1, from: { type: 'Agent', nickname: 'Ann' }, visibility: 'All', timestampMs: 1, type: 'Text', text: 'hello there' },
  ],
  ...extra,
});

describe.runIf(BACKEND === 'sqlite')('SQLite batch writer thread', { timeout: 60_000 }, () => {
  let dataDir: string;
  let store: StoreConnection;
  let repository: InteractionRepository;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ixvault-batch-thread-'));
    store = connect({ dataDir, batchThread: true });
    await migrate(store);
    repository = new InteractionRepository(store);
  });
  afterAll(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const count = async (table: string, where = sql``) =>
    Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} ${where}`.execute(store.db)).rows[0]?.n);
  const subjectOf = async (id: string) =>
    (await store.in('main').selectFrom('interactions').select('subject').where('id', '=', id).executeTakeFirst())?.subject;

  it('stores a batch with its derived rows and full-text documents, readable by the main connection once acknowledged', async () => {
    expect(store.batches).toBeDefined();
    const ids = ['B1', 'B2', 'B3'];
    const outcomes = await repository.upsertMany(
      TENANT,
      ids.map((id) => record(id, `batch ${id}`)),
    );
    expect(outcomes.map((o) => [o.id, o.created])).toEqual(ids.map((id) => [id, true]));
    for (const id of ids) {
      const stored = await repository.get({ tenantId: TENANT }, id);
      expect(stored).toMatchObject({ id, subject: `batch ${id}`, handlingAgentIds: ['agent-1', 'agent-2'] });
      expect(stored?.messages.map((m) => m.text)).toEqual(['hello there']);
    }
    const inBatch = sql`where interaction_id in ('B1', 'B2', 'B3')`;
    expect(await count('interaction_agents', inBatch)).toBe(6);
    expect(await count('custom_attributes', inBatch)).toBe(3);
    expect(await count('text_docs', inBatch)).toBe(3);
    // The kept Vonage rendering comes from the same row mapper.
    const head = await store
      .in('main')
      .selectFrom('interactions')
      .select('vonage_head')
      .where('id', '=', 'B1')
      .executeTakeFirst();
    expect(head?.vonage_head).toContain(`"guid":"${outcomes[0]?.guid}"`);
  });

  it('applies writes of both threads in the order they were asked (the one writer lock)', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `O${round}`;
      const batch = Array.from({ length: 200 }, (_, i) => record(`O${round}-${i}`, 'filler'));
      // Batch (thread) first, then one record (main thread): the record's write must come last.
      const a = repository.upsertMany(TENANT, [...batch, record(id, 'from the batch')]);
      const b = repository.upsertMany(TENANT, [record(id, 'single, asked after the batch')]);
      await Promise.all([a, b]);
      expect(await subjectOf(id)).toBe('single, asked after the batch');
      // And the other way round.
      const c = repository.upsertMany(TENANT, [record(id, 'single, asked first')]);
      const d = repository.upsertMany(TENANT, [...batch, record(id, 'from the batch, asked after')]);
      await Promise.all([c, d]);
      expect(await subjectOf(id)).toBe('from the batch, asked after');
    }
  });

  it('refuses a conflicting batch with the coded error, per record, and stores none of it', async () => {
    const guid = randomUUID();
    await repository.upsertMany(TENANT, [record('C1', 'first', { guid }), record('C0', 'other')]);
    const refused = await repository
      .upsertMany(TENANT, [record('C2', 'new'), record('C1', 'changed guid', { guid: randomUUID() })])
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(VaultError);
    expect(refused).toMatchObject({ kind: 'conflict', code: CODES.identityConflict });
    expect((refused as VaultError).extra.invalidRecords).toEqual([
      { index: 1, problems: [expect.objectContaining({ field: 'guid' })] },
    ]);
    expect(await subjectOf('C2')).toBeUndefined();
    expect(await subjectOf('C1')).toBe('first');
  });

  it('a thread that fails answers its batches with an internal error and frees the writer lock', async () => {
    // A data directory that is a file: the thread cannot open its connection.
    const notADirectory = join(dataDir, 'not-a-directory');
    await writeFile(notADirectory, 'x');
    const lock = writerLock();
    const writer = sqliteBatchWriter(notADirectory, lock);
    const first = writer.upsertMany(TENANT, [record('F1', 'a'), record('F2', 'b')], Date.now(), 'upsert');
    const queued = writer.upsertMany(TENANT, [record('F3', 'a'), record('F4', 'b')], Date.now(), 'upsert');
    await expect(first).rejects.toMatchObject({ kind: 'internal' });
    await expect(queued).rejects.toMatchObject({ kind: 'internal' });
    await expect(lock.run(async () => 'free')).resolves.toBe('free');
    await writer.close();
  });

  it('writes with a thread started before its store existed (prestartWriterThread: import, serve)', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'ixvault-batch-prestart-'));
    const dir = join(fresh, 'data');
    // The thread loads its modules now; the store's folder and file do not exist yet.
    prestartWriterThread();
    const early = connect({ dataDir: dir, batchThread: true });
    try {
      await migrate(early);
      const outcomes = await new InteractionRepository(early).upsertMany(TENANT, [record('P1', 'prestarted')]);
      expect(outcomes.map((o) => [o.id, o.created])).toEqual([['P1', true]]);
      const stored = await early
        .in('main')
        .selectFrom('interactions')
        .select('subject')
        .where('id', '=', 'P1')
        .executeTakeFirst();
      expect(stored?.subject).toBe('prestarted');
    } finally {
      await early.close();
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('serves concurrent batches and main-thread writes without a busy error', async () => {
    const writes = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0
        ? repository.upsertMany(TENANT, [record(`M${i}`, 'single')])
        : repository.upsertMany(
            TENANT,
            Array.from({ length: 50 }, (_, j) => record(`M${i}-${j}`, 'batched')),
          ),
    );
    await Promise.all(writes);
    expect(await count('interactions', sql`where id like 'M%'`)).toBe(4 + 8 * 50);
  });
});
