/**
 * Start-up migrations on the backend under test: nothing pending means no DDL
 * at all (what a Citus worker node and a role without CREATE need), `serve
 * --no-migrate` refuses a database that needs migrating, and the Citus rule
 * (every table distributed by tenant_id, colocated with ixv_main.interactions,
 * the rest reference tables) emits the right calls for the real schema. Citus
 * itself is not in Debian, so its branch is tested as the SQL it would emit
 * (docs/SCALING.md records the run on a real cluster).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentOf, parseTextQuery } from '../../src/domain/fulltext.js';
import { openRuntime } from '../../src/runtime.js';
import { connect, type StoreConnection } from '../../src/store/database.js';
import { TIME_BUCKET_MS } from '../../src/store/fulltext-engines.js';
import { InteractionRepository } from '../../src/store/interaction-repository.js';
import {
  type CatalogTable,
  catalogTables,
  citusPlan,
  citusStatements,
  MIGRATIONS,
  migrate,
  migrationStatus,
} from '../../src/store/migrator.js';
import { storedTexts } from '../../src/store/text-index.js';
import { runCli, serveCli, storeArgs } from '../helpers/cli.js';
import { BACKEND, createTestDatabase } from '../helpers/server.js';

/** Every migration, for each logical store: what a fresh store has pending. */
const ALL = ['main', 'archive'].flatMap((source) => MIGRATIONS.map((m) => `${source}:${m.name}`));
/** What a store left at 002 has pending: 003 and every later migration. */
const AFTER_002 = ['main', 'archive'].flatMap((source) => MIGRATIONS.slice(2).map((m) => `${source}:${m.name}`));
const NEEDS_ALL = new RegExp(`needs ${ALL.length} schema change\\(s\\) \\(${ALL.join(', ')}\\)`);

/** The suite runs against a Citus coordinator (docs/SCALING.md). */
const CITUS = Boolean(process.env.IXVAULT_TEST_CITUS_WORKERS);

const open = (
  location: { dataDir: string; databaseUrl?: string | undefined },
  migrate = true,
  more: { tenants?: { id: string }[]; log?: (message: string) => void } = {},
) =>
  openRuntime({
    ...location,
    principals: { tenants: more.tenants ?? [] },
    maxContentBytes: 1,
    secret: 'test-secret-not-for-production-0123456789',
    poolSize: 2,
    migrate,
    ...(more.log ? { log: more.log } : {}),
  });

async function freshLocation(): Promise<{ dataDir: string; databaseUrl?: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ixvault-migrations-'));
  const databaseUrl = await createTestDatabase();
  return databaseUrl ? { dataDir, databaseUrl } : { dataDir };
}

describe(`migrations (${BACKEND})`, () => {
  const dirs: string[] = [];
  const fresh = async () => {
    const location = await freshLocation();
    dirs.push(location.dataDir);
    return location;
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('reports what is pending on a fresh store, and nothing once migrated', async () => {
    const location = await fresh();
    const store = connect(location);
    try {
      expect((await migrationStatus(store)).pending).toEqual(ALL);
      expect((await migrate(store)).filter((step) => !/^(distribute|reference) /.test(step))).toEqual(ALL);
      expect((await migrationStatus(store)).pending).toEqual([]);
      expect(await migrate(store)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.runIf(BACKEND === 'postgres')(
    'runs no DDL at all when nothing is pending (PostgreSQL: an event trigger refuses any)',
    async () => {
      const location = await fresh();
      const url = location.databaseUrl as string;
      await (await open(location)).close();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        // What a Citus worker does with DDL, for every DDL statement of this database.
        await admin.query(`create function refuse_ddl() returns event_trigger language plpgsql as $$
        begin raise exception 'DDL refused: %', tg_tag; end $$`);
        await admin.query('create event trigger refuse_ddl on ddl_command_start execute function refuse_ddl()');
        // The trigger works: a DDL statement that changes nothing is refused too.
        await expect(admin.query('create schema if not exists ixv_main')).rejects.toThrow(/DDL refused: CREATE SCHEMA/);
        const runtime = await open(location);
        expect(runtime.migrationsApplied).toEqual([]);
        await runtime.close();
      } finally {
        await admin.query('drop event trigger if exists refuse_ddl');
        await admin.end();
      }
    },
  );

  it('serve --no-migrate (and IXVAULT_NO_MIGRATE=1) refuses a store with pending migrations, changing nothing', async () => {
    const location = await fresh();
    const flagged = await runCli(['serve', '--no-migrate', '--port', '0', ...storeArgs(location)]);
    expect(flagged.code).toBe(1);
    expect(flagged.stderr).toMatch(NEEDS_ALL);
    expect(flagged.stderr).toMatch(/--no-migrate.*ixvault migrate/);
    const byEnv = await runCli(['serve', '--port', '0', ...storeArgs(location)], { IXVAULT_NO_MIGRATE: '1' });
    expect(byEnv.code).toBe(1);
    expect(byEnv.stderr).toMatch(NEEDS_ALL);
    const store = connect(location);
    try {
      expect((await migrationStatus(store)).pending).toEqual(ALL);
      expect(await tablesOf(store)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('serve --no-migrate starts on a migrated store', async () => {
    const location = await fresh();
    await (await open(location)).close();
    const { child, url, exited } = await serveCli(['--no-migrate', ...storeArgs(location)]);
    try {
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('a runtime opened with migrate: false fails on a fresh store and leaves it untouched', async () => {
    const location = await fresh();
    await expect(open(location, false)).rejects.toThrow(NEEDS_ALL);
    const store = connect(location);
    try {
      expect(await tablesOf(store)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  /**
   * Writes records into a store migrated only up to an earlier migration, with this release's write
   * path: on PostgreSQL that path writes text_docs.time_bucket (012) and text_docs.start_ms (019), so
   * the columns the earlier release did not have exist during the write and are dropped after it,
   * leaving the table as that release had it.
   */
  const writeWithout = async (store: StoreConnection, columns: string[], write: () => Promise<unknown>) => {
    if (store.dialect !== 'postgres') return write();
    for (const column of columns)
      await sql`alter table ixv_main.text_docs add column ${sql.id(column)} bigint not null default 0`.execute(store.db);
    await write();
    for (const column of columns) await sql`alter table ixv_main.text_docs drop column ${sql.id(column)}`.execute(store.db);
  };
  const writeBefore012 = (store: StoreConnection, write: () => Promise<unknown>) =>
    writeWithout(store, ['time_bucket', 'start_ms'], write);

  /** Writes records into a store migrated up to 013, whose documents have 012's 25-day buckets (2^31 ms). */
  const writeBefore015 = async (store: StoreConnection, write: () => Promise<unknown>) => {
    await writeWithout(store, ['start_ms'], write);
    if (store.dialect !== 'postgres') return;
    await sql`update ixv_main.text_docs t set time_bucket = floor(i.start_ms::float8 / 2147483648)::integer
      from ixv_main.interactions i where i.tenant_id = t.tenant_id and i.id = t.interaction_id`.execute(store.db);
  };

  /** Writes records into a store migrated up to 017, whose documents have no start (019 adds it). */
  const writeBefore019 = (store: StoreConnection, write: () => Promise<unknown>) => writeWithout(store, ['start_ms'], write);

  for (const [migration, until, writeBefore] of [
    ['012', '009-fts-prefix', writeBefore012],
    ['015', '013-hold-listing', writeBefore015],
    ['019', '017-session-revocations', writeBefore019],
  ] as const)
    it(`${migration} gives PostgreSQL documents written before it their time buckets and starts, with progress: searches in time order stay exact`, async () => {
      const location = await fresh();
      const store = connect(location);
      // One a day over 600 days: 25 of 012's 25-day buckets, 387 of 015's.
      const ids = Array.from({ length: 600 }, (_, i) => `TB-${String(i).padStart(5, '0')}`);
      const startOf = (i: number) => Date.UTC(2024, 0, 1) + i * 86_400_000 + (i % 13) * 1000;
      try {
        await migrate(store, { until });
        const repository = new InteractionRepository(store);
        await writeBefore(store, () =>
          repository.upsertMany(
            't',
            ids.map((id, i) => ({
              id,
              mediaType: 'chat',
              typeId: 'Inbound',
              state: 'Stopped',
              startMs: startOf(i),
              subject: i % 7 === 0 ? 'refund requested' : 'hello there',
              owner: { id: 'agent-1' },
              handlingAgentIds: ['agent-1'],
              customAttributes: {},
              userData: {},
            })),
          ),
        );
      } finally {
        await store.close();
      }
      const progress: string[] = [];
      const runtime = await open(location, true, { tenants: [{ id: 't' }], log: (message) => progress.push(message) });
      try {
        expect(runtime.migrationsApplied.filter((m) => m.includes(`:${migration}-`))).toHaveLength(2);
        if (runtime.store.dialect === 'postgres' && migration !== '012')
          expect(progress).toContain(`main: full-text index: building the (time_bucket, doc) index of ${ids.length} documents`);
        if (runtime.store.dialect === 'postgres') {
          const { rows } = await sql<{ wrong: string }>`select count(*) as wrong from ixv_main.text_docs t
          join ixv_main.interactions i on i.tenant_id = t.tenant_id and i.id = t.interaction_id
          where t.time_bucket <> floor(i.start_ms::float8 / ${TIME_BUCKET_MS})::integer or t.start_ms <> i.start_ms`.execute(
            runtime.store.db,
          );
          expect(Number(rows[0]?.wrong)).toBe(0);
        }
        // With statistics PostgreSQL reads the matches bucket by bucket (fulltext-engines.ts).
        await sql`analyze`.execute(runtime.store.db);
        const refunds = ids.filter((_, i) => i % 7 === 0);
        for (const order of ['asc', 'desc'] as const) {
          const walked: string[] = [];
          let after: { startMs: number; id: string } | undefined;
          do {
            const page = await runtime.vault.searches.search(
              { tenantId: 't' },
              { source: 'main', order, limit: 9, text: parseTextQuery('refund'), ...(after ? { after } : {}) },
            );
            walked.push(...page.items.map((i) => i.id));
            after = page.next;
          } while (after);
          expect(walked).toEqual(order === 'asc' ? refunds : [...refunds].reverse());
        }
      } finally {
        await runtime.close();
      }
    });

  it('009 rebuilds the full-text index of a store written before it, with progress: every word, phrase and prefix is still found', async () => {
    const location = await fresh();
    const store = connect(location);
    const ids = Array.from({ length: 1200 }, (_, i) => `FT-${String(i).padStart(5, '0')}`);
    try {
      // The last migration before 009: the row mappers write 008's renderings.
      await migrate(store, { until: '008-vonage-renderings' });
      const repository = new InteractionRepository(store);
      await writeBefore012(store, async () => {
        for (let i = 0; i < ids.length; i += 500)
          await repository.upsertMany(
            't',
            ids.slice(i, i + 500).map((id, k) => ({
              id,
              mediaType: 'chat',
              typeId: 'Inbound',
              state: 'Stopped',
              startMs: Date.UTC(2025, 0, 1) + (i + k) * 60_000,
              subject: `Order ORD-${String(i + k).padStart(6, '0')}`,
              owner: { id: 'agent-1' },
              handlingAgentIds: ['agent-1'],
              customAttributes: {},
              userData: {},
              messages: [
                {
                  index: 1,
                  from: { type: 'Customer' },
                  timestampMs: Date.UTC(2025, 0, 1),
                  text: (i + k) % 100 === 0 ? 'Ich möchte den Vertrag kündigen, Straße 5' : 'Hello there',
                  visibility: 'All',
                  type: 'Text',
                },
              ],
            })),
          );
      });
    } finally {
      await store.close();
    }
    const progress: string[] = [];
    const runtime = await open(location, true, { tenants: [{ id: 't' }], log: (message) => progress.push(message) });
    try {
      // Later migrations run too; 009 runs once per store.
      expect(runtime.migrationsApplied.filter((m) => m.includes(':009-'))).toEqual([
        'main:009-fts-prefix',
        'archive:009-fts-prefix',
      ]);
      const found = async (q: string) =>
        (
          await runtime.vault.searches.search(
            { tenantId: 't' },
            { source: 'main', order: 'desc', limit: 2000, text: parseTextQuery(q) },
          )
        ).items.map((i) => i.id);
      const every100th = ids.filter((_, i) => i % 100 === 0).reverse();
      expect(await found('strasse')).toEqual(every100th);
      expect(await found('"vertrag kundigen"')).toEqual(every100th);
      expect(await found('kün*')).toEqual(every100th);
      expect(await found('ve*')).toEqual(every100th);
      expect(await found('ORD-000345')).toEqual(['FT-00345']);
      expect(await found('hello')).toHaveLength(ids.length - every100th.length);
      if (runtime.store.dialect === 'sqlite') {
        const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where name = 'text_fts'`.execute(
          runtime.store.db,
        );
        expect(rows[0]?.sql).toMatch(/prefix='2'\)$/);
        expect(progress).toContain(`main: full-text index: ${ids.length}/${ids.length} interactions`);
      }
      // A write after the upgrade is indexed as before.
      await runtime.vault.interactions.upsertMany('t', [
        {
          id: 'FT-new',
          mediaType: 'chat',
          typeId: 'Inbound',
          state: 'Stopped',
          startMs: Date.UTC(2026, 0, 1),
          subject: 'Straße',
          owner: { id: 'a' },
          handlingAgentIds: ['a'],
          customAttributes: {},
          userData: {},
        },
      ]);
      expect((await found('strasse'))[0]).toBe('FT-new');
    } finally {
      await runtime.close();
    }
  });

  it('018 gives every document its handling agents’ tokens, with progress: a search with an agent finds what it found before', async () => {
    const location = await fresh();
    const store = connect(location);
    const ids = Array.from({ length: 700 }, (_, i) => `AG-${String(i).padStart(5, '0')}`);
    // Three agents in turn; every fifth interaction has the next one too; every seventh has no text (no document).
    const agentsOf = (i: number) => [`a-${i % 3}`, ...(i % 5 === 0 ? [`a-${(i + 1) % 3}`] : [])];
    try {
      await migrate(store, { until: '017-session-revocations' });
      const repository = new InteractionRepository(store);
      // This release's write path writes text_docs.start_ms, which a store at 017 does not have yet (019).
      await writeWithout(store, ['start_ms'], async () => {
        await repository.upsertMany(
          't',
          ids.map((id, i) => ({
            id,
            mediaType: 'chat',
            typeId: 'Inbound',
            state: 'Stopped',
            startMs: Date.UTC(2025, 0, 1) + i * 3_600_000,
            ...(i % 7 === 0 ? {} : { subject: `hello ${i % 2 === 0 ? 'even' : 'odd'}` }),
            owner: { id: agentsOf(i)[0] as string },
            handlingAgentIds: agentsOf(i),
            customAttributes: {},
            userData: {},
          })),
        );
        // The documents as a release before 018 wrote them: their text alone.
        await store.write(async (trx) => {
          const stored = await storedTexts(store.on(trx, 'main'), 't', ids);
          await store.impl.fullText.put(
            trx,
            'main',
            't',
            [...stored].map(([id, { startMs, parts }]) => ({ id, startMs, body: documentOf(parts) })),
          );
        });
      });
    } finally {
      await store.close();
    }
    const progress: string[] = [];
    const runtime = await open(location, true, { tenants: [{ id: 't' }], log: (message) => progress.push(message) });
    try {
      expect(runtime.migrationsApplied.filter((m) => m.includes(':018-'))).toEqual([
        'main:018-fts-agent-tokens',
        'archive:018-fts-agent-tokens',
      ]);
      expect(progress.some((m) => m.startsWith('main: full-text index:'))).toBe(true);
      if (runtime.store.dialect === 'postgres') await sql`analyze`.execute(runtime.store.db);
      const search = async (q: string, agent: string, asAgent: boolean) =>
        (
          await runtime.vault.searches.search(asAgent ? { tenantId: 't', agentId: agent } : { tenantId: 't' }, {
            source: 'main',
            order: 'desc',
            limit: 1000,
            text: parseTextQuery(q),
            ...(asAgent ? {} : { handlingAgentId: agent }),
          })
        ).items.map((i) => i.id);
      for (const agent of ['a-0', 'a-1', 'a-2'])
        for (const asAgent of [false, true]) {
          const handled = ids.filter((_, i) => i % 7 !== 0 && agentsOf(i).includes(agent)).reverse();
          expect(await search('hello', agent, asAgent)).toEqual(handled);
          expect(await search('even', agent, asAgent)).toEqual(handled.filter((id) => Number(id.slice(3)) % 2 === 0));
        }
      expect(await search('hello', 'a-9', false)).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it('003 upgrades an audit log written at 002: entries keep their order, new ones follow, the sequence is the default', async () => {
    const location = await fresh();
    const atMs = Date.now();
    const store = connect(location);
    try {
      await migrate(store, { until: '002-audit-sequence' });
      expect((await migrationStatus(store)).pending).toEqual(AFTER_002);
      // Entries as the release at 002 wrote them: zero-padded text, PostgreSQL numbering them with nextval().
      for (let i = 0; i < 12; i++) {
        const n =
          store.dialect === 'postgres'
            ? (await sql<{ n: number }>`select nextval('ixv_main.audit_seq') as n`.execute(store.db)).rows[0]?.n
            : i + 1;
        await store
          .in('main')
          .insertInto('audit_log')
          .values({
            tenant_id: 't',
            at_ms: atMs,
            seq: String(n).padStart(16, '0'),
            actor: 'old',
            action: `old${i}`,
            interaction_id: 'X',
            detail: '{}',
          })
          .execute();
      }
    } finally {
      await store.close();
    }
    const runtime = await open(location);
    try {
      // On Citus the runner also distributes each table a migration creates (docs/SCALING.md).
      expect(runtime.migrationsApplied.filter((step) => !/^(distribute|reference) /.test(step))).toEqual(AFTER_002);
      for (let i = 0; i < 12; i++)
        await runtime.vault.content.audit('t', { atMs, actor: 'new', action: `new${i}`, interactionId: 'X', detail: {} });
      const log = (await runtime.vault.audits.search('t', {}, { limit: 100 })).entries;
      const written = [...Array.from({ length: 12 }, (_, i) => `old${i}`), ...Array.from({ length: 12 }, (_, i) => `new${i}`)];
      expect(log.map((e) => e.action)).toEqual(written.reverse());
      // 007 chained the entries written before it; the new ones continue that chain.
      expect(await runtime.vault.audits.verify('t')).toMatchObject({ entries: 24, head: { chainNo: 24 } });
      expect(log.at(-1)).toMatchObject({ chainNo: 1, action: 'old0' });
    } finally {
      await runtime.close();
    }
    if (BACKEND !== 'postgres') return;
    // What lets a Citus worker write the audit log: the insert takes the column's default, and Citus
    // creates the sequence a distributed table's default uses on every node.
    const upgraded = connect(location);
    try {
      const { rows } = await sql<{ schema: string; type: string; fallback: string }>`
        select n.nspname as schema, format_type(a.atttypid, a.atttypmod) as type, pg_get_expr(d.adbin, d.adrelid) as fallback
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where c.relname = 'audit_log' and a.attname = 'seq' and n.nspname in ('ixv_main', 'ixv_archive')
        order by 1`.execute(upgraded.db);
      expect(rows).toEqual([
        { schema: 'ixv_archive', type: 'bigint', fallback: "nextval('ixv_archive.audit_seq'::regclass)" },
        { schema: 'ixv_main', type: 'bigint', fallback: "nextval('ixv_main.audit_seq'::regclass)" },
      ]);
    } finally {
      await upgraded.close();
    }
  });
});

describe.runIf(CITUS)('on a Citus cluster (IXVAULT_TEST_CITUS_WORKERS)', () => {
  it('an ixvault attached to a worker, migrating nothing, writes audit entries in order', async () => {
    const location = await freshLocation();
    try {
      await (await open(location)).close(); // migrated through the coordinator
      const worker = new URL(location.databaseUrl as string);
      const [host = '', port = ''] = (process.env.IXVAULT_TEST_CITUS_WORKERS as string).split(',')[0]?.split(':') ?? [];
      worker.hostname = host;
      worker.port = port;
      const runtime = await open({ ...location, databaseUrl: worker.toString() }, false);
      try {
        const atMs = Date.now();
        for (let i = 0; i < 12; i++)
          await runtime.vault.content.audit('t', { atMs, actor: 'worker', action: `w${i}`, interactionId: 'X', detail: {} });
        const log = (await runtime.vault.audits.search('t', {}, { limit: 100 })).entries;
        expect(log.map((e) => e.action)).toEqual(Array.from({ length: 12 }, (_, i) => `w${11 - i}`));
      } finally {
        await runtime.close();
      }
    } finally {
      await rm(location.dataDir, { recursive: true, force: true });
    }
  });
});

describe.runIf(BACKEND === 'postgres')('the Citus rule, on the real schema', () => {
  let dataDir: string;
  let store: StoreConnection;
  let tables: CatalogTable[];
  beforeAll(async () => {
    const location = await freshLocation();
    dataDir = location.dataDir;
    store = connect(location);
    await migrate(store);
    tables = await catalogTables(store.db, ['ixv_main', 'ixv_archive'], false);
  });
  afterAll(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it.skipIf(CITUS)('is not applied on plain PostgreSQL: no citus extension, no Citus role', async () => {
    expect((await migrationStatus(store)).citus).toBeUndefined();
  });

  it('distributes every tenant table colocated with ixv_main.interactions, the migrations tables as reference tables', () => {
    const colocated = (t: string) =>
      `select create_distributed_table('${t}', 'tenant_id', colocate_with => '"ixv_main"."interactions"')`;
    const creates = (list: CatalogTable[]) => citusPlan(list, 'ixv_main').map((p) => p.statements[0]);
    expect(creates(tables)).toEqual([
      `select create_distributed_table('"ixv_main"."interactions"', 'tenant_id', colocate_with => 'none')`,
      colocated('"ixv_archive"."audit_log"'),
      colocated('"ixv_archive"."content_items"'),
      colocated('"ixv_archive"."custom_attributes"'),
      colocated('"ixv_archive"."interaction_agents"'),
      colocated('"ixv_archive"."interactions"'),
      `select create_reference_table('"ixv_archive"."ixv_migrations"')`,
      colocated('"ixv_archive"."messages"'),
      colocated('"ixv_archive"."text_docs"'),
      colocated('"ixv_archive"."text_parts"'),
      colocated('"ixv_main"."audit_log"'),
      colocated('"ixv_main"."contact_identifiers"'),
      colocated('"ixv_main"."contacts"'),
      colocated('"ixv_main"."content_blobs"'),
      colocated('"ixv_main"."content_items"'),
      colocated('"ixv_main"."custom_attributes"'),
      colocated('"ixv_main"."erasures"'),
      colocated('"ixv_main"."export_files"'),
      colocated('"ixv_main"."export_jobs"'),
      colocated('"ixv_main"."interaction_agents"'),
      `select create_reference_table('"ixv_main"."ixv_migrations"')`,
      colocated('"ixv_main"."legal_hold_interactions"'),
      colocated('"ixv_main"."legal_holds"'),
      colocated('"ixv_main"."messages"'),
      colocated('"ixv_main"."retention_policies"'),
      colocated('"ixv_main"."session_revocations"'),
      colocated('"ixv_main"."text_docs"'),
      colocated('"ixv_main"."text_parts"'),
    ]);
    // Each is followed by dropping the coordinator's local copy of rows that existed before Citus.
    expect(citusStatements(tables, 'ixv_main').slice(0, 2)).toEqual([
      `select create_distributed_table('"ixv_main"."interactions"', 'tenant_id', colocate_with => 'none')`,
      `select truncate_local_data_after_distributing_table('"ixv_main"."interactions"')`,
    ]);
    expect(citusPlan(tables, 'ixv_main').map((p) => p.step)).toContain('reference ixv_main.ixv_migrations');
  });

  it('every table ixvault creates is covered: each has tenant_id except the migrations tables', () => {
    expect(tables.filter((t) => !t.tenantColumn).map((t) => `${t.schema}.${t.name}`)).toEqual([
      'ixv_archive.ixv_migrations',
      'ixv_main.ixv_migrations',
    ]);
  });

  it('a later migration: only its new tables, colocated with the existing anchor', () => {
    const done = tables.map((t) => ({ ...t, citus: true }));
    const later: CatalogTable[] = [
      ...done,
      { schema: 'ixv_main', name: 'tags', tenantColumn: true, citus: false },
      { schema: 'ixv_main', name: 'media_types', tenantColumn: false, citus: false },
    ];
    expect(citusStatements(later, 'ixv_main')).toEqual([
      `select create_reference_table('"ixv_main"."media_types"')`,
      `select truncate_local_data_after_distributing_table('"ixv_main"."media_types"')`,
      `select create_distributed_table('"ixv_main"."tags"', 'tenant_id', colocate_with => '"ixv_main"."interactions"')`,
      `select truncate_local_data_after_distributing_table('"ixv_main"."tags"')`,
    ]);
    expect(citusStatements(done, 'ixv_main')).toEqual([]);
  });

  it('refuses to distribute a tenant table before the anchor exists', () => {
    expect(() =>
      citusStatements([{ schema: 'ixv_archive', name: 'interactions', tenantColumn: true, citus: false }], 'ixv_main'),
    ).toThrow(/"ixv_main"."interactions" does not exist/);
  });
});

/** The stores' tables, both dialects. */
async function tablesOf(store: StoreConnection): Promise<string[]> {
  if (store.dialect === 'postgres') return (await catalogTables(store.db, ['ixv_main', 'ixv_archive'], false)).map((t) => t.name);
  const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(store.db);
  return rows.map((r) => r.name);
}
