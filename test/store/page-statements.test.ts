/**
 * A Vonage page's statement kept by shape (SearchRepository.vonageStatement):
 * for every search, the text and parameters are exactly those the page query
 * builds for it, whichever searches of other shapes and visibilities came
 * first; and an agent's page never reads through a text kept for the tenant.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaType } from '../../src/domain/interaction.js';
import type { Visibility } from '../../src/domain/principal.js';
import type { InteractionSearch } from '../../src/domain/search.js';
import { checkInteraction } from '../../src/domain/validate.js';
import type { Runtime } from '../../src/runtime.js';
import { type RenderedPage, SearchRepository } from '../../src/store/search-repository.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND } from '../helpers/server.js';
import { openStoreRuntime, type StoreRuntime } from '../helpers/store-runtime.js';
import { signal } from '../helpers/wait.js';

const DAY = 86_400_000;
const START = Date.UTC(2025, 2, 3);

describe(`Vonage page statements kept by shape (${BACKEND})`, () => {
  let store: StoreRuntime;
  let runtime: Runtime;
  /** The interactions' ids by guid (a Vonage item names its interaction by guid). */
  const idOf = new Map<string, string>();

  beforeAll(async () => {
    store = await openStoreRuntime('page-statements');
    runtime = store.runtime;
    const records = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'].map((id, i) => {
      const agent = { id: id.startsWith('a') ? 'agent-a' : 'agent-b' };
      return checkInteraction(
        callRecord({
          id,
          startDate: new Date(START + i * 3_600_000).toISOString(),
          endDate: undefined,
          ownerInformation: agent,
          handlingAgents: [agent],
        }),
      );
    });
    for (const r of records) {
      if (!r.value) throw new Error(JSON.stringify(r));
      idOf.set(r.value.guid as string, r.value.id as string);
    }
    await runtime.vault.interactions.upsertMany(
      'acme',
      records.map((r) => r.value as NonNullable<typeof r.value>),
    );
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  const visibility = fc.constantFrom<Visibility>(
    { tenantId: 'acme' },
    { tenantId: 'acme', agentId: 'agent-a' },
    { tenantId: 'other' },
    { tenantId: 'acme', agentId: 'agent-b' },
  );
  const search = fc.record(
    {
      source: fc.constantFrom('main' as const, 'archive' as const),
      order: fc.constantFrom('asc' as const, 'desc' as const),
      limit: fc.integer({ min: 1, max: 1000 }),
      withContentOnly: fc.boolean(),
      fromMs: fc.integer({ min: START - 10 * DAY, max: START + 10 * DAY }),
      span: fc.integer({ min: 0, max: 7 * DAY }),
      handlingAgentId: fc.constantFrom('agent-a', 'agent-b', 'agent-c'),
      direction: fc.constantFrom('inbound' as const, 'outbound' as const),
      connectFromPrefix: fc.string({ minLength: 1, maxLength: 12 }),
      connectToPrefix: fc.string({ minLength: 1, maxLength: 12 }),
      after: fc.record({
        startMs: fc.integer({ min: START - 10 * DAY, max: START + 20 * DAY }),
        id: fc.string({ maxLength: 8 }),
      }),
      ownerId: fc.constant('agent-a'),
      mediaTypes: fc.constant<MediaType[]>(['call']),
    },
    { requiredKeys: ['source', 'order', 'limit', 'withContentOnly', 'fromMs', 'span'] },
  );
  const toSearch = ({ span, ...s }: { span: number; fromMs: number } & Omit<InteractionSearch, 'toMs'>): InteractionSearch => ({
    ...s,
    toMs: s.fromMs + span,
  });

  it('binds exactly what the page query builds for each search, in any order of shapes and callers', () => {
    const kept = runtime.vault.searches;
    fc.assert(
      fc.property(fc.array(fc.tuple(visibility, search), { minLength: 1, maxLength: 20 }), (calls) => {
        for (const [v, s] of calls) {
          const q = toSearch(s);
          // A repository that has kept nothing builds the page query itself.
          const built = new SearchRepository(runtime.store, runtime.vault.interactions).vonageStatement(v, q);
          const statement = kept.vonageStatement(v, q);
          expect(statement.sql).toBe(built.sql);
          expect(statement.parameters).toEqual(built.parameters);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the text of every shape the Vonage facade asks for, and builds no other', () => {
    const searches = new SearchRepository(runtime.store, runtime.vault.interactions);
    const week: InteractionSearch = {
      source: 'main',
      order: 'asc',
      limit: 100,
      withContentOnly: true,
      fromMs: START,
      toMs: START + DAY,
    };
    const kept = (v: Visibility, q: InteractionSearch) => {
      searches.vonageStatement(v, q);
      // A kept text is bound as one raw fragment; a built query has one fragment per part.
      return (searches.vonageStatement(v, q).query as unknown as { sqlFragments: string[] }).sqlFragments.length === 1;
    };
    const tenant = { tenantId: 'acme' };
    expect(kept(tenant, week)).toBe(true);
    expect(kept(tenant, { ...week, after: { startMs: START + 5, id: 'x' }, handlingAgentId: 'agent-a' })).toBe(true);
    expect(kept(tenant, { ...week, direction: 'outbound', connectFromPrefix: '+1', connectToPrefix: '+44' })).toBe(true);
    expect(kept({ tenantId: 'acme', agentId: 'agent-a' }, { ...week, order: 'desc' })).toBe(true);
    expect(kept(tenant, { ...week, ownerId: 'agent-a' })).toBe(false);
    expect(kept({ tenantId: 'acme', agentId: 'agent-a' }, { ...week, handlingAgentId: 'agent-b' })).toBe(false);
  });

  it("never reads inside another caller's open transaction", async () => {
    const signedOut = () =>
      runtime.store.impl.readPrepared<[number]>(
        sql`select count(*) from ${runtime.store.table('main', 'session_revocations')} where user_id = 'in-flight'`.compile(
          runtime.store.db,
        ),
      );
    const held = signal();
    const written = signal();
    const writing = runtime.store.write(async (trx) => {
      await runtime.store
        .on(trx, 'main')
        .insertInto('session_revocations')
        .values({ tenant_id: 'acme', user_id: 'in-flight', signed_out_ms: 1 })
        .execute();
      written.fire();
      await held.fired;
      throw new Error('rolled back');
    });
    await written.fired;
    // Asked while the transaction holds an uncommitted row; answered after it rolled back, never with that row.
    const during = signedOut();
    held.fire();
    await expect(writing).rejects.toThrow('rolled back');
    expect(Number((await during)[0]?.[0])).toBe(0);
  });

  it("answers an agent with the agent's interactions alone, before and after the tenant's page of the same shape", async () => {
    const week: InteractionSearch = { source: 'main', order: 'asc', limit: 100, fromMs: START - DAY, toMs: START + 6 * DAY };
    const searches = new SearchRepository(runtime.store, runtime.vault.interactions);
    const ids = async (v: Visibility) => itemsOf(await searches.vonagePage(v, week)).map((item) => idOf.get(item.guid));
    const agentFirst = await ids({ tenantId: 'acme', agentId: 'agent-a' });
    const tenant = await ids({ tenantId: 'acme' });
    const agentAfter = await ids({ tenantId: 'acme', agentId: 'agent-a' });
    const otherAgent = await ids({ tenantId: 'acme', agentId: 'agent-b' });
    expect(tenant.sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    expect(agentFirst.sort()).toEqual(['a1', 'a2', 'a3']);
    expect(agentAfter.sort()).toEqual(['a1', 'a2', 'a3']);
    expect(otherAgent.sort()).toEqual(['b1', 'b2', 'b3']);
    expect(await ids({ tenantId: 'other' })).toEqual([]);
  });
});

/** A rendered page's items: texts (strings or UTF-8 runs) to be joined by commas. */
function itemsOf(page: RenderedPage): { guid: string }[] {
  const texts = page.items.map((item) => (typeof item === 'string' ? item : Buffer.from(item).toString('utf8')));
  return JSON.parse(`[${texts.join(',')}]`) as { guid: string }[];
}
