/**
 * A store that starts empty has its tables analyzed as they grow, not a minute or more later by
 * autovacuum: PostgreSQL keeps the plans of named statements and triggers until a table's statistics
 * change, and plans made for empty tables read whole tables (dialects/postgres-statistics.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { BACKEND, CITUS, createTestDatabase } from '../helpers/server.js';
import { randomContentItem, storeFewInteractions } from '../helpers/store-runtime.js';

const TENANT = 'growing';

// Citus: the coordinator's tables hold no rows, their changes are counted on the workers.
describe.skipIf(BACKEND !== 'postgres' || CITUS)('statistics of growing tables (postgres)', () => {
  let runtime: Runtime;
  let dataDir: string;
  let admin: pg.Client;

  beforeAll(async () => {
    const databaseUrl = (await createTestDatabase()) as string;
    dataDir = await mkdtemp(join(tmpdir(), 'ixvault-growing-'));
    runtime = await openRuntime({
      dataDir,
      databaseUrl,
      principals: { tenants: [] },
      maxContentBytes: 1 << 20,
      secret: 'x'.repeat(32),
    });
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    await admin?.end();
    await runtime?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** When the table was last analyzed by a statement (not by autovacuum), and its planner's row count. */
  const analyzed = async (table: string) => {
    const { rows } = await admin.query<{ last_analyze: Date | null; reltuples: number }>(
      `select s.last_analyze, c.reltuples from pg_stat_user_tables s join pg_class c on c.oid = s.relid
        where s.schemaname = 'ixv_main' and s.relname = $1`,
      [table],
    );
    return rows[0];
  };

  it('analyzes the interactions and content tables after their first writes, and the other schemas not at all', async () => {
    expect((await analyzed('content_items'))?.last_analyze).toBeNull();
    const ids = await storeFewInteractions(runtime, TENANT, 1_200, 17);
    const put = (id: string) =>
      runtime.vault.content.put({ tenantId: TENANT }, id, randomContentItem('callRecording'), [], Buffer.alloc(64, 1));
    // Four in flight, as clients upload.
    for (let i = 0; i < ids.length; i += 4) await Promise.all(ids.slice(i, i + 4).map(put));
    // The counts of the last writes reach PostgreSQL's statistics up to ~10 s late; the look after them, ~11 s.
    await vi.waitFor(
      async () => {
        const content = await analyzed('content_items');
        expect(content?.last_analyze).not.toBeNull();
        expect(content?.reltuples).toBeGreaterThanOrEqual(500);
        expect((await analyzed('interactions'))?.reltuples).toBeGreaterThanOrEqual(1_000);
      },
      { timeout: 60_000, interval: 250 },
    );
    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_user_tables where last_analyze is not null and schemaname not in ('ixv_main', 'ixv_archive')`,
    );
    expect(rows[0]?.n).toBe(0);
  }, 120_000);
});
