/**
 * The query plans behind every search shape, on the backend under test: each
 * must be served by the index docs/ARCHITECTURE.md names for it, not a scan
 * of the window or the table. Data: a generated year of 20 000 interactions.
 */
import { CompiledQuery, sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentsOf, generateInteractions } from '../../src/demo/contact-center.js';
import { parseTextQuery } from '../../src/domain/fulltext.js';
import type { InteractionSearch } from '../../src/domain/search.js';
import { checkInteraction } from '../../src/domain/validate.js';
import type { Runtime } from '../../src/runtime.js';
import { exportCopies } from '../../src/store/export-repository.js';
import { maskedRows } from '../../src/store/redaction-report.js';
import type { Database } from '../../src/store/schema.js';
import { BACKEND, CITUS } from '../helpers/server.js';
import { openStoreRuntime, type StoreRuntime } from '../helpers/store-runtime.js';

const YEAR_START = Date.UTC(2025, 0, 1);
const WEEK = 7 * 86_400_000;
const OPTIONS = {
  seed: 11,
  agents: 50,
  contacts: 2000,
  interactions: 20_000,
  fromMs: YEAR_START,
  toMs: YEAR_START + 52 * WEEK,
  contentRatio: 0.3,
  messagesPerChat: 4,
};

/**
 * Sequential scans priced out for the transaction; on a Citus coordinator (IXVAULT_TEST_CITUS_WORKERS)
 * the setting is also sent to the workers, which plan the shards' statements.
 */
async function pricedOutScans(trx: Transaction<Database>): Promise<void> {
  if (CITUS) await sql`set local citus.propagate_set_commands = 'local'`.execute(trx);
  await sql`set local enable_seqscan = off`.execute(trx);
}

describe(`search plans (${BACKEND})`, () => {
  let runtime: Runtime;
  let store: StoreRuntime;
  const agent = agentsOf(OPTIONS)[3]?.id ?? '';
  const window = { fromMs: YEAR_START + 20 * WEEK, toMs: YEAR_START + 21 * WEEK };
  const base: InteractionSearch = { source: 'main', order: 'asc', limit: 100, ...window };

  beforeAll(async () => {
    store = await openStoreRuntime('plans');
    runtime = store.runtime;
    let batch: ReturnType<typeof checkInteraction>['value'][] = [];
    const withContent: string[] = [];
    for (const g of generateInteractions(OPTIONS)) {
      batch.push(checkInteraction(g.record).value);
      if (g.content.length > 0) withContent.push(g.record.id);
      if (batch.length === 1000) {
        await runtime.vault.interactions.upsertMany(
          'acme',
          batch.filter((b) => b !== undefined),
        );
        batch = [];
      }
    }
    // Content metadata only matters to the plans through content_count.
    const db = runtime.store.in('main');
    for (let i = 0; i < withContent.length; i += 500) {
      await db
        .updateTable('interactions')
        .set({ content_count: 1 })
        .where('tenant_id', '=', 'acme')
        .where('id', 'in', withContent.slice(i, i + 500))
        .execute();
    }
    await sql`analyze`.execute(runtime.store.db);
  }, 180_000);
  afterAll(async () => {
    await store?.close();
  });

  const plan = async (q: Partial<InteractionSearch>, agentId?: string) => {
    const lines = await runtime.vault.searches.explain({ tenantId: 'acme', ...(agentId ? { agentId } : {}) }, { ...base, ...q });
    return lines.join('\n');
  };
  const noScan = (text: string) => {
    expect(text).not.toMatch(/SCAN (i|d|main\.interactions)\b(?! USING)/);
    expect(text).not.toMatch(/Seq Scan on interactions/);
    expect(text).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
  };

  const shapes: [string, Partial<InteractionSearch>, string, string?][] = [
    ['Vonage window, content only', { withContentOnly: true }, 'interactions_content_time_ix'],
    ['Vonage window, page 1000', { withContentOnly: true, limit: 1000 }, 'interactions_content_time_ix'],
    ['Vonage connectFrom prefix', { withContentOnly: true, connectFromPrefix: '+1415100' }, 'interactions_content_time_ix'],
    [
      'Vonage direction and connectTo prefix',
      { withContentOnly: true, direction: 'inbound', connectToPrefix: '+1800' },
      'interactions_content_time_ix',
    ],
    [
      'later page (cursor)',
      { withContentOnly: true, after: { startMs: window.fromMs + 3 * 86_400_000, id: 'M' } },
      'interactions_content_time_ix',
    ],
    ['Vonage handlingAgentId', { withContentOnly: true, handlingAgentId: agent }, 'interaction_agents_agent_ix'],
    [
      'Genesys custom attribute, desc',
      { customAttributes: { SearchId: '100200' }, order: 'desc', fromMs: YEAR_START, toMs: YEAR_START + 52 * WEEK },
      'custom_attributes_value_ix',
    ],
    ['Genesys media types, desc', { mediaTypes: ['chat', 'email'], order: 'desc' }, 'interactions_time_ix'],
    [
      'Genesys all but two media types, a year',
      {
        mediaTypes: ['call', 'chat', 'email', 'smssession', 'openmedia', 'workitem', 'facebooksession'],
        order: 'desc',
        fromMs: YEAR_START,
        toMs: YEAR_START + 52 * WEEK,
      },
      'interactions_time_ix',
    ],
    [
      'Genesys agent history',
      { handlingAgentId: agent, order: 'desc', fromMs: YEAR_START, toMs: YEAR_START + 52 * WEEK },
      'interaction_agents_agent_ix',
    ],
    [
      'Genesys contact history',
      { contactId: 'C00000042', order: 'desc', fromMs: YEAR_START, toMs: YEAR_START + 52 * WEEK },
      'interactions_contact_ix',
    ],
    ['an agent searching its own', { order: 'desc' }, 'interaction_agents_agent_ix', agent],
  ];
  for (const [name, q, index, agentId] of shapes) {
    it(`${name} uses ${index}`, async () => {
      const text = await plan(q, agentId);
      if (process.env.IXVAULT_PRINT_PLANS) console.log(`--- ${name} (${BACKEND})\n${text}`);
      expect(text).toContain(index);
      noScan(text);
    });
  }

  it.skipIf(BACKEND !== 'postgres')(
    'PostgreSQL reads a word’s matches bucket by bucket from the (time_bucket, doc) GIN index',
    async () => {
      // The statement matchesByBucket (fulltext-engines.ts) runs for each step of its walk.
      const { rows } = await sql<{ 'QUERY PLAN': string }>`explain select interaction_id from ixv_main.text_docs
        where time_bucket = any(${[9, 10]}::integer[]) and doc @@ to_tsquery('pg_catalog.simple', '(''zzqx'')')
          and tenant_id = 'acme'`.execute(runtime.store.db);
      const text = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('text_docs_time_doc_ix');
      expect(text).not.toMatch(/Seq Scan/);
    },
  );

  it('the redactions report reads only the rows with masked card numbers (partial indexes, migration 021)', async () => {
    for (const source of ['main', 'archive'] as const)
      for (const [table, index] of [
        ['interactions', 'interactions_card_redactions_ix'],
        ['content_items', 'content_items_card_redactions_ix'],
      ] as const) {
        const query = maskedRows(runtime.store, source, table, 'acme').compile();
        const explain = BACKEND === 'sqlite' ? 'explain query plan' : 'explain';
        // The data has no content items: PostgreSQL would rightly scan an empty table. Its plan is asked
        // with scans priced out, which it follows only if the partial index can answer the statement.
        const { rows } = await runtime.store.db.transaction().execute(async (trx) => {
          if (BACKEND === 'postgres') await pricedOutScans(trx);
          return trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`${explain} ${query.sql}`, [...query.parameters]));
        });
        const text = rows.map((r) => String(r['QUERY PLAN'] ?? r.detail)).join('\n');
        expect(text, `${source} ${table}`).toContain(index);
        expect(text).not.toMatch(/Seq Scan|SCAN (main\.)?"?\w*(interactions|content_items)"?\s*$/m);
      }
  });

  it("an erasure finds its interactions' export copies by interaction, not by reading every export file (migration 022)", async () => {
    const query = exportCopies(runtime.store, 'acme', ['A1', 'A2']).compile();
    const explain = BACKEND === 'sqlite' ? 'explain query plan' : 'explain';
    // No export has run on this store: PostgreSQL is asked with scans priced out, as for the redactions report.
    const { rows } = await runtime.store.db.transaction().execute(async (trx) => {
      if (BACKEND === 'postgres') await pricedOutScans(trx);
      return trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`${explain} ${query.sql}`, [...query.parameters]));
    });
    const text = rows.map((r) => String(r['QUERY PLAN'] ?? r.detail)).join('\n');
    expect(text).toContain('export_files_interaction_ix');
  });

  it('a text search shows its text filter: read from the engine, its interactions fetched by key', async () => {
    // A word of the generated chats: the page's interactions are then a non-empty list (an empty one is a
    // contradiction, which lets PostgreSQL pick any partial index for a statement that reads nothing).
    const text = await plan({ text: parseTextQuery('refund'), order: 'desc' });
    if (process.env.IXVAULT_PRINT_PLANS) console.log(`--- text (${BACKEND})\n${text}`);
    if (BACKEND === 'sqlite') {
      expect(text).toContain('text_fts VIRTUAL TABLE');
      expect(text).toContain('sqlite_autoindex_interactions_1');
    } else {
      // The matches were read from the (time_bucket, doc) GIN index bucket by bucket before this statement
      // (fulltext-engines.ts); the page's interactions are fetched by key.
      // (On Citus the index and the table are the tenant's shard's: `interactions_pk_102009 on interactions_102009`.)
      expect(text).toMatch(/Index Scan using interactions_pk(_\d+)? on interactions(_\d+)? /);
      expect(text).toMatch(/id = ANY/);
      expect(text).not.toMatch(/Seq Scan on interactions/);
    }
  });
});
