/**
 * Group commit (src/store/group-commit.ts), on the backend of this run: on
 * SQLite, writes that arrive during a commit share the next transaction (on
 * PostgreSQL each is a transaction of its own); a write is acknowledged only
 * once its commit is durable against power loss, whatever the connection's
 * default (SQLite: the WAL synced after the commit; PostgreSQL:
 * synchronous_commit on); a write the domain refuses is undone alone; a write
 * that fails the transaction fails alone once the group is run again write by
 * write.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Transaction } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errors, isVaultError } from '../../src/domain/errors.js';
import { connect, type StoreConnection } from '../../src/store/database.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import type { Database } from '../../src/store/schema.js';
import { BACKEND, createTestDatabase } from '../helpers/server.js';

/** File syncs, observed (not replaced): `fsync <path>` once each has returned. */
const { events } = vi.hoisted(() => ({ events: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const observed = {
    ...fs,
    open: async (path: string, ...rest: Parameters<typeof fs.open> extends [unknown, ...infer R] ? R : never) => {
      const handle = await fs.open(path, ...rest);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        await sync();
        events.push(`fsync ${path}`);
      };
      return handle;
    },
  };
  return { ...observed, default: observed };
});

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
  it('writes arriving during a commit share the next transaction, and every one is acknowledged after it commits', async () => {
    const written = Array.from({ length: 10 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const results = await Promise.all(written.map((k) => group.run(insert(k))));
    expect(results).toEqual(written);
    expect(await keys()).toEqual(written);
    // SQLite: the first write found the store idle and committed alone; the nine that arrived meanwhile, together.
    // PostgreSQL (StoreDialect.groupCommits false): ten concurrent transactions, the server groups their WAL flushes.
    expect(transactions).toBe(BACKEND === 'sqlite' ? 2 : 10);
  });

  it('acknowledges a write only once its commit is durable, whatever the connection default', async () => {
    events.length = 0;
    const during = await group.run(async (trx) => {
      await insert('x')(trx);
      events.push('written');
      return BACKEND === 'postgres'
        ? (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(trx)).rows[0]?.synchronous_commit
        : undefined;
    });
    events.push('acknowledged');
    if (BACKEND === 'sqlite') {
      // The connection commits with synchronous=NORMAL (no sync); the WAL is synced after the commit, before the answer.
      const synced = events.indexOf(`fsync ${join(dataDir, 'ixvault.db-wal')}`, events.indexOf('written'));
      expect(synced).toBeGreaterThan(events.indexOf('written'));
      expect(synced).toBeLessThan(events.indexOf('acknowledged'));
    } else {
      // On even if the server's default were off (it is set for the transaction).
      expect(during).toBe('on');
    }
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
    // SQLite: first alone, the failed group of three, then each of the three alone. PostgreSQL: each alone.
    expect(transactions).toBe(BACKEND === 'sqlite' ? 5 : 4);
  });
});
