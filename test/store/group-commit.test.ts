/**
 * Group commit (src/store/group-commit.ts), on the backend of this run:
 * writes that arrive during a commit share the next transaction; each commit
 * is durable against power loss whatever the connection's default (SQLite:
 * synchronous=FULL for that commit only; PostgreSQL: synchronous_commit on);
 * a write the domain refuses is undone alone; a write that fails the
 * transaction fails alone once the group is run again write by write.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Transaction } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errors, isVaultError } from '../../src/domain/errors.js';
import { connect, type StoreConnection } from '../../src/store/database.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import type { Database } from '../../src/store/schema.js';
import { BACKEND, createTestDatabase } from '../helpers/server.js';

describe(`group commit (${BACKEND})`, { timeout: 60_000 }, () => {
  let dataDir: string;
  let store: StoreConnection;
  /** Transactions the group commit opened. */
  let transactions: number;
  let group: GroupCommit;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ixvault-group-'));
    const databaseUrl = await createTestDatabase();
    store = connect(databaseUrl ? { dataDir, databaseUrl, poolSize: 4 } : { dataDir });
    await sql`create table group_probe (k text primary key)`.execute(store.db);
    transactions = 0;
    group = new GroupCommit({
      ...store,
      writeDurable: (work) => {
        transactions++;
        return store.writeDurable(work);
      },
    });
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const insert = (k: string) => async (trx: Transaction<Database>) => {
    await sql`insert into group_probe (k) values (${k})`.execute(trx);
    return k;
  };
  const keys = async () =>
    (await sql<{ k: string }>`select k from group_probe order by k`.execute(store.db)).rows.map((r) => r.k);
  /** The durability setting in force for the current commit. */
  const syncSetting = async (db: Transaction<Database> | StoreConnection['db']) =>
    BACKEND === 'sqlite'
      ? String(
          ((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0] as { synchronous: number }).synchronous,
        )
      : String(
          (
            (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0] as {
              synchronous_commit: string;
            }
          ).synchronous_commit,
        );

  it('writes arriving during a commit share the next transaction, and every one is acknowledged after it commits', async () => {
    const written = Array.from({ length: 10 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const results = await Promise.all(written.map((k) => group.run(insert(k))));
    expect(results).toEqual(written);
    expect(await keys()).toEqual(written);
    // The first write found the store idle and committed alone; the nine that arrived meanwhile, together.
    expect(transactions).toBe(2);
  });

  it('commits durably whatever the connection default, and leaves the default as it was', async () => {
    const before = await syncSetting(store.db);
    const during = await group.run(async (trx) => syncSetting(trx));
    // SQLite: 2 is FULL (the WAL is synced at this commit; the connection default, NORMAL, is 1). PostgreSQL: on.
    expect(during).toBe(BACKEND === 'sqlite' ? '2' : 'on');
    expect(await syncSetting(store.db)).toBe(before);
  });

  it('undoes a write the domain refuses alone: its caller gets the refusal, the others commit', async () => {
    const refused = group.run(async (trx) => {
      await insert('refused')(trx);
      throw errors.interactionNotFound('nobody');
    });
    const outcomes = await Promise.allSettled([group.run(insert('a')), refused, group.run(insert('b'))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(isVaultError((outcomes[1] as PromiseRejectedResult).reason)).toBe(true);
    expect(await keys()).toEqual(['a', 'b']);
  });

  it('runs a group again write by write when one write fails its transaction, so only that write fails', async () => {
    await group.run(insert('taken'));
    transactions = 0;
    const first = group.run(insert('first'));
    // These three form one group; the duplicate key fails its transaction.
    const outcomes = await Promise.allSettled([
      group.run(insert('c')),
      group.run(insert('taken')),
      group.run(insert('d')),
      first,
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(store.impl.isUniqueViolation((outcomes[1] as PromiseRejectedResult).reason)).toBe(true);
    expect(await keys()).toEqual(['c', 'd', 'first', 'taken']);
    // first alone, the failed group of three, then each of the three alone.
    expect(transactions).toBe(5);
  });
});
