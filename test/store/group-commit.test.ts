/**
 * Group commit with batched statements (src/store/group-commit.ts), on the
 * backend of this run: on SQLite, requests that arrive during a commit are
 * written together by one call of the batch function, in the next transaction
 * (on PostgreSQL each is a batch of one in a transaction of its own); a
 * request is acknowledged only once its commit is durable against power loss,
 * whatever the connection's default (SQLite: the WAL synced after the commit;
 * PostgreSQL: synchronous_commit on); a request the domain refuses gets its
 * refusal alone while the others commit; a request that fails the
 * transaction fails alone once the group is run again request by request; two
 * requests with the same key never share a group.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Transaction } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errors, isVaultError } from '../../src/domain/errors.js';
import { connect, type StoreConnection } from '../../src/store/database.js';
import { GroupCommit, type Outcome } from '../../src/store/group-commit.js';
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

/** A probe request: a key to insert (`slot` groups requests that may not share a group), or a refusal. */
interface Probe {
  k: string;
  slot?: string;
  refuse?: boolean;
  /** Runs inside the transaction, after the insert (what the probe observes there). */
  inside?: (trx: Transaction<Database>) => Promise<void>;
}

describe(`group commit (${BACKEND})`, { timeout: 60_000 }, () => {
  let dataDir: string;
  let databaseUrl: string | undefined;
  let store: StoreConnection;
  /** Transactions the group commit opened, and the batches the batch function was given. */
  let transactions: number;
  let batches: string[][];
  let group: GroupCommit<Probe, string>;
  const observed: Record<string, unknown> = {};

  /** The probe's batch function: refusals decided first, then ONE multi-row insert for the rest. */
  const writeBatch = async (trx: Transaction<Database>, batch: Probe[]): Promise<Outcome<string>[]> => {
    batches.push(batch.map((p) => p.k));
    const accepted = batch.filter((p) => !p.refuse);
    if (accepted.length > 0)
      await sql`insert into group_probe (k) values ${sql.join(accepted.map((p) => sql`(${p.k})`))}`.execute(trx);
    for (const p of accepted) await p.inside?.(trx);
    return batch.map((p) => (p.refuse ? { ok: false, error: errors.interactionNotFound(p.k) } : { ok: true, value: p.k }));
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ixvault-group-'));
    databaseUrl = await createTestDatabase();
    store = connect(databaseUrl ? { dataDir, databaseUrl, poolSize: 4 } : { dataDir });
    await sql`create table group_probe (k text primary key)`.execute(store.db);
    transactions = 0;
    batches = [];
    group = new GroupCommit<Probe, string>(
      {
        ...store,
        write: (work) => {
          transactions++;
          return store.write(work);
        },
      },
      writeBatch,
      (p) => p.slot ?? p.k,
    );
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const keys = async () =>
    (await sql<{ k: string }>`select k from group_probe order by k`.execute(store.db)).rows.map((r) => r.k);

  it('requests arriving during a commit are written together in the next transaction, each acknowledged after it commits', async () => {
    const written = Array.from({ length: 10 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const results = await Promise.all(written.map((k) => group.run({ k })));
    expect(results).toEqual(written);
    expect(await keys()).toEqual(written);
    // SQLite: the first request found the store idle and committed alone; the nine that arrived meanwhile, as one batch.
    // PostgreSQL (StoreDialect.groupCommits false): ten concurrent transactions, the server groups their WAL flushes.
    expect(transactions).toBe(BACKEND === 'sqlite' ? 2 : 10);
    expect(batches.map((b) => b.length)).toEqual(BACKEND === 'sqlite' ? [1, 9] : written.map(() => 1));
  });

  it('acknowledges a request only once its commit is durable, whatever the connection default', async () => {
    events.length = 0;
    await group.run({
      k: 'x',
      inside: async (trx) => {
        events.push('written');
        if (BACKEND === 'postgres')
          observed.synchronousCommit = (
            await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(trx)
          ).rows[0]?.synchronous_commit;
      },
    });
    events.push('acknowledged');
    if (BACKEND === 'sqlite') {
      // The connection commits with synchronous=NORMAL (no sync); the WAL is synced after the commit, before the answer.
      const synced = events.indexOf(`fsync ${join(dataDir, 'ixvault.db-wal')}`, events.indexOf('written'));
      expect(synced).toBeGreaterThan(events.indexOf('written'));
      expect(synced).toBeLessThan(events.indexOf('acknowledged'));
    } else {
      expect(observed.synchronousCommit).toBe('on');
    }
  });

  it.runIf(BACKEND === 'postgres')(
    "commits durably on PostgreSQL even where the database's default is off: every connection sets it on",
    async () => {
      const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(store.db);
      await sql`alter database ${sql.id(rows[0]?.name as string)} set synchronous_commit = off`.execute(store.db);
      const fresh = connect({ dataDir, databaseUrl, poolSize: 2 });
      try {
        // A connection opened without the setting would start with the database's default.
        const raw = new pg.Client({ connectionString: databaseUrl });
        await raw.connect();
        expect((await raw.query('show synchronous_commit')).rows[0]?.synchronous_commit).toBe('off');
        await raw.end();
        const seen = await fresh.write(
          async (trx) =>
            (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(trx)).rows[0]?.synchronous_commit,
        );
        expect(seen).toBe('on');
      } finally {
        await fresh.close();
      }
    },
  );

  it('gives a refusal of the domain to its caller alone: the others commit', async () => {
    const outcomes = await Promise.allSettled([
      group.run({ k: 'a' }),
      group.run({ k: 'refused', refuse: true }),
      group.run({ k: 'b' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(isVaultError((outcomes[1] as PromiseRejectedResult).reason)).toBe(true);
    expect(await keys()).toEqual(['a', 'b']);
  });

  it('runs a group again request by request when one request fails its transaction, so only that request fails', async () => {
    await group.run({ k: 'taken' });
    transactions = 0;
    const first = group.run({ k: 'first' });
    // These three form one group (distinct slots); the duplicate key fails its multi-row insert.
    const outcomes = await Promise.allSettled([
      group.run({ k: 'c' }),
      group.run({ k: 'taken', slot: 'again' }),
      group.run({ k: 'd' }),
      first,
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(store.impl.isUniqueViolation((outcomes[1] as PromiseRejectedResult).reason)).toBe(true);
    expect(await keys()).toEqual(['c', 'd', 'first', 'taken']);
    // SQLite: first alone, the failed group of three, then each of the three alone. PostgreSQL: each alone.
    expect(transactions).toBe(BACKEND === 'sqlite' ? 5 : 4);
  });

  it.runIf(BACKEND === 'sqlite')(
    'never puts two requests with the same key in one group: the later waits for the next',
    async () => {
      const blocker = group.run({ k: 'blocker' });
      const outcomes = await Promise.all([
        group.run({ k: 'p1', slot: 'same' }),
        group.run({ k: 'q1' }),
        group.run({ k: 'p2', slot: 'same' }),
        blocker,
      ]);
      expect(outcomes).toEqual(['p1', 'q1', 'p2', 'blocker']);
      expect(batches).toEqual([['blocker'], ['p1', 'q1'], ['p2']]);
    },
  );
});
