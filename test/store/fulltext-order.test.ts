/**
 * Text searches in time order against a reference computed here, on the
 * backend under test, through every plan the engines choose: a page from the
 * first slice of matches, a slice grown by row filters, an agent's index
 * bounding the span read (common words with an agent filter or an agent's
 * own visibility), and on PostgreSQL (after ANALYZE) the matches read bucket
 * by bucket from the (time_bucket, doc) GIN index. Every page of every
 * search, both orders, with and without a window, must be exactly the
 * reference's: nothing missed at a slice's or a bucket's edge, nothing of
 * another tenant or agent.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTextQuery } from '../../src/domain/fulltext.js';
import type { Visibility } from '../../src/domain/principal.js';
import type { InteractionSearch } from '../../src/domain/search.js';
import type { InteractionInput } from '../../src/domain/validate.js';
import type { Runtime } from '../../src/runtime.js';
import { lexemeStats } from '../../src/store/fulltext-engines.js';
import { BACKEND, CITUS } from '../helpers/server.js';
import { openStoreRuntime, type StoreRuntime, seededRandom, walkSearch } from '../helpers/store-runtime.js';

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const AGENTS = 6;

interface Reference {
  id: string;
  startMs: number;
  words: Set<string>;
  agent: string;
}

describe(`text search in time order against a reference (${BACKEND})`, () => {
  let runtime: Runtime;
  let store: StoreRuntime;
  const reference: Reference[] = [];

  beforeAll(async () => {
    store = await openStoreRuntime('fts-order');
    runtime = store.runtime;
    const next = seededRandom(7);
    for (const tenant of ['acme', 'other']) {
      const count = tenant === 'acme' ? 1200 : 300;
      const batch: InteractionInput[] = [];
      for (let n = 0; n < count; n++) {
        // Over 420 days (272 of PostgreSQL's 37-hour buckets); a few share one millisecond.
        const startMs = START + Math.floor(next() * 420) * DAY + (n % 7 === 0 ? 0 : Math.floor(next() * DAY));
        const words = ['filler'];
        if (next() < 0.6) words.push('alpha');
        if (next() < 0.08) words.push('beta');
        if (next() < 0.015) words.push('gamma');
        const agent = `agent-${1 + Math.floor(next() * AGENTS)}`;
        // Eight of 300 other words (each in ~2.7 % of the documents, more than gamma), after the searched ones.
        const noise = Array.from({ length: 8 }, () => `noise${Math.floor(next() * 300)}`);
        const id = `${tenant}-${String(n).padStart(5, '0')}`;
        if (tenant === 'acme') reference.push({ id, startMs, words: new Set(words), agent });
        batch.push({
          id,
          mediaType: 'chat',
          typeId: 'Inbound',
          state: 'Stopped',
          startMs,
          subject: `Chat ${n}`,
          owner: { id: agent },
          handlingAgentIds: [agent],
          customAttributes: {},
          userData: {},
          messages: [
            {
              index: 1,
              from: { type: 'Customer' },
              text: [...words, ...noise].join(' '),
              visibility: 'All',
              timestampMs: startMs,
              type: 'Text',
            },
            { index: 2, from: { type: 'Agent' }, text: 'thank you', visibility: 'All', timestampMs: startMs, type: 'Text' },
          ],
        });
      }
      await runtime.vault.interactions.upsertMany(tenant, batch);
    }
    // PostgreSQL's engine chooses its plan from ANALYZE's statistics (the bucket path needs them). A small
    // statistics target (100 lexemes kept) and the noise words keep `gamma` out of the lexeme list, as a
    // rare word of a large store is: its matches are then read all at once when they are few (checked
    // below); `alpha` and `beta` are listed and read by bucket.
    // On a Citus coordinator (IXVAULT_TEST_CITUS_WORKERS) the target is each shard's: Citus refuses it on the table.
    if (CITUS)
      await sql`select run_command_on_shards('ixv_main.text_docs', 'alter table %s alter column doc set statistics 10')`.execute(
        runtime.store.db,
      );
    else if (runtime.store.dialect === 'postgres')
      await sql`alter table ixv_main.text_docs alter column doc set statistics 10`.execute(runtime.store.db);
    await sql`analyze`.execute(runtime.store.db);
  }, 180_000);
  afterAll(async () => {
    await store?.close();
  });

  const expected = (q: InteractionSearch, words: string[], agent?: string) =>
    reference
      .filter((r) => words.every((w) => r.words.has(w)))
      .filter((r) => !agent || r.agent === agent)
      .filter((r) => r.startMs >= (q.fromMs ?? -Infinity) && r.startMs <= (q.toMs ?? Infinity))
      .sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => r.id);

  const walk = (visibility: Visibility, q: InteractionSearch) => walkSearch(runtime, visibility, q);

  const queries: [string, string[]][] = [
    ['alpha', ['alpha']],
    ['beta', ['beta']],
    ['gamma', ['gamma']],
    ['alpha beta', ['alpha', 'beta']],
    // Phrases (their words are pushed in this order): of listed words, read bucket by bucket (the buckets'
    // candidates kept before the positions are checked); with an unlisted word, its few candidates at once.
    ['"alpha beta"', ['alpha', 'beta']],
    ['"beta gamma"', ['beta', 'gamma']],
  ];

  it.skipIf(BACKEND !== 'postgres')('reads an unlisted word (gamma) and listed ones (alpha, beta)', async () => {
    // As the engine reads them (on Citus, from the shards).
    const listed = [...((await lexemeStats(runtime.store.db, 'ixv_main'))?.frequency.keys() ?? [])];
    expect(listed).toEqual(expect.arrayContaining(['alpha', 'beta']));
    expect(listed).not.toContain('gamma');
  });
  const windows = [{}, { fromMs: START + 100 * DAY, toMs: START + 160 * DAY }];

  it('pages every search exactly as the reference, in both orders, with and without a window', async () => {
    for (const [q, words] of queries)
      for (const order of ['asc', 'desc'] as const)
        for (const window of windows)
          for (const limit of [7, 100]) {
            const search: InteractionSearch = { source: 'main', order, limit, text: parseTextQuery(q), ...window };
            const want = expected(search, words);
            if (order === 'desc') want.reverse();
            expect(await walk({ tenantId: 'acme' }, search), `${q} ${order} ${JSON.stringify(window)} ${limit}`).toEqual(want);
          }
  });

  it('with an agent filter, and as an agent, finds exactly that agent’s matches', async () => {
    for (const [q, words] of queries)
      for (const order of ['asc', 'desc'] as const)
        for (const window of windows) {
          const search: InteractionSearch = { source: 'main', order, limit: 5, text: parseTextQuery(q), ...window };
          const want = expected(search, words, 'agent-3');
          if (order === 'desc') want.reverse();
          const label = `${q} ${order} ${JSON.stringify(window)}`;
          expect(await walk({ tenantId: 'acme' }, { ...search, handlingAgentId: 'agent-3' }), label).toEqual(want);
          // The agent's own visibility drives the same way, and never shows another agent's interaction.
          expect(await walk({ tenantId: 'acme', agentId: 'agent-3' }, search), label).toEqual(want);
        }
  });

  it('never returns another tenant’s interaction, whatever the plan', async () => {
    let found = 0;
    for (const [q] of queries) {
      const ids = await walk({ tenantId: 'other' }, { source: 'main', order: 'desc', limit: 50, text: parseTextQuery(q) });
      found += ids.length;
      expect(ids.filter((id) => !id.startsWith('other-'))).toEqual([]);
    }
    expect(found).toBeGreaterThan(100);
  });
});
