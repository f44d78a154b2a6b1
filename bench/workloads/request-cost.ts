/**
 * The fixed cost of a request (issue 15, session 6): the server's CPU per
 * request for answers that do little or no page work, in the conditions the
 * page workloads' servers see between requests on a shared machine — one
 * request every millisecond or two, so CPU caches and the JIT's hot paths are
 * cold — not in a tight loop. Each case alternates blocks of requests to
 * ixvault and to the static-bytes server answering the very same bytes;
 * `/proc` CPU of each process over its own blocks, per request.
 *
 * With `--cpu-prof DIR` the server writes a CPU profile of the run: the
 * stage-by-stage split of the per-request figure (docs/BENCHMARKS.md,
 * "Per-request cost, session 6").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { InteractionSearch } from '../../src/domain/search.js';
import type { Context, Workload } from '../lib/context.js';
import { WEEK_END_MS, WEEK_START_MS } from '../lib/dataset.js';
import { bearerToken, getBytes } from '../lib/http.js';
import type { ResultRow } from '../lib/results.js';
import { cpuMsOf, cpuRow, loadAverage, putResponses, startStaticBytes } from '../lib/static-bytes.js';
import { VONAGE_ACCEPT, vonageUrl } from './vonage-search.js';

/** Milliseconds between two requests: the page workloads' pace, where a server's caches go cold between requests. */
const PACE_MS = 1;
const ROUNDS = 10;

export const requestCost: Workload = {
  name: 'requests',
  description:
    'Per-request cost: server CPU per request (GET /health, empty Vonage page, pages of 1 and 100), paced, beside static bytes',
  async run(ctx: Context) {
    const server = await ctx.server();
    const api = `${server.url}/interaction-content/interactions`;
    const headers = { authorization: await bearerToken(server.url), accept: VONAGE_ACCEPT };
    const page = (limit: number, fromMs: number, toMs: number): InteractionSearch => ({
      source: 'main',
      order: 'asc',
      limit,
      withContentOnly: true,
      fromMs,
      toMs,
    });
    const emptyFrom = Date.UTC(2001, 0, 1);
    const weekMs = WEEK_END_MS - WEEK_START_MS;
    const cases = [
      { name: 'GET /health', urlOf: () => `${server.url}/health`, headers: {} },
      { name: 'empty Vonage page', urlOf: () => vonageUrl(api, page(100, emptyFrom, emptyFrom + weekMs)), headers },
      {
        name: 'Vonage page of 1',
        urlOf: (i: number) => vonageUrl(api, page(1, WEEK_START_MS + i * 3_600_000, WEEK_START_MS + weekMs)),
        headers,
      },
      {
        name: 'Vonage page of 100',
        urlOf: (i: number) => vonageUrl(api, page(100, WEEK_START_MS + i * 3_600_000, WEEK_START_MS + weekMs)),
        headers,
      },
    ];
    const staticBytes = await startStaticBytes();
    const rows: ResultRow[] = [];
    // Enough requests that the 10 ms ticks of /proc are a few per cent of the static server's total.
    const perRound = Math.max(50, Math.ceil(ctx.options.iterations / 2));
    const distinct = 24;
    try {
      for (const c of cases) await putResponses(staticBytes, c.name, distinct, c.urlOf, c.headers);
      // Every path compiled and every statement prepared before the first figure (the server has just started).
      for (let i = 0; i < 200; i++) for (const c of cases) await getBytes(c.urlOf(i % distinct), c.headers);
      for (const c of cases) {
        const cpu = { api: 0, bare: 0 };
        let served = 0;
        for (let round = 0; round < ROUNDS; round++) {
          for (const side of round % 2 === 0 ? (['api', 'bare'] as const) : (['bare', 'api'] as const)) {
            const pid = side === 'api' ? server.pid : staticBytes.pid;
            const t0 = cpuMsOf(pid);
            for (let i = 0; i < perRound; i++) {
              const k = (round * perRound + i) % distinct;
              if (side === 'api') await getBytes(c.urlOf(k), c.headers);
              else await staticBytes.get(`${c.name}/${k}`);
              await sleep(PACE_MS);
            }
            cpu[side] += cpuMsOf(pid) - t0;
          }
          served += perRound;
        }
        const row = cpuRow('requests', c.name, { ms: cpu.api, n: served }, { ms: cpu.bare, n: served }, 'request');
        row.notes = `${row.notes}; a request every ~${PACE_MS} ms+; ${loadAverage()}`;
        rows.push(row);
        ctx.log(`${c.name}: ${(cpu.api / served).toFixed(3)} ms a request, static ${(cpu.bare / served).toFixed(3)} ms`);
      }
    } finally {
      await staticBytes.stop();
    }
    return rows;
  },
};
