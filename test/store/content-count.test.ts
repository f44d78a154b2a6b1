/**
 * An interaction's content_count is the number of its content rows after every upload: a new key adds
 * one, a replaced key adds none, uploads written together in one group are each counted once. On
 * PostgreSQL the rows and the counts are one statement (ContentRepository.writeRowsAtOnce); on Citus a
 * data-modifying CTE runs as a statement of its own before the rest, so the rest's snapshot already
 * holds the rows it inserted — a count that added "the rows this statement inserted" to "the rows it
 * sees" counted each new item twice there (run against a cluster: IXVAULT_TEST_CITUS_WORKERS,
 * docs/SCALING.md).
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInteractions } from '../../src/demo/contact-center.js';
import type { ContentItem } from '../../src/domain/interaction.js';
import { checkInteraction } from '../../src/domain/validate.js';
import type { Runtime } from '../../src/runtime.js';
import { BACKEND } from '../helpers/server.js';
import { openStoreRuntime, type StoreRuntime } from '../helpers/store-runtime.js';

const TENANT = 'counts';
const visibility = { tenantId: TENANT };

function item(contentKey: string): ContentItem {
  const bytes = randomBytes(64);
  return {
    contentKey,
    type: 'callRecording',
    contentType: 'audio/wav',
    contentLength: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    lastModifiedMs: Date.now(),
    properties: {},
  };
}

describe(`content_count after uploads (${BACKEND})`, () => {
  let runtime: Runtime;
  let store: StoreRuntime;
  const ids: string[] = [];

  beforeAll(async () => {
    store = await openStoreRuntime('counts');
    runtime = store.runtime;
    const options = {
      seed: 7,
      agents: 5,
      contacts: 10,
      interactions: 4,
      fromMs: Date.UTC(2025, 0, 1),
      toMs: Date.UTC(2025, 0, 2),
      contentRatio: 0,
      messagesPerChat: 0,
    };
    const records = [...generateInteractions(options)].map((g) => {
      const { value } = checkInteraction(g.record);
      if (!value) throw new Error('invalid generated record');
      return value;
    });
    await runtime.vault.interactions.upsertMany(TENANT, records);
    ids.push(...records.map((r) => r.id ?? ''));
  }, 120_000);

  afterAll(async () => {
    await store?.close();
  });

  /** Each interaction's content_count beside its number of content rows. */
  const counts = async (of: string[]) => {
    const db = runtime.store.in('main');
    const stored = await db
      .selectFrom('interactions')
      .select(['id', 'content_count'])
      .where('tenant_id', '=', TENANT)
      .where('id', 'in', of)
      .execute();
    const rows = await db
      .selectFrom('content_items')
      .select(['interaction_id'])
      .where('tenant_id', '=', TENANT)
      .where('interaction_id', 'in', of)
      .execute();
    return of.map((id) => ({
      id,
      count: Number(stored.find((s) => s.id === id)?.content_count),
      rows: rows.filter((r) => r.interaction_id === id).length,
    }));
  };

  it('counts a new item once, a replaced one not again', async () => {
    const [id] = ids as [string];
    await runtime.vault.content.put(visibility, id, item('first'));
    expect(await counts([id])).toEqual([{ id, count: 1, rows: 1 }]);
    await runtime.vault.content.put(visibility, id, item('first'));
    expect(await counts([id])).toEqual([{ id, count: 1, rows: 1 }]);
    await runtime.vault.content.put(visibility, id, item('second'));
    expect(await counts([id])).toEqual([{ id, count: 2, rows: 2 }]);
  });

  it('counts uploads written together, new and replacing, of several interactions', async () => {
    const others = ids.slice(1);
    await Promise.all(others.map((id) => runtime.vault.content.put(visibility, id, item('a'))));
    await Promise.all(
      others.flatMap((id) => [
        runtime.vault.content.put(visibility, id, item('a')),
        runtime.vault.content.put(visibility, id, item('b')),
        runtime.vault.content.put(visibility, id, item('c')),
      ]),
    );
    expect(await counts(others)).toEqual(others.map((id) => ({ id, count: 3, rows: 3 })));
  });
});
