/**
 * Reads that walk a whole tenant on a server's request (an erasure's search for
 * its data subject, the audit chain's verification) must let the server answer
 * other requests meanwhile. SQLite runs every statement synchronously on the
 * event loop, and a promise's continuation waits for no I/O: an erasure's one
 * scan of the tenant's interactions held every request, health checks and
 * CometD included, until it ended (330 ms at 100k interactions, seconds at 1M),
 * and a verification did the same for its whole chain, page after page.
 * Seen here as a callback queued behind the read, which must run before the
 * read resolves. (On PostgreSQL the statements' I/O lets it run anyway.)
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionInput } from '../../src/domain/validate.js';
import { AUDIT_PAGE_ROWS } from '../../src/store/audit-repository.js';
import { ErasureRepository } from '../../src/store/erasure-repository.js';
import { SCAN_CHUNK } from '../../src/store/event-loop.js';
import { ExportRepository } from '../../src/store/export-repository.js';
import { SearchRepository } from '../../src/store/search-repository.js';
import { BACKEND } from '../helpers/server.js';
import { openStoreRuntime, type StoreRuntime } from '../helpers/store-runtime.js';

const TENANT = 'turns';
const PHONE = '+14155550123';

const record = (n: number): InteractionInput => ({
  id: `i-${String(n).padStart(6, '0')}`,
  mediaType: 'call',
  typeId: 'Inbound',
  state: 'Stopped',
  startMs: Date.UTC(2025, 0, 1) + n * 60_000,
  // Every hundredth names the subject; the scan must still find each one, whichever chunk it is in.
  connectFrom: n % 100 === 0 ? PHONE : `+1999555${String(n).padStart(4, '0')}`,
  owner: { id: 'agent-1' },
  handlingAgentIds: ['agent-1'],
  customAttributes: {},
  userData: {},
});

/** Whether a callback queued behind `work`'s start (as an incoming request's would be) ran before it resolved. */
async function letsOthersIn(work: () => Promise<unknown>): Promise<boolean> {
  let ran = false;
  setImmediate(() => {
    ran = true;
  });
  await work();
  return ran;
}

describe(`long reads let the server answer between their statements (${BACKEND})`, { timeout: 120_000 }, () => {
  let store: StoreRuntime;
  const interactions = 2 * SCAN_CHUNK + 1;
  beforeAll(async () => {
    store = await openStoreRuntime('event-loop-turns');
    const repository = store.runtime.vault.interactions;
    for (let from = 0; from < interactions; from += 1000)
      await repository.upsertMany(
        TENANT,
        Array.from({ length: Math.min(1000, interactions - from) }, (_, k) => record(from + k)),
      );
  });
  afterAll(async () => {
    await store?.close();
  });
  const entries = 2 * AUDIT_PAGE_ROWS + 1;
  // Every hundredth entry is a deletion, the rest reads.
  const actionOf = (n: number) => (n % 100 === 0 ? 'interaction.delete' : 'interaction.read');
  const seedAudit = async () => {
    const { audits } = store.runtime.vault;
    await store.runtime.store.write(async (root) => {
      for (let n = 1; n <= entries; n++)
        await audits.append(TENANT, { atMs: n, actor: 'test', action: actionOf(n), interactionId: `i-${n}`, detail: {} }, root);
    });
  };

  it("an erasure's search for its subject, in chunks, finding every interaction naming it", async () => {
    const erasures = new ErasureRepository(store.runtime.store);
    let found: string[] = [];
    const turned = await letsOthersIn(async () => {
      found = (await erasures.find(TENANT, { phoneNumbers: [PHONE], emailAddresses: [] }, 'main')).map((f) => f.id);
    });
    expect(found).toEqual(
      Array.from({ length: interactions }, (_, n) => n)
        .filter((n) => n % 100 === 0)
        .map((n) => `i-${String(n).padStart(6, '0')}`),
    );
    expect(turned).toBe(true);
  });

  it('a search whose filter few rows pass, walking the time line in chunks, paging exactly as one statement would', async () => {
    // Chunks of 1 000 entries of the time line (the server's are larger): four of them here.
    const searches = new SearchRepository(store.runtime.store, store.runtime.vault.interactions, 1000);
    const visibility = { tenantId: TENANT };
    // Nothing passes: every chunk of the time line is read, and others get their turns meanwhile.
    let none = -1;
    expect(
      await letsOthersIn(async () => {
        none = (await searches.search(visibility, { source: 'main', order: 'desc', limit: 100, connectFromPrefix: '+1888' }))
          .items.length;
      }),
    ).toBe(true);
    expect(none).toBe(0);
    // Every hundredth passes: pages of 7 in both orders cross the chunks' edges; each id once, in order.
    const subject = Array.from({ length: interactions }, (_, n) => n)
      .filter((n) => n % 100 === 0)
      .map((n) => `i-${String(n).padStart(6, '0')}`);
    // And within a window of time that starts and ends inside chunks.
    const window = { fromMs: record(1050).startMs, toMs: record(3450).startMs };
    const inWindow = subject.filter((id) => {
      const n = Number(id.slice(2));
      return n >= 1050 && n <= 3450;
    });
    for (const [bounds, expected] of [
      [{}, subject],
      [window, inWindow],
    ] as const)
      for (const order of ['asc', 'desc'] as const) {
        const ids: string[] = [];
        let after: { startMs: number; id: string } | undefined;
        do {
          const page = await searches.search(visibility, {
            source: 'main',
            order,
            limit: 7,
            connectFromPrefix: PHONE,
            ...bounds,
            ...(after ? { after } : {}),
          });
          ids.push(...page.items.map((i) => i.id));
          after = page.next;
        } while (after);
        expect(ids).toEqual(order === 'asc' ? expected : [...expected].reverse());
      }
  });

  it("an export run's count of its window, in chunks, exactly the rows its filters pass (ties at a chunk's edge too)", async () => {
    const exports = new ExportRepository(store.runtime.store);
    const count = (q: Parameters<ExportRepository['countWindow']>[1], tenant = TENANT) => exports.countWindow(tenant, q);
    let all = -1;
    expect(
      await letsOthersIn(async () => {
        all = await count({ source: 'main', order: 'asc', limit: 1 });
      }),
    ).toBe(true);
    expect(all).toBe(interactions);
    expect(await count({ source: 'main', order: 'asc', limit: 1, mediaTypes: ['chat'] })).toBe(0);
    expect(await count({ source: 'main', order: 'asc', limit: 1, mediaTypes: ['call'], direction: 'outbound' })).toBe(0);
    const window = { fromMs: record(1050).startMs, toMs: record(3450).startMs };
    expect(await count({ source: 'main', order: 'asc', limit: 1, mediaTypes: ['call'], ...window })).toBe(3450 - 1050 + 1);
    // More interactions than a chunk at one millisecond: each counted once.
    const ties = SCAN_CHUNK + 5;
    const repository = store.runtime.vault.interactions;
    for (let from = 0; from < ties; from += 1000)
      await repository.upsertMany(
        'ties',
        Array.from({ length: Math.min(1000, ties - from) }, (_, k) => ({ ...record(from + k), startMs: record(0).startMs })),
      );
    await repository.upsertMany('ties', [record(5000), record(5001)]);
    expect(await count({ source: 'main', order: 'asc', limit: 1 }, 'ties')).toBe(ties + 2);
  });

  it("the audit chain's verification, page after page", async () => {
    await seedAudit();
    const { audits } = store.runtime.vault;
    let verified = 0;
    const turned = await letsOthersIn(async () => {
      const report = await audits.verify(TENANT);
      expect(report.broken).toBeUndefined();
      verified = report.entries;
    });
    expect(verified).toBe(entries);
    expect(turned).toBe(true);
  });

  it('an audit search or export by action, which walks the chain: in chunks, every match once, in order', async () => {
    const { audits } = store.runtime.vault;
    let none = -1;
    expect(
      await letsOthersIn(async () => {
        none = (await audits.search(TENANT, { action: 'export.create' }, { limit: 50 })).entries.length;
      }),
    ).toBe(true);
    expect(none).toBe(0);
    const deletions = Array.from({ length: entries }, (_, k) => k + 1).filter((n) => actionOf(n) === 'interaction.delete');
    const paged: number[] = [];
    let before: number | undefined;
    do {
      const page = await audits.search(
        TENANT,
        { action: 'interaction.delete' },
        { limit: 7, ...(before ? { beforeChainNo: before } : {}) },
      );
      paged.push(...page.entries.map((e) => e.atMs));
      before = page.next;
    } while (before);
    expect(paged).toEqual([...deletions].reverse());
    const exported: number[] = [];
    expect(
      await letsOthersIn(async () => {
        for await (const entry of audits.scan(TENANT, { action: 'interaction.delete' })) exported.push(entry.atMs);
      }),
    ).toBe(true);
    expect(exported).toEqual(deletions);
  });
});
