/**
 * Workload 5: many concurrent desktops. For each session count, that many
 * users (declared in the bench principals) each open a websocket CometD
 * session with the official client, then each issues RetrieveInteractionHistory
 * requests in a loop (a customer's history, then a think time) for a fixed
 * time. Measured: delivered results per second, POST → CometD latency, and
 * the server's memory per session (RSS and heap after a forced GC, idle
 * sessions against none). Baseline: the same request from one session alone.
 */
import { DesktopClient } from '../lib/cometd-client.js';
import type { Context, Workload } from '../lib/context.js';
import { basic, sessionUser } from '../lib/principals.js';
import type { ResultRow } from '../lib/results.js';
import { type Latency, measure, summarize } from '../lib/stats.js';
import { CASES, HISTORY_PATH, historyBody } from './genesys-history.js';

const OPEN_CONCURRENCY = 50;
const KIB = 1024;

const customerHistory = CASES[0] as (typeof CASES)[number];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const sessions: Workload = {
  name: 'sessions',
  description:
    'Concurrent CometD websocket sessions (one user each) issuing history requests in a loop: results/s, p99, memory per session',
  async run(ctx) {
    const server = await ctx.server();
    const single = new DesktopClient(server.url, basic(sessionUser(0)));
    try {
      await single.open();
    } catch (err) {
      ctx.log(`sessions: no CometD endpoint (${(err as Error).message}); skipped`);
      await single.close().catch(() => {});
      return [];
    }
    const alone = await measure(200, (i) => single.request(HISTORY_PATH, historyBody(customerHistory, i)));
    await single.close();
    const rows: ResultRow[] = [];
    for (const count of ctx.options.sessions) rows.push(...(await underLoad(ctx, count, alone)));
    return rows;
  },
};

async function underLoad(ctx: Context, count: number, alone: Latency): Promise<ResultRow[]> {
  const server = await ctx.server();
  const before = await server.memory();
  const clients: DesktopClient[] = [];
  ctx.log(`sessions: opening ${count} websocket sessions`);
  const t0 = performance.now();
  for (let i = 0; i < count; i += OPEN_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(OPEN_CONCURRENCY, count - i) }, (_, k) => {
      const client = new DesktopClient(server.url, basic(sessionUser(i + k)));
      clients.push(client);
      return client.open(120_000);
    });
    await Promise.all(batch);
  }
  ctx.log(`sessions: ${count} open in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await sleep(2000);
  const idle = await server.memory();

  const latencies: number[] = [];
  let failures = 0;
  const deadline = performance.now() + ctx.options.sessionSeconds * 1000;
  const think = ctx.options.thinkMs;
  const loop = async (client: DesktopClient, k: number) => {
    // Spread the first requests over one think time, as desktops are not synchronised.
    await sleep(Math.random() * think);
    let i = k * 1000;
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        await client.request(HISTORY_PATH, historyBody(customerHistory, i++), 60_000);
        if (performance.now() <= deadline) latencies.push(performance.now() - started);
      } catch {
        failures++;
      }
      await sleep(think * (0.5 + Math.random()));
    }
  };
  const started = performance.now();
  await Promise.all(clients.map(loop));
  const seconds = (performance.now() - started) / 1000;
  const loaded = await server.memory();
  await Promise.all(clients.map((c) => c.close().catch(() => {})));

  const latency = summarize(latencies);
  const rssPerSession = (idle.rss - before.rss) / count / KIB;
  const heapPerSession = (idle.heapUsed - before.heapUsed) / count / KIB;
  ctx.log(
    `sessions ${count}: ${latencies.length} results in ${seconds.toFixed(0)} s, p50 ${latency.p50.toFixed(1)} p99 ${latency.p99.toFixed(1)} ms, ${failures} failures, RSS ${rssPerSession.toFixed(1)} KiB/session idle, ${((loaded.rss - before.rss) / count / KIB).toFixed(1)} under load`,
  );
  const delivered = latencies.length / seconds;
  // What the sessions would ask for if every answer were instant: each starts within the first think
  // time (half of one on average), then asks once per mean think time until the deadline.
  const window = ctx.options.sessionSeconds;
  const offered = (count * Math.max(0, window - think / 2000)) / (think / 1000) / window;
  return [
    {
      workload: 'sessions',
      case: `${count} websocket sessions: delivered results`,
      ixvault: { label: 'results received', value: delivered, unit: 'results/s' },
      baseline: { label: 'offered by the sessions', value: offered, unit: 'results/s' },
      ratio: delivered / offered,
      notes: `${failures} failures`,
    },
    {
      workload: 'sessions',
      case: `${count} websocket sessions, think ${ctx.options.thinkMs} ms`,
      ixvault: { label: 'POST → CometD under load', p50: latency.p50, p99: latency.p99, unit: 'ms' },
      baseline: { label: 'one session alone', p50: alone.p50, p99: alone.p99, unit: 'ms' },
      ratio: latency.p50 / alone.p50,
      targets: [
        { text: 'p99 ≤ 50 ms', met: latency.p99 <= 50 },
        {
          text: `≤ 32 KiB per session (RSS ${rssPerSession.toFixed(1)} KiB, heap ${heapPerSession.toFixed(1)} KiB)`,
          // RSS alone is noisy (the allocator returns pages after a GC): the larger of the two counts.
          met: Math.max(rssPerSession, heapPerSession) <= 32,
        },
      ],
      notes: `RSS under load ${((loaded.rss - before.rss) / count / KIB).toFixed(1)} KiB/session`,
    },
  ];
}
