/**
 * Requests per core for the main operations (docs/SCALING.md "Capacity model"): CPU time, not
 * wall time, so the figure holds on a shared machine. A server child (bench/server-child.ts, as
 * deployed) serves a store of generated interactions (the bench generator, seed 42, loaded like the
 * bench harness's dataset); each operation runs `--requests` times, 4 in flight, and the CPU the server
 * process spent (utime + stime from /proc) — and on PostgreSQL the CPU of the cluster's processes
 * (the postmaster and its children, live and exited) — is divided by the requests:
 * - ingest: POST /api/v1/interactions:batch of 100 new records with their messages;
 * - Vonage page: GET /interaction-content/interactions, a week, 100 a page;
 * - Genesys retrieve: RetrieveInteractionHistory by CustomerId, POST → the result on a websocket
 *   CometD session of the official client;
 * - content download: GET of a 1 MiB recording, whole.
 * Prints a Markdown table and writes bench/results/<date>-<backend>-<n>-requests-per-core.json.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/harness/bench/requests-per-core.js --backend sqlite
 *   node dist/harness/bench/requests-per-core.js --backend postgres
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { writePrincipalsConfig } from '../src/auth/directory.js';
import { type BackendName, openBackend } from './lib/backend.js';
import { postgresWriter, sqliteWriter } from './lib/bulk.js';
import { DesktopClient } from './lib/cometd-client.js';
import { generate, toRows, WEEK_END_MS, WEEK_START_MS } from './lib/dataset.js';
import { bearerToken, getBytes } from './lib/http.js';
import { REPO_ROOT } from './lib/paths.js';
import { ADMIN, basic, benchPrincipals, SUPERVISOR } from './lib/principals.js';
import { startServerProcess } from './lib/server-process.js';
import { CASES, HISTORY_PATH, historyBody } from './workloads/genesys-history.js';
import { vonageUrl } from './workloads/vonage-search.js';

interface Options {
  backend: BackendName;
  interactions: number;
  requests: number;
  workDir: string;
}

function parseOptions(argv: string[]): Options {
  const program = new Command('requests-per-core')
    .description('CPU time per request of the main operations (server process, and PostgreSQL), so requests per core')
    .option('--backend <name>', 'sqlite or postgres', 'sqlite')
    .option('--interactions <n>', 'interactions in the store', '20000')
    .option('--requests <n>', 'requests per operation', '400')
    .option('--work-dir <dir>', 'where the store lives (removed at the end)', join(tmpdir(), 'ixvault-requests-per-core'));
  program.parse(argv);
  const o = program.opts();
  if (o.backend !== 'sqlite' && o.backend !== 'postgres') throw new Error('--backend is sqlite or postgres');
  return { backend: o.backend, interactions: Number(o.interactions), requests: Number(o.requests), workDir: o.workDir };
}

const log = (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of a process, in ms; with `reaped`, also what its exited children used (cutime + cstime). */
function cpuOf(pid: number, reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (own + (reaped ? Number(fields[13]) + Number(fields[14]) : 0)) * TICK_MS;
  } catch {
    return 0; // exited
  }
}

/**
 * CPU of the PostgreSQL cluster listening on this port (its postmaster's command line names the
 * port): the postmaster, its live children, and the children it reaped (backends that exited), so
 * the figure only grows.
 */
function postgresCpu(port: string): number {
  const parentOf = new Map<number, number>();
  let postmaster: number | undefined;
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parentOf.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (cmd[0]?.endsWith('/postgres') && cmd.join(' ').includes(`-p ${port}`)) postmaster = Number(d);
    } catch {
      // gone
    }
  }
  if (postmaster === undefined) return 0;
  const children = [...parentOf].filter(([, ppid]) => ppid === postmaster).map(([pid]) => pid);
  return cpuOf(postmaster, true) + children.reduce((n, pid) => n + cpuOf(pid), 0);
}

async function main() {
  const options = parseOptions(process.argv);
  const loadStart = load();
  log(`${options.backend}: ${options.interactions} interactions, ${options.requests} requests per operation (load ${loadStart})`);
  const backend = await openBackend(options.backend, options.workDir, log);
  const location = await backend.createStore(`rpc-${options.interactions}`);
  const principalsFile = join(location.dataDir, 'principals.json');
  await writePrincipalsConfig(principalsFile, benchPrincipals(0));
  // The store, loaded as the bench harness loads its dataset (bench/lib/bulk.ts: rows from ixvault's
  // own mappers, content items' metadata included); the records after `interactions` are for ingest.
  const generated = [...generate(42, options.interactions + options.requests * 100)];
  const all = generated.map((g) => g.record);
  const writer = location.databaseUrl ? await postgresWriter(location.databaseUrl) : sqliteWriter(location.sqliteFile);
  try {
    const nowMs = Date.now();
    for (let i = 0; i < options.interactions; i += 1000)
      await writer.write(generated.slice(i, Math.min(i + 1000, options.interactions)).map((g) => toRows(g, nowMs)));
  } finally {
    await writer.close();
  }
  log(`stored (load ${load()})`);
  const server = await startServerProcess({ dataDir: location.dataDir, databaseUrl: location.databaseUrl, principalsFile });
  const pgPort = location.databaseUrl ? new URL(location.databaseUrl).port : undefined;
  const results: Record<string, { serverCpuMs: number; databaseCpuMs: number; wallMs: number; unit: string }> = {};
  try {
    const admin = basic(ADMIN);
    const bearer = await bearerToken(server.url);
    const desktop = new DesktopClient(server.url, basic(SUPERVISOR));
    await desktop.open();
    const recording = Buffer.alloc(1024 * 1024, 7);
    const firstId = (all[0] as { id: string }).id;
    const put = await fetch(`${server.url}/api/v1/interactions/${firstId}/content/callRecording`, {
      method: 'PUT',
      headers: { authorization: admin, 'content-type': 'audio/wav' },
      body: recording,
    });
    if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
    const vonageCase = CASES[0];
    if (!vonageCase) throw new Error('no Genesys case');
    const week = 7 * 86_400_000;
    const operations: Record<string, { unit: string; run: (i: number) => Promise<unknown> }> = {
      'ingest, batch of 100 with messages': {
        unit: 'request (100 interactions)',
        run: async (i) => {
          const batch = all.slice(options.interactions + i * 100, options.interactions + (i + 1) * 100);
          const res = await fetch(`${server.url}/api/v1/interactions:batch`, {
            method: 'POST',
            headers: { authorization: admin, 'content-type': 'application/json' },
            body: JSON.stringify(batch),
          });
          if (res.status !== 200) throw new Error(`ingest: ${res.status} ${await res.text()}`);
        },
      },
      'Vonage page of 100, a week': {
        unit: 'request',
        run: (i) =>
          getBytes(
            vonageUrl(`${server.url}/interaction-content/interactions`, {
              source: 'main',
              order: 'asc',
              limit: 100,
              fromMs: WEEK_START_MS + ((i * 3 * 3_600_000) % (20 * week)),
              toMs: Math.min(WEEK_END_MS + 20 * week, WEEK_START_MS + ((i * 3 * 3_600_000) % (20 * week)) + week - 1),
            }),
            { authorization: bearer, accept: 'application/vnd.newvoicemedia.v3+json' },
          ),
      },
      'Genesys RetrieveInteractionHistory (CustomerId), POST → CometD': {
        unit: 'request',
        run: async (i) => {
          const result = await desktop.request(HISTORY_PATH, historyBody(vonageCase, i));
          if (result.errorMessage) throw new Error(result.errorMessage);
        },
      },
      'content download, 1 MiB': {
        unit: 'request (1 MiB)',
        run: (_i) => getBytes(`${server.url}/api/v1/interactions/${firstId}/content/callRecording`, { authorization: admin }),
      },
    };
    for (const [name, op] of Object.entries(operations)) {
      // Warm-up, then the measured requests, 4 in flight.
      for (let i = 0; i < 10; i++) await op.run(options.requests + i);
      const dbBefore = pgPort ? postgresCpu(pgPort) : 0;
      const before = cpuOf(server.pid);
      const started = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = next++; i < options.requests; i = next++) await op.run(i);
        }),
      );
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const dbAfter = pgPort ? postgresCpu(pgPort) : 0;
      results[name] = {
        serverCpuMs: (cpuOf(server.pid) - before) / options.requests,
        databaseCpuMs: (dbAfter - dbBefore) / options.requests,
        wallMs: wallMs / options.requests,
        unit: op.unit,
      };
      log(`${name}: ${JSON.stringify(results[name])} (load ${load()})`);
    }
    await desktop.close();
  } finally {
    await server.stop();
    await backend.dropStore(location);
    await backend.close();
    rmSync(options.workDir, { recursive: true, force: true });
  }
  const loadEnd = load();
  process.stdout.write(`\n${options.backend}, ${options.interactions} interactions, load average ${loadStart} → ${loadEnd}\n\n`);
  process.stdout.write('| operation | server CPU ms | database CPU ms | per core-second | unit |\n|---|---|---|---|---|\n');
  for (const [name, r] of Object.entries(results)) {
    const perCore = 1000 / (r.serverCpuMs + r.databaseCpuMs);
    process.stdout.write(
      `| ${name} | ${r.serverCpuMs.toFixed(2)} | ${options.backend === 'postgres' ? r.databaseCpuMs.toFixed(2) : 'in-process'} | ${perCore.toFixed(0)} | ${r.unit} |\n`,
    );
  }
  const file = join(
    REPO_ROOT,
    'bench',
    'results',
    `${new Date().toISOString().slice(0, 10)}-${options.backend}-${options.interactions}-requests-per-core.json`,
  );
  writeFileSync(file, `${JSON.stringify({ backend: options.backend, options, loadStart, loadEnd, results }, null, 2)}\n`);
  process.stdout.write(`written ${file}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
