/**
 * A PostgreSQL full-text store kept between runs (the `fulltext` workload's
 * clusters are throwaway, and loading 1M interactions takes 10–20 minutes):
 *
 *   node dist/harness/bench/fulltext-pg-store.js load   --dir /tmp/pgfts --size 1000000
 *   node dist/harness/bench/fulltext-pg-store.js start  --dir /tmp/pgfts
 *   node dist/harness/bench/fulltext-pg-store.js search --dir /tmp/pgfts [--iterations 10] [--only rare,phrase] [--cold]
 *   node dist/harness/bench/fulltext-pg-store.js stop   --dir /tmp/pgfts   (removes nothing; rm -r the dir after)
 *
 * `load` makes a cluster in DIR/data, loads the `fulltext` workload's dataset
 * (bench/lib/text-bulk.ts, the same seeded records) and analyzes it, and
 * leaves the cluster running. `search` runs the workload's query cases through
 * Vault.search in this process (no LIKE baseline) and prints, per case, the
 * wall-clock p50/p99 and the CPU per search of this process and of the
 * cluster's processes (from /proc: the steadier figure on a shared machine).
 * `--cold`: before every search (warm-ups included) PostgreSQL's shared
 * buffers are emptied by reading a filler table four times their size
 * (database bench_evict, made on first use; pg_prewarm), as the `fulltext`
 * workload's LIKE scans between its samples do: the pages come from the
 * operating system's cache. The eviction is outside every figure.
 * With the cluster started with pg_stat_statements preloaded (`start
 * --statements`), every case also prints the pages its searches read from
 * outside the shared buffers (`read`) and found in them (`hit`), per search:
 * the figure a cold search's time follows. `--pause S`: S seconds idle before
 * every measured search (the workload's LIKE scans take 7–11 s at 1M, longer
 * than the pool keeps an idle connection). `--like`: the workload's own
 * LIKE baseline before every other search, through the same runtime, as the
 * `fulltext` workload's rounds do (two searches, one LIKE scan): its figures
 * as that workload sees them, without loading a cluster.
 * `index-cost`: what an index costs the write, apart from the rest of ingest:
 * `--documents` of the store's documents (their tsvectors and starts, from a
 * sample of its pages) inserted 500 a transaction into a fresh table without an
 * index, with the store's own full-text index (its definition read from the
 * catalog) and with each `--index` given (`using … (…) [with (…)]`, on the
 * columns tenant_id, interaction_id, time_bucket, start_ms, doc; repeatable),
 * all alternated `--iterations` rounds: the backend's CPU a document (from
 * /proc), its wall-clock and the index's bytes a document. GIN's pending list
 * is flushed at the end of its round (work an insert owes).
 * Before/after on one store: `create database bench_after template
 * bench_fulltext` (no connection to the template), upgrade the copy (open it
 * with the new code: `search --database bench_after` migrates it), then run
 * `search --database …` on each, alternately.
 * Compile first: `npx tsc -p tsconfig.bench.json`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CODES, isVaultError } from '../src/domain/errors.js';
import { openRuntime } from '../src/runtime.js';
import { connect } from '../src/store/database.js';
import { migrate } from '../src/store/migrator.js';
import { BENCH_SECRET } from './lib/dataset-runtime.js';
import { REPO_ROOT } from './lib/paths.js';
import { summarize } from './lib/stats.js';
import { bulkLoadTexts } from './lib/text-bulk.js';
import { TEXT_TENANT, Vocabulary } from './lib/text-dataset.js';
import { likeBaseline, queryCases, searchOfCase } from './workloads/fulltext.js';

const SEED = 42;
const DATABASE = 'bench_fulltext';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string' },
    size: { type: 'string', default: '1000000' },
    iterations: { type: 'string', default: '10' },
    only: { type: 'string' },
    trace: { type: 'boolean' },
    cold: { type: 'boolean' },
    statements: { type: 'boolean' },
    pause: { type: 'string', default: '0' },
    like: { type: 'boolean' },
    database: { type: 'string', default: DATABASE },
    documents: { type: 'string', default: '20000' },
    index: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  },
});
const command = positionals[0];
if (values.help || !command || !values.dir) {
  process.stdout.write(
    'usage: fulltext-pg-store.js load|start|stop|search|index-cost --dir DIR [--size N] [--iterations N] [--only word,word] [--database NAME] [--trace] [--cold] [--statements] [--pause S] [--like] [--documents N] [--index DEFINITION]…\n',
  );
  process.exit(values.help ? 0 : 2);
}
const dir = resolve(values.dir);
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

interface ClusterInfo {
  port: number;
  bin: string;
}

const isRoot = process.getuid?.() === 0;
function run(args: string[]): void {
  const [cmd, ...rest] = isRoot ? ['runuser', '-u', 'postgres', '--', ...args] : args;
  execFileSync(cmd as string, rest, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
    srv.on('error', fail);
  });
}

function info(): ClusterInfo {
  return JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterInfo;
}

function startServer({ port, bin }: ClusterInfo): void {
  const options = [
    ...(values.statements ? ["-c shared_preload_libraries='pg_stat_statements'", '-c pg_stat_statements.track=all'] : []),
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${dir}'`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    '-c shared_buffers=256MB',
  ].join(' ');
  run([join(bin, 'pg_ctl'), '-D', join(dir, 'data'), '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
}

const urlOf = (database: string) => `postgres://postgres@127.0.0.1:${info().port}/${database}`;

/** CPU seconds (user + system) of the cluster's processes, from /proc. */
function clusterCpu(): number {
  const postmaster = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      if (pid !== postmaster && Number(fields[1]) !== postmaster) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

async function load(): Promise<void> {
  const { findPgBin } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'pg-cluster.mjs')).href)) as {
    findPgBin(): string | undefined;
  };
  const bin = findPgBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found');
  if (existsSync(join(dir, 'data'))) throw new Error(`${dir}/data exists: stop and remove it first`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  if (isRoot) execFileSync('chown', ['postgres:postgres', dir]);
  run([join(bin, 'initdb'), '-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const cluster: ClusterInfo = { port: await freePort(), bin };
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(cluster));
  startServer(cluster);
  const admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  await admin.query(`create database ${DATABASE}`);
  await admin.end();
  const store = connect({ dataDir: dir, databaseUrl: urlOf(DATABASE) });
  try {
    await migrate(store);
  } finally {
    await store.close();
  }
  const size = Number(values.size);
  const texts = await bulkLoadTexts({ databaseUrl: urlOf(DATABASE) }, new Vocabulary(SEED), SEED, 0, size, log);
  writeFileSync(join(dir, 'loaded.json'), JSON.stringify({ size, texts, seed: SEED }));
  log(`loaded ${size} interactions, ${texts} texts; the cluster runs on port ${cluster.port}`);
}

/** --trace: every statement a search sends, with its round trip (text shortened), after each search. */
const traced: string[] = [];
function trace(): void {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const t0 = performance.now();
    const config = args[0] as string | { text?: string };
    const text = (typeof config === 'string' ? config : (config?.text ?? '')).replace(/\s+/g, ' ');
    const result = query.apply(this, args);
    if (result instanceof Promise)
      void result.then(
        (r: { rowCount?: number }) =>
          traced.push(
            `${(performance.now() - t0).toFixed(1).padStart(7)} ms ${String(r?.rowCount ?? '').padStart(5)} rows  ${text.slice(0, 150)}`,
          ),
        () => traced.push(`${(performance.now() - t0).toFixed(1).padStart(7)} ms failed ${text.slice(0, 150)}`),
      );
    return result;
  } as typeof pg.Client.prototype.query;
}

/**
 * Empties PostgreSQL's shared buffers: a filler table four times their size read through them (pg_prewarm's
 * 'buffer' mode uses the ordinary buffer strategy, and the clock sweep evicts a page once it has passed it as
 * many times as the page was used, a few at most for a search's pages). Returns the function that does it.
 */
async function evictor(): Promise<{ evict(): Promise<void>; close(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  const exists = await admin.query(`select 1 from pg_database where datname = 'bench_evict'`);
  if (exists.rowCount === 0) await admin.query('create database bench_evict');
  const sizes = await admin.query<{ bytes: string }>(
    `select setting::bigint * 8192 as bytes from pg_settings where name = 'shared_buffers'`,
  );
  await admin.end();
  const client = new pg.Client({ connectionString: urlOf('bench_evict') });
  await client.connect();
  await client.query('create extension if not exists pg_prewarm');
  const pages = Math.ceil((4 * Number(sizes.rows[0]?.bytes)) / 8192);
  const have = await client.query<{ pages: string }>(
    `select coalesce((select relpages from pg_class where relname = 'filler'), -1) as pages`,
  );
  if (Number(have.rows[0]?.pages) < pages) {
    log(`making the eviction filler (${pages} pages)`);
    await client.query('drop table if exists filler');
    // One ~1 KB row a tuple, seven a page: pages × 7 rows.
    await client.query(
      `create table filler with (fillfactor = 100) as select g, repeat('x', 1000) as pad from generate_series(1, ${pages * 7}) g`,
    );
    await client.query('vacuum analyze filler');
  }
  return {
    evict: async () => {
      await client.query(`select pg_prewarm('filler', 'buffer')`);
    },
    close: () => client.end(),
  };
}

/** Pages read and hit by the statements of one database, from pg_stat_statements (none: not preloaded). */
async function pageCounter(
  database: string,
): Promise<{ pages(): Promise<{ read: number; hit: number }>; close(): Promise<void> } | undefined> {
  const client = new pg.Client({ connectionString: urlOf(database) });
  await client.connect();
  const loaded = await client.query(
    `select 1 from pg_settings where name = 'shared_preload_libraries' and setting like '%pg_stat_statements%'`,
  );
  if (loaded.rowCount === 0) {
    await client.end();
    return undefined;
  }
  await client.query('create extension if not exists pg_stat_statements');
  return {
    pages: async () => {
      const { rows } = await client.query<{ read: string; hit: string }>(
        `select coalesce(sum(shared_blks_read), 0) as read, coalesce(sum(shared_blks_hit), 0) as hit from pg_stat_statements
          where dbid = (select oid from pg_database where datname = current_database()) and query not like '%pg_stat_statements%'`,
      );
      return { read: Number(rows[0]?.read), hit: Number(rows[0]?.hit) };
    },
    close: () => client.end(),
  };
}

async function search(): Promise<void> {
  if (values.trace) trace();
  const eviction = values.cold ? await evictor() : undefined;
  const counter = await pageCounter(values.database as string);
  const runtime = await openRuntime({
    dataDir: dir,
    databaseUrl: urlOf(values.database as string),
    principals: { tenants: [{ id: TEXT_TENANT }] },
    maxContentBytes: 1024,
    secret: BENCH_SECRET,
    sweep: false,
  });
  const only = values.only?.split(',');
  const iterations = Number(values.iterations);
  try {
    for (const c of queryCases(new Vocabulary(SEED))) {
      if (only && !only.some((w) => c.name.includes(w))) continue;
      // Two warm-up searches, then `iterations` of them, each a different word (as the bench).
      const once = async (i: number) => {
        try {
          return (await runtime.vault.searches.search({ tenantId: TEXT_TENANT }, searchOfCase(c, i))).items.length;
        } catch (err) {
          if (!isVaultError(err) || err.code !== CODES.searchBudget) throw err;
          return -1;
        }
      };
      for (let i = 0; i < 2; i++) {
        await eviction?.evict();
        await once(i);
      }
      const samples: number[] = [];
      let hits = 0;
      const cpu = { user: 0, system: 0 };
      let dbCpu = 0;
      const pages = { read: 0, hit: 0 };
      for (let i = 2; i < iterations + 2; i++) {
        await eviction?.evict();
        // --pause: idle time before the search, as the workload's LIKE scans (7–11 s at 1M) leave the pool.
        if (Number(values.pause) > 0) await new Promise((done) => setTimeout(done, Number(values.pause) * 1000));
        // --like: the workload's own LIKE baseline of this sample before it, every other sample (the workload's
        // rounds: two searches, then one LIKE scan), through the same pool.
        if (values.like && i % 2 === 0) await likeBaseline(runtime, c, i);
        const pages0 = await counter?.pages();
        const db0 = clusterCpu();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        traced.length = 0;
        hits += await once(i);
        samples.push(performance.now() - t0);
        const spent = process.cpuUsage(cpu0);
        dbCpu += (clusterCpu() - db0) * 1000;
        const pages1 = await counter?.pages();
        if (pages0 && pages1) {
          pages.read += pages1.read - pages0.read;
          pages.hit += pages1.hit - pages0.hit;
        }
        cpu.user += spent.user;
        cpu.system += spent.system;
        if (values.trace)
          process.stdout.write(`  ${c.name} #${i}: ${(performance.now() - t0).toFixed(1)} ms\n    ${traced.join('\n    ')}\n`);
      }
      const s = summarize(samples);
      process.stdout.write(
        `${c.name.padEnd(34)} p50 ${s.p50.toFixed(1).padStart(7)} ms  p99 ${s.p99.toFixed(1).padStart(7)} ms  ` +
          `CPU node ${((cpu.user + cpu.system) / 1000 / iterations).toFixed(1).padStart(6)} ms  ` +
          `pg ${(dbCpu / iterations).toFixed(1).padStart(6)} ms  hits ${(hits / iterations).toFixed(0)}  ` +
          (counter ? `pages read ${(pages.read / iterations).toFixed(0)} hit ${(pages.hit / iterations).toFixed(0)}  ` : '') +
          `load ${loadavg()[0]?.toFixed(1)}\n`,
      );
    }
  } finally {
    await runtime.close();
    await eviction?.close();
    await counter?.close();
  }
}

/** CPU seconds (user + system) of one backend, from /proc. */
function backendCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function indexCost(): Promise<void> {
  const client = new pg.Client({ connectionString: urlOf(values.database as string) });
  await client.connect();
  try {
    const { rows: own } = await client.query<{ def: string }>(
      `select indexdef as def from pg_indexes where schemaname = 'ixv_main' and tablename = 'text_docs' and indexname <> 'text_docs_pk'`,
    );
    // The store's own index, on the probe table: its method, columns and options after USING.
    const variants: [string, string | undefined][] = [
      ['no index', undefined],
      ...own.map((r): [string, string] => [
        `store's: ${r.def.slice(r.def.indexOf(' USING ') + 1)}`,
        r.def.slice(r.def.indexOf(' USING ') + 1),
      ]),
      ...(values.index ?? []).map((d): [string, string] => [d, d]),
    ];
    const documents = Number(values.documents);
    const { rows: stored } = await client.query<{ n: string }>(`select count(*) as n from ixv_main.text_docs`);
    const percent = Math.min(100, Math.ceil((300 * documents) / Math.max(Number(stored[0]?.n), 1)));
    await client.query('drop table if exists index_cost_source');
    await client.query(`create table index_cost_source as select row_number() over () as n, s.* from (select tenant_id, interaction_id,
      time_bucket, start_ms, doc from ixv_main.text_docs tablesample system (${percent}) limit ${documents}) s`);
    const count = Number((await client.query<{ n: string }>('select count(*) as n from index_cost_source')).rows[0]?.n);
    const pid = Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid);
    for (let round = 0; round < Number(values.iterations); round++)
      for (const [name, definition] of variants) {
        await client.query('drop table if exists index_cost_probe');
        await client.query(`create table index_cost_probe (tenant_id text, interaction_id text, time_bucket integer, start_ms bigint,
          doc tsvector, primary key (tenant_id, interaction_id))`);
        if (definition) await client.query(`create index index_cost_probe_ix on index_cost_probe ${definition}`);
        const cpu0 = backendCpu(pid);
        const t0 = performance.now();
        for (let k = 0; k < count; k += 500) {
          await client.query('begin');
          await client.query(
            'insert into index_cost_probe select tenant_id, interaction_id, time_bucket, start_ms, doc from index_cost_source where n > $1 and n <= $2',
            [k, k + 500],
          );
          await client.query('commit');
        }
        if (definition && /\busing gin\b/i.test(definition))
          await client.query(`select gin_clean_pending_list('index_cost_probe_ix'::regclass)`);
        const wall = performance.now() - t0;
        const cpu = backendCpu(pid) - cpu0;
        const { rows: size } = await client.query<{ bytes: string }>(
          `select coalesce(pg_relation_size(to_regclass('index_cost_probe_ix')), 0) as bytes`,
        );
        process.stdout.write(
          `round ${round + 1}  ${((cpu * 1e6) / count).toFixed(0).padStart(5)} µs CPU  ${((wall * 1000) / count).toFixed(0).padStart(5)} µs wall  ` +
            `${(Number(size[0]?.bytes) / count).toFixed(0).padStart(5)} B  a document (${count})  load ${loadavg()[0]?.toFixed(1)}  ${name}\n`,
        );
      }
    await client.query('drop table if exists index_cost_probe');
    await client.query('drop table index_cost_source');
  } finally {
    await client.end();
  }
}

switch (command) {
  case 'index-cost':
    await indexCost();
    break;
  case 'load':
    await load();
    break;
  case 'start':
    startServer(info());
    log(`the cluster runs on port ${info().port}: ${urlOf(DATABASE)}`);
    break;
  case 'stop':
    run([join(info().bin, 'pg_ctl'), '-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
    break;
  case 'search':
    await search();
    break;
  default:
    process.stderr.write(`unknown command ${command}\n`);
    process.exit(2);
}
