/**
 * Workload 3: Genesys RetrieveInteractionHistory with searchCustomAttributes
 * and customAttributes, over the dataset's year. Measured, interleaved:
 * - baseline: the page query alone (custom attribute index joined to the
 *   interactions), hand-written, in this process;
 * - store: Vault.search in this process;
 * - POST → CometD: from sending the POST to receiving the result on an open
 *   websocket CometD session of the same user (official client).
 */
import { MEDIA_TYPES } from '../../src/domain/interaction.js';
import type { Principal } from '../../src/domain/principal.js';
import type { InteractionSearch } from '../../src/domain/search.js';
import { type BareDb, openBare } from '../lib/bare-sql.js';
import { DesktopClient } from '../lib/cometd-client.js';
import type { Workload } from '../lib/context.js';
import { TENANT, YEAR_END_MS, YEAR_START_MS } from '../lib/dataset.js';
import { openDatasetRuntime } from '../lib/dataset-runtime.js';
import { basic, SUPERVISOR } from '../lib/principals.js';
import { type Figure, latencyRatio, type ResultRow } from '../lib/results.js';
import { type Latency, measureInterleaved } from '../lib/stats.js';

export const HISTORY_PATH = '/api/v2/ucs/interactions';
const MONTH_MS = 30 * 86_400_000;

interface Case {
  name: string;
  attribute: (i: number) => [string, string];
  fromMs: (i: number) => number;
  toMs: (i: number) => number;
}

const QUEUES = ['billing', 'orders', 'tech', 'retention', 'sales', 'general', 'vip', 'returns'];

/** A customer's history (about size / 200 000 interactions each), the seed's SearchId, and a low-cardinality queue over a month. */
export const CASES: Case[] = [
  {
    name: 'CustomerId',
    attribute: (i) => ['CustomerId', `C${String(1 + ((i * 7919) % 200_000)).padStart(8, '0')}`],
    fromMs: () => YEAR_START_MS,
    toMs: () => YEAR_END_MS,
  },
  {
    name: 'SearchId',
    attribute: (i) => ['SearchId', String(100_000 + ((i * 104_729) % 900_000))],
    fromMs: () => YEAR_START_MS,
    toMs: () => YEAR_END_MS,
  },
  {
    name: 'Queue, one month',
    attribute: (i) => ['Queue', QUEUES[i % QUEUES.length] as string],
    fromMs: (i) => YEAR_START_MS + (i % 11) * MONTH_MS,
    toMs: (i) => YEAR_START_MS + ((i % 11) + 1) * MONTH_MS - 1,
  },
];

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function historyBody(c: Case, i: number) {
  const [name, value] = c.attribute(i);
  return {
    operationName: 'RetrieveInteractionHistory',
    fromDate: day(c.fromMs(i)),
    toDate: day(c.toMs(i)),
    searchCustomAttributes: { [name]: value },
    customAttributes: ['SearchId', 'CustomerId'],
  };
}

/** The rows of one history page, by hand: the custom attribute's index drives, newest first, 100 rows. */
export function bareHistory(db: BareDb, c: Case, i: number) {
  const [name, value] = c.attribute(i);
  return db.all(
    `select i.* from main.custom_attributes d join main.interactions i on i.tenant_id = d.tenant_id and i.id = d.interaction_id
      where d.tenant_id = ? and d.name = ? and d.value = ? and d.start_ms >= ? and d.start_ms <= ?
      order by d.start_ms desc, d.interaction_id desc limit 100`,
    [TENANT, name, value, dayStart(c.fromMs(i)), dayStart(c.toMs(i)) + 86_400_000 - 1],
  );
}

const dayStart = (ms: number) => Math.floor(ms / 86_400_000) * 86_400_000;

export const genesysHistory: Workload = {
  name: 'genesys',
  description:
    'Genesys RetrieveInteractionHistory with searchCustomAttributes: POST → CometD result over websocket; baseline the SQL alone',
  async run(ctx) {
    const server = await ctx.server();
    const authorization = basic(SUPERVISOR);
    const bare = openBare(ctx.dataset);
    const { runtime, tenant } = await openDatasetRuntime(ctx);
    const principal: Principal = {
      kind: 'user',
      tenant,
      id: 'bench-supervisor',
      userName: SUPERVISOR.userName,
      role: 'supervisor',
    };
    const client = new DesktopClient(server.url, authorization);
    await client.open();
    const rows: ResultRow[] = [];
    try {
      for (const c of CASES) {
        const search = (i: number): InteractionSearch => {
          const [name, value] = c.attribute(i);
          return {
            source: 'main',
            order: 'desc',
            limit: 100,
            fromMs: dayStart(c.fromMs(i)),
            toMs: dayStart(c.toMs(i)) + 86_400_000 - 1,
            customAttributes: { [name]: value },
            // What the facade adds for a tenant with every media feature on (history-query.ts).
            mediaTypes: [...MEDIA_TYPES],
          };
        };
        const r = (await measureInterleaved(
          {
            baseline: (i) => bareHistory(bare, c, i),
            store: (i) => runtime.vault.search(principal, search(i)),
            cometd: async (i) => {
              const result = await client.request(HISTORY_PATH, historyBody(c, i));
              if (result.errorMessage) throw new Error(`RetrieveInteractionHistory: ${result.errorMessage}`);
            },
          },
          { rounds: 10, perRound: Math.ceil(ctx.options.iterations / 10) },
        )) as Record<string, Latency>;
        const baseline: Figure = { label: 'SQL alone, in-process', p50: r.baseline?.p50, p99: r.baseline?.p99, unit: 'ms' };
        const store: Figure = { label: 'Vault.search, in-process', p50: r.store?.p50, p99: r.store?.p99, unit: 'ms' };
        const cometd: Figure = { label: 'POST → CometD message', p50: r.cometd?.p50, p99: r.cometd?.p99, unit: 'ms' };
        const plan = await runtime.vault.searches.explain({ tenantId: TENANT }, search(0));
        rows.push({
          notes: `plan: ${plan.join(' | ')}`,
          workload: 'genesys',
          case: `RetrieveInteractionHistory, ${c.name} (store)`,
          ixvault: store,
          baseline,
          ratio: latencyRatio(store, baseline),
        });
        rows.push({
          workload: 'genesys',
          case: `RetrieveInteractionHistory, ${c.name} (POST → CometD)`,
          ixvault: cometd,
          baseline,
          ratio: latencyRatio(cometd, baseline),
          targets: [{ text: 'p99 ≤ 15 ms', met: (cometd.p99 ?? 99) <= 15 }],
        });
      }
    } finally {
      await client.close();
      await bare.close();
      await runtime.close();
    }
    return rows;
  },
};
