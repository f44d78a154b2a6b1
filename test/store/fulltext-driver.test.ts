/**
 * Text searches with an agent (a handlingAgentId filter, an agent's own
 * visibility: the agent's token intersected in the engine, or on PostgreSQL
 * for a common word the agent's index walked) or driven by an attribute's
 * index, against a reference computed here, on the backend under test. The
 * store holds more matches of the common word than a driver reads whole
 * (4096), so SQLite answers an attribute's search from the span of time the
 * driver's own rows bound (spanOfDriver: the span's size estimated from the
 * word's density, the driver's rows of the span matched in one read of the
 * engine); the tests check which ran. Every page of
 * every search must be exactly the reference's: nothing missed at a span's
 * edge, nothing of another agent or another tenant (the other tenant has the
 * same interaction ids, agent ids and attribute values, with other words).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseTextQuery } from '../../src/domain/fulltext.js';
import type { Visibility } from '../../src/domain/principal.js';
import type { InteractionSearch } from '../../src/domain/search.js';
import type { InteractionInput } from '../../src/domain/validate.js';
import type { Runtime } from '../../src/runtime.js';
import { SearchRepository } from '../../src/store/search-repository.js';
import { BACKEND } from '../helpers/server.js';
import { openStoreRuntime, type StoreRuntime, seededRandom, walkSearch } from '../helpers/store-runtime.js';

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const AGENTS = 12;

interface Reference {
  id: string;
  startMs: number;
  words: Set<string>;
  agents: string[];
  team: string;
  mediaType: 'chat' | 'email';
}

describe(`text search driven by an agent's or an attribute's index, against a reference (${BACKEND})`, () => {
  let runtime: Runtime;
  let store: StoreRuntime;
  /** Per tenant: the two tenants use the SAME interaction ids (and agent ids, attribute values) with other words. */
  const reference: Record<string, Reference[]> = { acme: [], other: [] };
  const spans = vi.spyOn(SearchRepository.prototype as unknown as { spanOfDriver: () => Promise<unknown> }, 'spanOfDriver');

  beforeAll(async () => {
    store = await openStoreRuntime('fts-driver');
    runtime = store.runtime;
    const next = seededRandom(11);
    for (const tenant of ['acme', 'other']) {
      const count = tenant === 'acme' ? 6000 : 1500;
      for (let from = 0; from < count; from += 500) {
        const batch: InteractionInput[] = [];
        for (let n = from; n < Math.min(count, from + 500); n++) {
          // Over 300 days; every 5th starts at midnight, so several share one millisecond.
          const startMs = START + Math.floor(next() * 300) * DAY + (n % 5 === 0 ? 0 : Math.floor(next() * DAY));
          const words = ['filler'];
          if (next() < 0.75) words.push('alpha');
          if (next() < 0.3) words.push('beta');
          if (next() < 0.02) words.push('gamma');
          const owner = `agent-${1 + Math.floor(next() * AGENTS)}`;
          // One in ten handled by a second agent too.
          const second = next() < 0.1 ? `agent-${1 + Math.floor(next() * AGENTS)}` : owner;
          const agents = [...new Set([owner, second])];
          const team = next() < 0.2 ? 'blue' : 'red';
          const mediaType = next() < 0.3 ? 'email' : 'chat';
          const id = `I-${String(n).padStart(5, '0')}`;
          reference[tenant]?.push({ id, startMs, words: new Set(words), agents, team, mediaType });
          batch.push({
            id,
            mediaType,
            typeId: 'Inbound',
            state: 'Stopped',
            startMs,
            subject: words.join(' '),
            owner: { id: owner },
            handlingAgentIds: agents,
            customAttributes: { team },
            userData: {},
          });
        }
        await runtime.vault.interactions.upsertMany(tenant, batch);
      }
    }
    await sql`analyze`.execute(runtime.store.db);
  }, 300_000);
  afterAll(async () => {
    spans.mockRestore();
    await store?.close();
  });

  const expected = (q: InteractionSearch, words: string[], keep: (r: Reference) => boolean, tenant = 'acme') => {
    const ids = (reference[tenant] ?? [])
      .filter((r) => words.every((w) => r.words.has(w)) && keep(r))
      .filter((r) => r.startMs >= (q.fromMs ?? -Infinity) && r.startMs <= (q.toMs ?? Infinity))
      .sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => r.id);
    return q.order === 'desc' ? ids.reverse() : ids;
  };

  const walk = (visibility: Visibility, q: InteractionSearch) => walkSearch(runtime, visibility, q);

  const queries: [string, string[]][] = [
    ['alpha', ['alpha']],
    ['alpha beta', ['alpha', 'beta']],
    ['gamma', ['gamma']],
  ];
  const windows = [{}, { fromMs: START + 40 * DAY, toMs: START + 130 * DAY }];
  const searches = function* () {
    for (const [q, words] of queries)
      for (const order of ['asc', 'desc'] as const)
        for (const window of windows) {
          const search: InteractionSearch = { source: 'main', order, limit: 40, text: parseTextQuery(q), ...window };
          yield { search, words, label: `${q} ${order} ${JSON.stringify(window)}` };
        }
  };

  it('with an agent filter, and as that agent, finds exactly the agent’s matches', async () => {
    spans.mockClear();
    for (const { search, words, label } of searches()) {
      const want = expected(search, words, (r) => r.agents.includes('agent-3'));
      expect(want.length, label).toBeGreaterThan(0);
      expect(await walk({ tenantId: 'acme' }, { ...search, handlingAgentId: 'agent-3' }), label).toEqual(want);
      expect(await walk({ tenantId: 'acme', agentId: 'agent-3' }, search), label).toEqual(want);
    }
    // SQLite: the agent's token in the engine's query, never a span of the agent's rows.
    if (BACKEND === 'sqlite') expect(spans).not.toHaveBeenCalled();
  });

  it('combines the agent with another agent, an attribute and a row filter', async () => {
    spans.mockClear();
    for (const { search, words, label } of searches()) {
      // As agent-5, filtering on agent-3: the interactions both handled.
      const both = expected(search, words, (r) => r.agents.includes('agent-3') && r.agents.includes('agent-5'));
      expect(await walk({ tenantId: 'acme', agentId: 'agent-5' }, { ...search, handlingAgentId: 'agent-3' }), label).toEqual(
        both,
      );
      const emails = expected(search, words, (r) => r.agents.includes('agent-3') && r.mediaType === 'email');
      expect(await walk({ tenantId: 'acme' }, { ...search, handlingAgentId: 'agent-3', mediaTypes: ['email'] }), label).toEqual(
        emails,
      );
      const blue = expected(search, words, (r) => r.team === 'blue');
      expect(await walk({ tenantId: 'acme' }, { ...search, customAttributes: { team: 'blue' } }), label).toEqual(blue);
    }
    if (BACKEND === 'sqlite') expect(spans).toHaveBeenCalled();
  });

  it('answers the other tenant from its own records, whose ids, agents and attributes are the same', async () => {
    for (const { search, words, label } of searches()) {
      const want = expected(search, words, (r) => r.agents.includes('agent-3'), 'other');
      expect(await walk({ tenantId: 'other', agentId: 'agent-3' }, search), label).toEqual(want);
      expect(await walk({ tenantId: 'other' }, { ...search, handlingAgentId: 'agent-3' }), label).toEqual(want);
      const blue = expected(search, words, (r) => r.team === 'blue', 'other');
      expect(await walk({ tenantId: 'other' }, { ...search, customAttributes: { team: 'blue' } }), label).toEqual(blue);
    }
  });
});
