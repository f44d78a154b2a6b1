import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { AuditRepository } from '../../src/store/audit-repository.js';
import { ContentRepository } from '../../src/store/content-repository.js';
import { connect, type StoreConnection } from '../../src/store/database.js';
import { copyStatement, copyText } from '../../src/store/dialects/postgres-copy.js';
import { InteractionRepository } from '../../src/store/interaction-repository.js';
import { contentToRow } from '../../src/store/rows.js';
import type { Database } from '../../src/store/schema.js';
import { BACKEND, CITUS, createTestDatabase } from '../helpers/server.js';
import { randomContentItem, storeFewInteractions } from '../helpers/store-runtime.js';
import { Link } from '../reliability/link.js';

const TENANT = 'trips';
const visibility = { tenantId: TENANT };

describe.skipIf(BACKEND !== 'postgres')('round trips to PostgreSQL (postgres)', () => {
  let databaseUrl: string;
  let dataDir: string;
  let runtime: Runtime;
  let link: Link;
  /** The store through the link, one connection, so that every turn counted is its statements'. */
  let linked: StoreConnection;
  let content: ContentRepository;
  const ids: string[] = [];

  beforeAll(async () => {
    databaseUrl = (await createTestDatabase()) as string;
    dataDir = await mkdtemp(join(tmpdir(), 'ixvault-trips-'));
    runtime = await openRuntime({
      dataDir,
      databaseUrl,
      principals: { tenants: [] },
      maxContentBytes: 1,
      secret: 'x'.repeat(32),
    });
    ids.push(...(await storeFewInteractions(runtime, TENANT, 4, 11)));
    const through = await Link.forUrl(databaseUrl, 5432);
    link = through.link;
    linked = connect({ dataDir, databaseUrl: through.url, poolSize: 1, analyzeGrowingTables: false });
    content = new ContentRepository(linked, new InteractionRepository(linked), new AuditRepository(linked));
    await sql`create table public.trips (k int primary key, v text not null)`.execute(linked.db);
  }, 120_000);

  afterAll(async () => {
    await linked?.close();
    await link?.close();
    await runtime?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** The round trips `work` makes through the link (its one connection already open). */
  const tripsOf = async (work: () => Promise<unknown>) => {
    const before = link.turns;
    await work();
    return link.turns - before;
  };
  const insert = (k: number, v = 'v') => CompiledQuery.raw('insert into public.trips (k, v) values ($1, $2)', [k, v]);
  const stored = async (ks: number[]) =>
    (await rawQuery<{ k: number }>('select k from public.trips where k = any($1::int[]) order by k', [ks])).map((r) => r.k);
  /** A statement on a connection of its own, not through the link. */
  async function rawQuery<R>(text: string, values: unknown[]): Promise<R[]> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as R[];
    } finally {
      await client.end();
    }
  }

  it('sends a BEGIN with the first statement, and nothing for a transaction without one', async () => {
    await sql`select 1`.execute(linked.db);
    expect(await tripsOf(() => linked.write(async (trx) => sql`select 1`.execute(trx)))).toBe(2);
    expect(await tripsOf(() => linked.write(async () => undefined))).toBe(0);
  });

  it('sends statements handed over together in one round trip, and answers each one its rows', async () => {
    let answers: readonly unknown[][] = [];
    const trips = await tripsOf(async () => {
      answers = await linked.write((trx) =>
        linked.impl.sendTogether(trx, [
          insert(1),
          CompiledQuery.raw('select k from public.trips where k = $1', [1]),
          CompiledQuery.raw('select 2 as two'),
        ] as const),
      );
    });
    expect(trips).toBe(2);
    expect(answers).toEqual([[], [{ k: 1 }], [{ two: 2 }]]);
  });

  it('sends a statement for the commit with the COMMIT', async () => {
    const trips = await tripsOf(() =>
      linked.write(async (trx) => {
        await sql`select 1`.execute(trx);
        await linked.impl.sendWithCommit(trx, insert(2));
      }),
    );
    expect(trips).toBe(2);
    expect(await stored([2])).toEqual([2]);
  });

  it('fails a transaction with the first failure among statements sent together, and commits nothing of it', async () => {
    const failure = linked.write((trx) => linked.impl.sendTogether(trx, [insert(3), insert(1), insert(4)] as const));
    // The duplicate key, not the "transaction is aborted" of the statement behind it.
    await expect(failure).rejects.toMatchObject({ code: '23505' });
    expect(await stored([3, 4])).toEqual([]);
    // The connection serves again, one statement at a time.
    await linked.write((trx) => trx.executeQuery(insert(5)));
    expect(await stored([5])).toEqual([5]);
  });

  it('runs a statement for the commit at once when no transaction is open: nothing is left on a pooled connection', async () => {
    // The type asks for a transaction; Kysely's own instance has the same shape.
    await linked.impl.sendWithCommit(linked.db as unknown as Transaction<Database>, insert(9));
    expect(await stored([9])).toEqual([9]);
    // The connection's next user, in a transaction that rolls back, does not carry it along.
    await expect(
      linked.write(async (trx) => {
        await trx.executeQuery(insert(10));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await stored([9, 10])).toEqual([9]);
  });

  it('fails a transaction whose statement for the commit fails, and commits nothing of it', async () => {
    const failure = linked.write(async (trx) => {
      await trx.executeQuery(insert(6));
      await linked.impl.sendWithCommit(trx, insert(1));
    });
    await expect(failure).rejects.toMatchObject({ code: '23505' });
    expect(await stored([6])).toEqual([]);
  });

  it('sends a COPY on its own, after the BEGIN that went before it', async () => {
    const copy = CompiledQuery.raw(copyStatement('public.trips', ['k', 'v']), [
      copyText(
        [
          [7, 8],
          ['a', 'b'],
        ],
        2,
      ),
    ]);
    // BEGIN; the COPY, its data once the server asks for it; COMMIT.
    expect(await tripsOf(() => linked.write((trx) => trx.executeQuery(copy)))).toBe(4);
    expect(await stored([7, 8])).toEqual([7, 8]);
  });

  it("writes a small upload's metadata in two round trips: BEGIN with the look-ups, the write with the COMMIT", async () => {
    const [id] = ids as [string];
    await content.put(visibility, id, randomContentItem('warm-up'));
    expect(await tripsOf(() => content.put(visibility, id, randomContentItem('recording')))).toBe(2);
    const rows = await rawQuery<{ content_key: string }>(
      'select content_key from ixv_main.content_items where tenant_id = $1 and interaction_id = $2 order by content_key',
      [TENANT, id],
    );
    expect(rows.map((r) => r.content_key)).toEqual(['recording', 'warm-up']);
  });

  it("keeps an upload's statements prepared on the connection: parsed and planned once, not on every upload", async () => {
    const id = ids[2] as string;
    const prepared = async () =>
      (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(linked.db)).rows.map((r) =>
        r.statement.replace(/\s+/g, ' '),
      );
    await content.put(visibility, id, randomContentItem('first'));
    const after = await prepared();
    // The look-up with the lock and without, and the write.
    expect(after.filter((s) => s.includes('"content_items" as "c"') && s.includes('for update of "i"'))).toHaveLength(1);
    expect(after.filter((s) => s.includes('"content_items" as "c"') && !s.includes('for update'))).toHaveLength(1);
    expect(after.filter((s) => s.includes('with items as (insert into "ixv_main"."content_items"'))).toHaveLength(1);
    await content.put(visibility, id, randomContentItem('second'));
    expect((await prepared()).length).toBe(after.length);
  });

  it('reads the item an upload replaces as committed by the upload whose lock it waited for', async () => {
    const id = ids[1] as string;
    const first = randomContentItem('voicemail');
    const second = randomContentItem('voicemail');
    // Another writer holds the interaction's row, as an upload does, and writes the item meanwhile.
    const other = new pg.Client({ connectionString: databaseUrl });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select 1 from ixv_main.interactions where tenant_id = $1 and id = $2 for update', [TENANT, id]);
      const put = content.put(visibility, id, second);
      // The upload's look-up waits for the row (its snapshot taken before the wait); on Citus, on the worker.
      const waits = CITUS
        ? 'select count(*)::int as n from citus_lock_waits'
        : `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
      const waiting = async () => (await other.query(waits)).rows[0].n as number;
      while ((await waiting()) === 0) await new Promise((resolve) => setImmediate(resolve));
      const row = runtime.store
        .in('main')
        .insertInto('content_items')
        .values(contentToRow(TENANT, id, first))
        .compile();
      await other.query(row.sql, [...row.parameters]);
      await other.query('commit');
      expect(await put).toEqual({ interactionId: id, replacedSha256: first.sha256 });
    } finally {
      await other.end();
    }
  });
});
