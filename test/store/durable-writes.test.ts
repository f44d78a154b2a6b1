/**
 * Every write is durable against power loss before it returns, not only
 * uploads: an ingest (the interaction repository's own write path) returns
 * after the WAL holding its commit was synced (SQLite: the connection runs
 * synchronous=NORMAL, so `StoreDialect.write` syncs the WAL itself), and
 * no concurrent write is acknowledged before a sync that ended after it
 * asked. SQLite only: PostgreSQL flushes its WAL inside the commit as the
 * server is configured (the suite's throwaway cluster runs with fsync off,
 * for speed), so there is no sync of ours to observe.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InteractionInput } from '../../src/domain/validate.js';
import { connect, type StoreConnection } from '../../src/store/database.js';
import { InteractionRepository } from '../../src/store/interaction-repository.js';
import { migrate } from '../../src/store/migrator.js';
import { BACKEND } from '../helpers/server.js';

/** File syncs, observed (not replaced): `sync-start <path>` and `fsync <path>` once it has returned. */
const { events } = vi.hoisted(() => ({ events: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const observed = {
    ...fs,
    open: async (path: string, ...rest: Parameters<typeof fs.open> extends [unknown, ...infer R] ? R : never) => {
      const handle = await fs.open(path, ...rest);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        events.push(`sync-start ${path}`);
        await sync();
        events.push(`fsync ${path}`);
      };
      return handle;
    },
  };
  return { ...observed, default: observed };
});

const record = (id: string): InteractionInput => ({
  id,
  mediaType: 'chat',
  typeId: 'Inbound',
  state: 'Stopped',
  startMs: Date.UTC(2025, 0, 1),
  subject: `Durable ${id}`,
  owner: { id: 'agent-1' },
  handlingAgentIds: ['agent-1'],
  customAttributes: {},
  userData: {},
  messages: [],
});

describe.runIf(BACKEND === 'sqlite')('durable writes (SQLite only: the WAL sync is ours)', { timeout: 60_000 }, () => {
  let dataDir: string;
  let store: StoreConnection;
  let repository: InteractionRepository;
  const wal = () => `fsync ${join(dataDir, 'ixvault.db-wal')}`;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ixvault-durable-'));
    store = connect({ dataDir });
    await migrate(store);
    repository = new InteractionRepository(store);
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('an ingest returns only after its commit is synced', async () => {
    await repository.upsertMany('t', [record('warm-up')]);
    events.length = 0;
    await repository.upsertMany('t', [record('D1')]);
    events.push('acknowledged');
    const synced = events.indexOf(wal());
    expect(synced).toBeGreaterThanOrEqual(0);
    expect(synced).toBeLessThan(events.indexOf('acknowledged'));
  });

  it('concurrent writes: none is acknowledged before a WAL sync that ended after it was asked', async () => {
    await repository.upsertMany('t', [record('warm-up')]);
    events.length = 0;
    const ids = Array.from({ length: 20 }, (_, i) => `C${i}`);
    await Promise.all(
      ids.map(async (id) => {
        events.push(`asked ${id}`);
        await repository.upsertMany('t', [record(id)]);
        events.push(`acknowledged ${id}`);
      }),
    );
    for (const id of ids) {
      const acknowledged = events.indexOf(`acknowledged ${id}`);
      expect(events.lastIndexOf(wal(), acknowledged), `a WAL sync ended before ${id} was acknowledged`).toBeGreaterThan(
        events.indexOf(`asked ${id}`),
      );
    }
    const count = await sql<{ n: number }>`select count(*) as n from interactions`.execute(store.db);
    expect(Number(count.rows[0]?.n)).toBe(ids.length + 1);
  });
});
