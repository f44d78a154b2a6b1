import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { BACKEND } from '../helpers/server.js';
import { openStoreRuntime, randomContentItem, type StoreRuntime, storeFewInteractions } from '../helpers/store-runtime.js';

const TENANT = 'counts';
const visibility = { tenantId: TENANT };

describe(`content_count after uploads (${BACKEND})`, () => {
  let runtime: Runtime;
  let store: StoreRuntime;
  const ids: string[] = [];

  beforeAll(async () => {
    store = await openStoreRuntime('counts');
    runtime = store.runtime;
    ids.push(...(await storeFewInteractions(runtime, TENANT, 4, 7)));
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
    await runtime.vault.content.put(visibility, id, randomContentItem('first'));
    expect(await counts([id])).toEqual([{ id, count: 1, rows: 1 }]);
    await runtime.vault.content.put(visibility, id, randomContentItem('first'));
    expect(await counts([id])).toEqual([{ id, count: 1, rows: 1 }]);
    await runtime.vault.content.put(visibility, id, randomContentItem('second'));
    expect(await counts([id])).toEqual([{ id, count: 2, rows: 2 }]);
  });

  it('counts uploads written together, new and replacing, of several interactions', async () => {
    const others = ids.slice(1);
    await Promise.all(others.map((id) => runtime.vault.content.put(visibility, id, randomContentItem('a'))));
    await Promise.all(
      others.flatMap((id) => [
        runtime.vault.content.put(visibility, id, randomContentItem('a')),
        runtime.vault.content.put(visibility, id, randomContentItem('b')),
        runtime.vault.content.put(visibility, id, randomContentItem('c')),
      ]),
    );
    expect(await counts(others)).toEqual(others.map((id) => ({ id, count: 3, rows: 3 })));
  });
});
