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

  // A connection that ends while it is checked out of the pool (a statement running on it, or a transaction
  // holding it between statements) was reported as the client's own `error` event, with nobody listening:
  // the process ended. Now the statement or transaction fails, and the server goes on.
  it('fails the statement or transaction whose connection is terminated, and the process goes on', async () => {
    const db = store.runtime.store.db;
    const admin = new pg.Client({ connectionString: process.env.IXVAULT_TEST_DATABASE_URL });
    await admin.connect();
    // Ends the connection running the marked statement, once it is seen; gives up if the work settled first.
    const terminate = async (marker: string, work: Promise<unknown>) => {
      let settled = false;
      void work.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      while (!settled) {
        const { rowCount } = await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where query like $1 and pid <> pg_backend_pid()',
          [`%${marker}%`],
        );
        if (rowCount) return;
      }
    };
    try {
      // A statement in flight.
      const running = sql`select pg_sleep(60), 'in-flight-marker'`.execute(db);
      const runningFails = expect(running).rejects.toThrow(/terminat/i);
      await terminate('in-flight-marker', running);
      await runningFails;
      // A transaction holding its connection while the application works between statements.
      let goOn!: () => void;
      const between = new Promise<void>((resolve) => {
        goOn = resolve;
      });
      const transaction = db.transaction().execute(async (trx) => {
        await sql`select 'between-statements-marker'`.execute(trx);
        await between;
        await sql`select 1`.execute(trx);
      });
      const transactionFails = expect(transaction).rejects.toThrow();
      await terminate('between-statements-marker', transaction);
      // The end reaches the client through its socket; a statement of the admin's after the termination
      // gives it the time to, without a sleep (and if it has not, the statement fails all the same).
      await admin.query('select 1');
      goOn();
      await transactionFails;
    } finally {
      await admin.end();
    }
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    expect(rows[0]?.one).toBe(1);
  });
});
