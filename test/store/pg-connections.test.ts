/**
 * PostgreSQL connections that end while idle in the pool (session 6): a
 * database restart, a failover, an administrator's pg_terminate_backend or a
 * network timeout. pg's pool reports an idle connection's error as an `error`
 * event, and an event emitter with no listener for it throws: the process
 * ended. Now the pool's errors are logged, the dead connections are dropped,
 * and the next statement runs on a new one.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND } from '../helpers/server.js';
import { openStoreRuntime, type StoreRuntime } from '../helpers/store-runtime.js';

describe.skipIf(BACKEND !== 'postgres')('PostgreSQL connections ended while idle (postgres)', () => {
  let store: StoreRuntime;
  beforeAll(async () => {
    store = await openStoreRuntime('pg-connections');
  });
  afterAll(async () => {
    await store?.close();
  });

  it('survives its idle connections being terminated, and serves the next statement on new ones', async () => {
    const db = store.runtime.store.db;
    // Several connections opened and left idle in the pool.
    await Promise.all(Array.from({ length: 3 }, () => sql`select pg_sleep(0.05)`.execute(db)));
    const { rows } = await sql<{ database: string }>`select current_database() as database`.execute(db);
    const admin = new pg.Client({ connectionString: process.env.IXVAULT_TEST_DATABASE_URL });
    await admin.connect();
    try {
      const ended = await admin.query(
        'select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [rows[0]?.database],
      );
      expect(ended.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    // The pool hears of each ended connection as an error; the next statement must run on a new connection.
    // (A statement handed a connection that died before the pool heard of it fails once: retried here.)
    let answer: number | undefined;
    for (let attempt = 0; attempt < 5 && answer === undefined; attempt++)
      answer = await sql<{ one: number }>`select 1 as one`
        .execute(db)
        .then((r) => r.rows[0]?.one)
        .catch(() => undefined);
    expect(answer).toBe(1);
  });
});
