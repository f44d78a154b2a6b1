/**
 * Genesys POST → CometD result when the session lives on another node of a
 * cluster, beside the same-node baseline, in the same run: a cluster of
 * `--nodes` ixvault processes on a throwaway PostgreSQL and Redis
 * (scripts/cluster.mjs), one desktop (the official CometD client, websocket)
 * with its session on node a; each request is a RetrieveInteractionHistory
 * POSTed straight to node a (same node) or node b (the result travels
 * through Redis), interleaved in rounds so that other load on the machine
 * hits both alike. The time is from sending the POST to the result's
 * arrival on the session. docs/BENCHMARKS.md ("Cluster") has the figures.
 *
 *   npm run bench:cluster -- [--requests 2000] [--nodes 3]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { DesktopClient } from './lib/cometd-client.js';
import { REPO_ROOT } from './lib/paths.js';
import { summarize } from './lib/stats.js';

const program = new Command()
  .name('bench:cluster')
  .description('Genesys POST → CometD result across cluster nodes versus on the same node')
  .option('--requests <n>', 'measured requests per kind', '2000')
  .option('--warmup <n>', 'unmeasured requests per kind first', '200')
  .option('--nodes <n>', 'ixvault nodes', '3')
  .parse();

interface Options {
  requests: string;
  warmup: string;
  nodes: string;
}

const PRINCIPALS = {
  tenants: [{ id: 'bench', users: [{ id: 'agent-1', userName: 'agent1', password: 'bench-password-1', role: 'agent' }] }],
};
const HISTORY = { operationName: 'RetrieveInteractionHistory' };

async function main(options: Options) {
  const requests = Number(options.requests);
  const warmup = Number(options.warmup);
  const loadAtStart = loadavg().map((l) => Number(l.toFixed(2)));
  process.stderr.write(`starting PostgreSQL, Redis, ${options.nodes} nodes and nginx…\n`);
  // From the checkout's scripts/ (this file runs compiled, from dist/harness).
  const { startIxvaultCluster } = (await import(
    pathToFileURL(join(REPO_ROOT, 'scripts', 'cluster.mjs')).href
  )) as typeof import('../scripts/cluster.mjs');
  const cluster = await startIxvaultCluster({
    nodes: Number(options.nodes),
    principals: PRINCIPALS,
    extraArgs: ['--rate-limit', '0', '--ip-rate-limit', '0'],
    env: { IXVAULT_LOG_LEVEL: 'warn', IXVAULT_LOG_FORMAT: 'json' },
  });
  try {
    const [a, b] = cluster.nodes as { url: string }[];
    if (!a || !b) throw new Error('needs two nodes');
    const authorization = `Basic ${Buffer.from('agent1:bench-password-1').toString('base64')}`;
    const desktop = new DesktopClient(a.url, authorization);
    await desktop.open();
    const kinds = { sameNode: a.url, otherNode: b.url };
    const samples: Record<keyof typeof kinds, number[]> = { sameNode: [], otherNode: [] };
    const once = async (origin: string) => {
      const t0 = performance.now();
      const result = await desktop.request('/api/v2/ucs/interactions', HISTORY, 30_000, origin);
      if (result.errorMessage) throw new Error(result.errorMessage);
      return performance.now() - t0;
    };
    for (let i = 0; i < warmup; i++) for (const origin of Object.values(kinds)) await once(origin);
    for (let i = 0; i < requests; i++) {
      // Alternating which goes first, so neither always follows the other.
      const order = i % 2 === 0 ? (['sameNode', 'otherNode'] as const) : (['otherNode', 'sameNode'] as const);
      for (const kind of order) samples[kind].push(await once(kinds[kind]));
      if ((i + 1) % 500 === 0) process.stderr.write(`  ${i + 1}/${requests}\n`);
    }
    await desktop.close();
    const figures = Object.fromEntries(
      Object.entries(samples).map(([kind, values]) => {
        const s = summarize(values);
        const sorted = [...values].sort((x, y) => x - y);
        const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1] ?? Number.NaN;
        return [kind, { ...s, p95, max: sorted[sorted.length - 1] }];
      }),
    );
    const report = {
      at: new Date().toISOString(),
      workload: 'Genesys RetrieveInteractionHistory POST → CometD result (websocket), empty tenant',
      nodes: Number(options.nodes),
      // What else the machine was doing: figures from a loaded machine are not the machine's.
      machine: {
        cores: cpus().length,
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
      },
      requestsPerKind: requests,
      warmupPerKind: warmup,
      milliseconds: figures,
    };
    const dir = join(REPO_ROOT, 'bench', 'results');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${report.at.slice(0, 10)}-cluster-notify.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    const line = (kind: string, f: Record<string, number>) =>
      `${kind.padEnd(10)} p50 ${f.p50?.toFixed(2)} ms  p95 ${f.p95?.toFixed(2)} ms  p99 ${f.p99?.toFixed(2)} ms  max ${f.max?.toFixed(2)} ms`;
    process.stdout.write(
      `${Object.entries(figures)
        .map(([k, f]) => line(k, f as Record<string, number>))
        .join(
          '\n',
        )}\nload average at start ${loadAtStart.join(' ')}, at end ${report.machine.loadAverageAtEnd.join(' ')} (${cpus().length} cores)\nwritten to ${file}\n`,
    );
  } finally {
    await cluster.stop();
  }
}

main(program.opts<Options>()).catch((err) => {
  process.stderr.write(`bench:cluster: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
