/**
 * No write path waits for a second database connection while it holds one.
 * Such a path hangs for good once as many of its calls run at once as the
 * pool has connections: each holds a connection in a transaction and waits
 * for one that none of them frees. Found in the PostgreSQL row writer (column
 * types read from the pool inside the first batches' transactions); here
 * every kind of write runs three times the pool size at once, on a fresh
 * server with a pool of two connections, the first of each kind included.
 * SQLite has one writer connection and no pool; the suite runs there too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain/principal.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { BACKEND, createTestDatabase, PRINCIPALS } from '../helpers/server.js';

const POOL = 2;
const AT_ONCE = 3 * POOL;
const tenant = PRINCIPALS.tenants[0] as unknown as Principal['tenant'];
const admin = { kind: 'user', tenant, id: 'admin-1', userName: 'admin1', role: 'admin' } as unknown as Principal;
const START = '2025-03-01T10:00:00Z';

function record(id: string) {
  return {
    id,
    mediaType: 'chat',
    typeId: 'Inbound',
    state: 'Stopped',
    startDate: START,
    handlingAgents: [{ id: 'agent-1' }],
    customAttributes: { topic: 'billing' },
    messages: [{ index: 1, from: { type: 'Customer' }, text: 'hi', visibility: 'All', timestamp: START, type: 'Text' }],
  };
}

const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

describe(`no write waits for a second connection while it holds one (${BACKEND})`, { timeout: 120_000 }, () => {
  let dataDir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ixvault-pool-'));
    runtime = await openRuntime({
      dataDir,
      databaseUrl: await createTestDatabase(),
      principals: PRINCIPALS,
      maxContentBytes: 1 << 20,
      secret: 'pool-exhaustion-test-secret-pool-exhaustion',
      poolSize: POOL,
      sweep: false,
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates: batches, single records and contacts, each kind at once', async () => {
    const { vault } = runtime;
    const [batches, singles, contacts] = await Promise.all([
      Promise.all(
        times(AT_ONCE, (b) =>
          vault.upsertBatch(
            admin,
            times(50, (i) => record(`B${b}N${i}`)),
          ),
        ),
      ),
      Promise.all(times(AT_ONCE, (i) => vault.upsert(admin, record(`S${i}`)))),
      Promise.all(times(AT_ONCE, (i) => vault.contacts.identify(admin, { phoneNumber: `+1415555${1000 + i}`, create: true }))),
    ]);
    expect(batches.flat()).toHaveLength(AT_ONCE * 50);
    expect(singles.filter((s) => s.created)).toHaveLength(AT_ONCE);
    expect(contacts.filter((c) => c.created)).toHaveLength(AT_ONCE);
  });

  it('changes: patches, appended messages, content uploads, audited reads and a hold, at once', async () => {
    const { vault } = runtime;
    const results = await Promise.all([
      ...times(AT_ONCE, (i) => vault.patch(admin, `S${i}`, { subject: `patched ${i}` })),
      ...times(AT_ONCE, (i) =>
        vault.appendMessages(admin, `B0N${i}`, [
          { index: 2, from: { type: 'Agent' }, text: 'hello', visibility: 'All', timestamp: START, type: 'Text' },
        ]),
      ),
      ...times(2 * AT_ONCE, (i) =>
        vault.putContent(admin, `B1N${i}`, 'transcript', Readable.from([Buffer.from(`transcript ${i}`)]), {
          type: 'transcript',
          contentType: 'text/plain',
        }),
      ),
      ...times(AT_ONCE, (i) => vault.get(admin, `B2N${i}`)),
      vault.createHold(admin, { name: 'Case 1', reason: 'litigation', interactionIds: ['B3N0'] }),
    ]);
    expect(results).toHaveLength(5 * AT_ONCE + 1);
    expect((await vault.get(admin, 'S0')).subject).toBe('patched 0');
  });

  it('reads content and deletes content and interactions, at once', async () => {
    const { vault } = runtime;
    await Promise.all([
      ...times(AT_ONCE, async (i) => {
        const opened = await vault.openContent(admin, `B1N${i}`, 'transcript');
        const chunks: Buffer[] = [];
        for await (const chunk of await opened.read()) chunks.push(chunk as Buffer);
        expect(Buffer.concat(chunks).toString()).toBe(`transcript ${i}`);
      }),
      ...times(AT_ONCE, (i) => vault.deleteContent(admin, `B1N${i + AT_ONCE}`, 'transcript')),
      ...times(AT_ONCE, (i) => vault.delete(admin, `B4N${i}`)),
    ]);
    await expect(vault.get(admin, 'B4N0')).rejects.toMatchObject({ status: 404 });
    expect((await vault.get(admin, `B1N${AT_ONCE}`)).content).toEqual([]);
  });
});
