/**
 * `npm run bench -- --size 1000000 --backend sqlite|postgres [--only NAME]`
 *
 * Generates the seeded contact center, loads it, runs the workloads against a
 * real ixvault server in a child process, prints a table and writes
 * bench/results/<date>-<backend>-<size>.json. See docs/BENCHMARKS.md.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { writePrincipalsConfig } from '../src/auth/directory.js';
import { openBackend, type StoreLocation } from './lib/backend.js';
import { postgresWriter, sqliteWriter } from './lib/bulk.js';
import { collectSeries, renderChart } from './lib/chart.js';
import type { BenchOptions, Context } from './lib/context.js';
import { HTTP_CLIENTS, selectClient } from './lib/http.js';
import { type DatasetCounts, loadDataset } from './lib/load.js';
import { REPO_ROOT } from './lib/paths.js';
import { benchPrincipals } from './lib/principals.js';
import { machine, markdownTable, type ResultRow, type RunResult, writeResult } from './lib/results.js';
import { profileFlags, type ServerProcess, startServerProcess } from './lib/server-process.js';
import { WORKLOADS } from './workloads/index.js';
import { INGEST_CASES } from './workloads/ingest.js';

function positiveInt(value: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** A comma-separated option's names, each one of `known`; undefined when the option was not given. */
function namesOf(value: unknown, known: readonly string[], what: string): string[] | undefined {
  if (value === undefined) return undefined;
  const names = String(value)
    .split(',')
    .map((s) => s.trim());
  for (const name of names) if (!known.includes(name)) throw new InvalidArgumentError(`unknown ${what} '${name}'`);
  return names;
}

function parseOptions(argv: string[]): BenchOptions {
  const program = new Command('npm run bench --')
    .description('ixvault benchmarks: each figure with its same-run baseline (docs/BENCHMARKS.md)')
    .option('--size <n>', 'interactions in the search dataset (100000, 1000000, 10000000…)', positiveInt, 100_000)
    .option('--backend <name>', 'sqlite or postgres', 'sqlite')
    .option('--only <names>', `comma-separated workloads: ${WORKLOADS.map((w) => w.name).join(', ')}`)
    .option('--seed <n>', 'generator seed', positiveInt, 42)
    .option('--work-dir <dir>', 'where stores are created', join(tmpdir(), 'ixvault-bench'))
    .option('--out <dir>', 'results directory', join(REPO_ROOT, 'bench', 'results'))
    .option('--ingest <n>', 'interactions per ingest variant', positiveInt, 50_000)
    .option(
      '--ingest-cases <names>',
      `comma-separated ingest cases, each with its own baseline (default: all): ${INGEST_CASES.join(', ')}`,
    )
    .option('--uploads <n>', 'small uploads in the uploads workload (on every fifth of 5×n interactions)', positiveInt, 4000)
    .option('--outside <n>', "interactions of the outside workload's store (issue 15's shape)", positiveInt, 200_000)
    .option('--sessions <list>', 'concurrent CometD session counts', '1000,5000')
    .option('--session-seconds <n>', 'seconds under load per session count', positiveInt, 30)
    .option('--think-ms <n>', "think time between a session's requests", positiveInt, 5000)
    .option('--iterations <n>', 'measured iterations per latency case', positiveInt, 400)
    .option('--client <name>', `how the page workloads read answers: ${HTTP_CLIENTS.join(' or ')}`, 'fetch')
    .option('--no-dataset-messages', 'load the search dataset without chat transcripts (faster setup at 10M)')
    .option('--reuse', 'keep the loaded SQLite store and reuse it when size and seed match (a full-text load cut short resumes)')
    .option('--no-like-baseline', "fulltext: skip the LIKE '%…%' baseline (at 10M each scan reads the whole 45 GB store)")
    .option('--cpu-prof <dir>', 'run the server with --cpu-prof, profiles into this directory')
    .option('--chart <file>', 'only draw the latency-against-size SVG from the result files (--out) into this file')
    .addHelpText('after', `\nWorkloads:\n${WORKLOADS.map((w) => `  ${w.name.padEnd(14)} ${w.description}`).join('\n')}\n`);
  program.parse(argv);
  const o = program.opts();
  if (o.backend !== 'sqlite' && o.backend !== 'postgres') throw new InvalidArgumentError('--backend must be sqlite or postgres');
  if (!(HTTP_CLIENTS as readonly string[]).includes(o.client))
    throw new InvalidArgumentError(`--client must be ${HTTP_CLIENTS.join(' or ')}`);
  const only = namesOf(
    o.only,
    WORKLOADS.map((w) => w.name),
    'workload',
  );
  const ingestCases = namesOf(o.ingestCases, INGEST_CASES, 'ingest case');
  const options: BenchOptions = {
    size: o.size,
    backend: o.backend,
    seed: o.seed,
    workDir: o.workDir,
    outDir: o.out,
    ingestCount: o.ingest,
    ...(ingestCases ? { ingestCases } : {}),
    uploadCount: o.uploads,
    outsideCount: o.outside,
    sessions: String(o.sessions)
      .split(',')
      .map((s) => positiveInt(s.trim())),
    sessionSeconds: o.sessionSeconds,
    thinkMs: o.thinkMs,
    iterations: o.iterations,
    datasetMessages: o.datasetMessages !== false,
    reuse: Boolean(o.reuse),
    likeBaseline: o.likeBaseline !== false,
    client: o.client,
  };
  if (only) options.only = only;
  if (o.cpuProf) options.cpuProf = o.cpuProf;
  if (o.chart) options.chart = o.chart;
  return options;
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv);
  selectClient(options.client);
  if (options.chart) {
    const series = collectSeries(options.outDir);
    writeFileSync(options.chart, renderChart(series));
    log(`chart of ${series.length} series written to ${options.chart}`);
    return;
  }
  const startedAt = new Date();
  const workloads = WORKLOADS.filter((w) => !options.only || options.only.includes(w.name));
  log(`backend ${options.backend}, ${options.size} interactions, workloads: ${workloads.map((w) => w.name).join(', ')}`);
  const durations: Record<string, number> = {};
  const backend = await openBackend(options.backend, options.workDir, log);
  let server: ServerProcess | undefined;
  try {
    const t0 = performance.now();
    // Workloads that make their own data (fulltext) run without loading the search dataset.
    const { dataset, counts } = workloads.some((w) => w.needsDataset !== false)
      ? await prepareDataset(options, backend)
      : { dataset: { name: 'none', dataDir: options.workDir, sqliteFile: '' }, counts: {} as DatasetCounts };
    durations.dataset = (performance.now() - t0) / 1000;
    // One file per run: runs may overlap, and each server reads its file when it starts.
    const principalsFile = join(options.workDir, `principals-${process.pid}.json`);
    const sessionUsers = workloads.some((w) => w.name === 'sessions') ? Math.max(...options.sessions) : 0;
    log(`writing principals (${sessionUsers} session users)`);
    await writePrincipalsConfig(principalsFile, benchPrincipals(sessionUsers));
    const ctx: Context = {
      options,
      backend,
      dataset,
      counts,
      principalsFile,
      log,
      async server() {
        if (!server) {
          server = await startServerProcess(
            { dataDir: dataset.dataDir, databaseUrl: dataset.databaseUrl, principalsFile },
            { nodeFlags: profileFlags(options.cpuProf) },
          );
          log(`server pid ${server.pid} on ${server.url}`);
        }
        return server;
      },
    };
    const rows: ResultRow[] = [];
    for (const w of workloads) {
      log(`workload ${w.name}: ${w.description}`);
      const w0 = performance.now();
      const produced = await w.run(ctx);
      durations[w.name] = (performance.now() - w0) / 1000;
      rows.push(...produced);
      process.stdout.write(`\n${markdownTable(produced)}\n\n`);
    }
    const result: RunResult = {
      run: {
        startedAt: startedAt.toISOString(),
        backend: options.backend,
        // A run of the outside workload alone is named by its own store's size.
        size: options.only?.every((w) => w === 'outside') ? options.outsideCount : options.size,
        seed: options.seed,
        machine: machine(),
        dataset: { ...counts, messagesLoaded: options.datasetMessages ? 'yes' : 'no' },
        durationsSeconds: durations,
      },
      rows,
    };
    const suffix = options.only ? `-${options.only.join('+')}` : '';
    const path = writeResult(options.outDir, result, suffix);
    process.stdout.write(`\n## all results\n\n${markdownTable(rows)}\n\nwritten to ${path}\n`);
  } finally {
    await server?.stop();
    await backend.close();
    rmSync(join(options.workDir, `principals-${process.pid}.json`), { force: true });
  }
}

/** Generates and loads the search dataset, or reuses a matching one (SQLite, --reuse). */
async function prepareDataset(
  options: BenchOptions,
  backend: Awaited<ReturnType<typeof openBackend>>,
): Promise<{ dataset: StoreLocation; counts: DatasetCounts }> {
  // The backend is in the name: a PostgreSQL run must not replace a SQLite dataset kept for --reuse.
  const name = `dataset-${options.backend}-${options.size}-${options.seed}${options.datasetMessages ? '' : '-nomsg'}`;
  const marker = join(options.workDir, name, 'loaded.json');
  if (
    options.reuse &&
    options.backend === 'sqlite' &&
    existsSync(marker) &&
    existsSync(join(options.workDir, name, 'ixvault.db'))
  ) {
    log(`reusing the loaded dataset in ${join(options.workDir, name)}`);
    const counts = JSON.parse(readFileSync(marker, 'utf8')) as DatasetCounts;
    return {
      dataset: { name, dataDir: join(options.workDir, name), sqliteFile: join(options.workDir, name, 'ixvault.db') },
      counts,
    };
  }
  const dataset = await backend.createStore(name);
  const writer = dataset.databaseUrl ? await postgresWriter(dataset.databaseUrl) : sqliteWriter(dataset.sqliteFile);
  let counts: DatasetCounts;
  try {
    counts = await loadDataset(writer, options.seed, options.size, options.datasetMessages);
  } finally {
    await writer.close();
  }
  log(`loaded ${JSON.stringify(counts)}`);
  writeFileSync(marker, JSON.stringify(counts));
  return { dataset, counts };
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
