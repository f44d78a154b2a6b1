#!/usr/bin/env node
/**
 * Time partitioning on PostgreSQL, measured (issue 11, docs/SCALING.md "Time partitioning"):
 * `node bench/partitioning.mjs [--rows 10000000] [--months 36] [--rounds 300]`.
 *
 * A throwaway cluster (scripts/pg-cluster.mjs) gets the same generated rows — an interactions-
 * shaped table: tenant_id, id, guid, start_ms and ~100 bytes of payload, four tenants, ids in
 * random order, start times spread evenly over `months` months — twice:
 * - `flat`: one table as ixvault has it today, primary key (tenant_id, id), unique
 *   (tenant_id, guid), the time index (tenant_id, start_ms, id);
 * - `part`: the same declared `partition by range (start_ms)`, one partition a month. A unique key
 *   of a partitioned table must contain the partition key, so it is (tenant_id, id, start_ms) and
 *   (tenant_id, guid, start_ms); `part_ids` (tenant_id, id) → start_ms, unpartitioned, is what
 *   would keep ids unique and find an id's partition.
 * Then, interleaved in rounds (the order alternating), on the same connection: batches of 1000 new
 * rows (flat; part; part + part_ids in one transaction), a keyset page of 100 in a one-day window
 * (first page and the page after it), a lookup by id (flat by its key; part without the start
 * time, so every partition's index is probed; part_ids first, then the partition by its start time;
 * part joined to part_ids — the planner probes every partition there too), and finally retention of the
 * oldest month: DELETE from flat (then VACUUM) against DETACH + DROP of the partition (and the
 * DELETE from part_ids that the partitioned design still needs). Times, WAL bytes and sizes are
 * printed as Markdown and written to bench/results/<date>-postgres-partitioning.json.
 * About 10 minutes for 10M rows on a shared 2-core machine; the cluster is removed at the end.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startCluster } from '../scripts/pg-cluster.mjs';

const HELP = `usage: node bench/partitioning.mjs [--rows N] [--months M] [--rounds R]
  --rows    rows generated in each table (default 10000000)
  --months  months the rows span, one partition each (default 36)
  --rounds  measured rounds of each query (default 300; insert batches: rounds / 10)`;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
  return value;
}
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const ROWS = option('rows', 10_000_000);
const MONTHS = option('months', 36);
const ROUNDS = option('rounds', 300);
const TENANTS = 4;
const T0 = Date.UTC(2020, 0, 1);
const monthStart = (m) => Date.UTC(2020, m, 1);
const SPAN = monthStart(MONTHS) - T0;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const log = (s) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

const cluster = await startCluster({ log });
if (!cluster) throw new Error('no PostgreSQL server binaries found (initdb, pg_ctl)');
const client = new pg.Client({ connectionString: cluster.url });
const result = { rows: ROWS, months: MONTHS, rounds: ROUNDS, loadStart: load(), steps: {}, cases: {}, retention: {}, sizes: {} };
try {
  await client.connect();
  const q = (text, values) => client.query(text, values);
  const timed = async (fn) => {
    const started = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const step = async (name, text) => {
    const ms = await timed(() => q(text));
    result.steps[name] = Math.round(ms);
    log(`${name}: ${(ms / 1000).toFixed(1)} s (load ${load()})`);
  };
  await q('set maintenance_work_mem = 1048576'); // 1 GB, in kB
  const columns = `tenant_id text not null, id text not null, guid text not null, start_ms bigint not null,
    media_type text not null, payload text not null`;
  // Row i: tenant i % 4, a random-looking id and guid, time ascending with i (as ingest writes it).
  const spread = `${T0}::bigint + (i * ${SPAN / ROWS})::bigint`;
  const rowsOf = (from, to, time = spread) => `select 'tenant-' || (i % ${TENANTS}), md5(i::text), md5('g' || i::text),
      ${time}, (array['voice','chat','email'])[1 + i % 3],
      repeat(md5(i::text || 'p'), 3) from generate_series(${from}::bigint, ${to}::bigint) i`;
  await q(`create table flat (${columns})`);
  await q(`create table part (${columns}) partition by range (start_ms)`);
  // One partition a month, and one more for new rows past the end.
  for (let m = 0; m <= MONTHS; m++) {
    await q(`create table part_p${m} partition of part for values from (${monthStart(m)}) to (${monthStart(m + 1)})`);
  }
  await step('load flat (no indexes)', `insert into flat ${rowsOf(1, ROWS)}`);
  await step('load part from flat (no indexes)', 'insert into part select * from flat');
  await step('flat: primary key', 'alter table flat add constraint flat_pk primary key (tenant_id, id)');
  await step('flat: unique guid', 'alter table flat add constraint flat_guid_uq unique (tenant_id, guid)');
  await step('flat: time index', 'create index flat_time_ix on flat (tenant_id, start_ms, id)');
  await step('part: primary key', 'alter table part add constraint part_pk primary key (tenant_id, id, start_ms)');
  await step('part: unique guid', 'alter table part add constraint part_guid_uq unique (tenant_id, guid, start_ms)');
  await step('part: time index', 'create index part_time_ix on part (tenant_id, start_ms, id)');
  await step(
    'part_ids: load and key',
    'create table part_ids as select tenant_id, id, start_ms from flat; alter table part_ids add primary key (tenant_id, id)',
  );
  await step('vacuum analyze', 'vacuum analyze flat, part, part_ids');

  const sizeOf = async (names) => {
    const { rows } = await q(
      `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as b from pg_class c
        where c.relname = any($1) or c.oid in (select inhrelid from pg_inherits where inhparent = any($1::regclass[]))`,
      [names],
    );
    return Number(rows[0].b);
  };
  result.sizes = { flat: await sizeOf(['flat']), part: await sizeOf(['part']), part_ids: await sizeOf(['part_ids']) };

  // Probes: rows known to exist, drawn at random over the whole span, a different one for every case
  // and round (two cases reading the same row would warm the cache for each other).
  const { rows: sample } = await q(
    `select tenant_id, id, start_ms from flat tablesample bernoulli (${Math.min(100, (40_000 / ROWS) * 100)})
      order by random() limit ${ROUNDS * 6}`,
  );
  const samples = {};
  const add = (name, ms) => samples[name].push(ms);
  const page = (table) => `select * from ${table} where tenant_id = $1 and start_ms >= $2 and start_ms < $3
      and (start_ms, id) < ($4, $5) order by start_ms desc, id desc limit 100`;
  const lookups = {
    'lookup by id: flat': (s) => q('select * from flat where tenant_id = $1 and id = $2', [s.tenant_id, s.id]),
    'lookup by id: part, no start time': (s) => q('select * from part where tenant_id = $1 and id = $2', [s.tenant_id, s.id]),
    'lookup by id: part_ids, then its partition': async (s) => {
      const { rows } = await q('select start_ms from part_ids where tenant_id = $1 and id = $2', [s.tenant_id, s.id]);
      return q('select * from part where tenant_id = $1 and id = $2 and start_ms = $3', [s.tenant_id, s.id, rows[0]?.start_ms]);
    },
    'lookup by id: part joined to part_ids': (s) =>
      q(
        `select p.* from part_ids k join part p on p.tenant_id = k.tenant_id and p.id = k.id and p.start_ms = k.start_ms
          where k.tenant_id = $1 and k.id = $2`,
        [s.tenant_id, s.id],
      ),
  };
  const pages = {};
  for (const table of ['flat', 'part']) {
    pages[`keyset page 100 (2nd page): ${table}`] = async (s) => {
      // A one-day window ending at the sample's time; the second page starts after the first's last row.
      const to = Number(s.start_ms);
      const from = to - 86_400_000;
      const first = await q(page(table), [s.tenant_id, from, to, to, 'g']);
      // (A sample in the data's first day may have no earlier rows: then the same page again.)
      const last = first.rows.at(-1) ?? { start_ms: to, id: 'g' };
      return q(page(table), [s.tenant_id, from, to, last.start_ms, last.id]);
    };
  }
  const cases = { ...lookups, ...pages };
  for (const name of Object.keys(cases)) samples[name] = [];
  log(`queries: ${ROUNDS} rounds (load ${load()})`);
  const names = Object.keys(cases);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const probe = sample[(r * names.length + names.indexOf(name)) % sample.length];
      add(name, await timed(() => cases[name](probe)));
    }
  }
  // Inserts: 1000 new rows a statement, on the last day of the data, as ingest would write them.
  const lastDay = `${monthStart(MONTHS) - 86_400_000}::bigint + i % 86400000`;
  const batches = Math.max(10, Math.round(ROUNDS / 10));
  const inserts = {
    'insert 1000: flat': (from) => q(`insert into flat ${rowsOf(from, from + 999, lastDay)}`),
    'insert 1000: part': (from) => q(`insert into part ${rowsOf(from, from + 999, lastDay)}`),
    'insert 1000: part + part_ids': async (from) => {
      await q('begin');
      await q(`insert into part ${rowsOf(from, from + 999, lastDay)}`);
      await q(
        `insert into part_ids select tenant_id, id, start_ms from (${rowsOf(from, from + 999, lastDay)}) r(tenant_id, id, g, start_ms)`,
      );
      await q('commit');
    },
  };
  for (const name of Object.keys(inserts)) samples[name] = [];
  let next = ROWS; // new ids past the generated ones
  const insertNames = Object.keys(inserts);
  for (let b = 0; b < batches; b++) {
    const order = b % 2 === 0 ? insertNames : [...insertNames].reverse();
    for (const name of order) {
      // Each case its own i range, so every batch is new rows in every table.
      const from = next + 1 + insertNames.indexOf(name) * 10_000_000_000;
      add(name, await timed(() => inserts[name](from)));
    }
    next += 1000;
  }
  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  };
  for (const [name, xs] of Object.entries(samples)) {
    result.cases[name] = { n: xs.length, p50: +pct(xs, 50).toFixed(3), p99: +pct(xs, 99).toFixed(3) };
  }

  // Retention of the oldest month.
  const wal = async () => (await q('select pg_current_wal_lsn() as l')).rows[0].l;
  const walSince = async (lsn) => Number((await q('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1) as d', [lsn])).rows[0].d);
  const cutoff = monthStart(1);
  const retention = async (name, text) => {
    const lsn = await wal();
    let rowCount = 0;
    const ms = await timed(async () => {
      const res = await client.query(text);
      rowCount = Array.isArray(res) ? 0 : (res.rowCount ?? 0);
    });
    result.retention[name] = { ms: Math.round(ms), walBytes: await walSince(lsn), rows: rowCount };
    log(`${name}: ${Math.round(ms)} ms, ${rowCount} rows (load ${load()})`);
  };
  // WAL as production writes it (the throwaway cluster turns full-page writes off for speed).
  await q('alter system set full_page_writes = on');
  await q('select pg_reload_conf()');
  await q('checkpoint');
  await retention('flat: delete oldest month', `delete from flat where start_ms < ${cutoff}`);
  await retention('flat: vacuum after the delete', 'vacuum flat');
  await q('checkpoint');
  await retention('part: detach + drop oldest partition', 'alter table part detach partition part_p0; drop table part_p0');
  await retention('part_ids: delete oldest month', `delete from part_ids where start_ms < ${cutoff}`);
  await retention('part_ids: vacuum after the delete', 'vacuum part_ids');
  result.loadEnd = load();
} finally {
  await client.end().catch(() => {});
  cluster.stop();
}

const mb = (b) => `${(b / 1048576).toFixed(0)} MB`;
console.log(`\nPartitioning, ${ROWS} rows over ${MONTHS} months, load average ${result.loadStart} → ${result.loadEnd}\n`);
console.log('| case | p50 ms | p99 ms | n |\n|---|---|---|---|');
for (const [name, c] of Object.entries(result.cases)) console.log(`| ${name} | ${c.p50} | ${c.p99} | ${c.n} |`);
console.log('\n| retention step | ms | WAL | rows |\n|---|---|---|---|');
for (const [name, r] of Object.entries(result.retention)) console.log(`| ${name} | ${r.ms} | ${mb(r.walBytes)} | ${r.rows} |`);
console.log(`\nsizes: flat ${mb(result.sizes.flat)}, part ${mb(result.sizes.part)}, part_ids ${mb(result.sizes.part_ids)}`);
console.log(`setup steps (ms): ${JSON.stringify(result.steps)}`);
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${new Date().toISOString().slice(0, 10)}-postgres-${ROWS}-partitioning.json`);
writeFileSync(file, `${JSON.stringify({ ...result, node: process.version, pg: readPgVersion() }, null, 2)}\n`);
console.log(`written ${file}`);

function readPgVersion() {
  try {
    return readFileSync('/usr/share/postgresql-common/supported_versions', 'utf8').trim();
  } catch {
    return undefined;
  }
}
