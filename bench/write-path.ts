/**
 * The PostgreSQL write path of ingestion, two statement forms side by side on
 * one server (plain PostgreSQL or a Citus coordinator):
 * - unnest: ixvault's row writer, one `INSERT … SELECT * FROM unnest($1::type[], …)`
 *   per table (`on conflict … do update` for the upsert in place);
 * - values: multi-row `INSERT … VALUES (…), (…)` statements through Kysely.
 * Each form stores the same generated interactions (with chat transcripts)
 * through ixvault's own InteractionRepository.upsertMany, 1000 records a
 * transaction, two transactions in flight, into empty stores migrated by
 * ixvault in the given database (so on Citus the tables are distributed):
 * first as new records, then the same records again. Its ixv_* schemas are
 * dropped first. docs/SCALING.md has the figures.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/harness/bench/write-path.js --database-url postgres://…/ixvault
 */
import { Command } from 'commander';
import { sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Source } from '../src/domain/search.js';
import type { InteractionInput } from '../src/domain/validate.js';
import { validateBatch } from '../src/services/vault.js';
import { connect, type StoreConnection } from '../src/store/database.js';
import type { RowWriter, WritableTable } from '../src/store/dialect.js';
import { InteractionRepository } from '../src/store/interaction-repository.js';
import { migrate } from '../src/store/migrator.js';
import type { Database } from '../src/store/schema.js';
import { generate, TENANT } from './lib/dataset.js';

type Form = 'unnest' | 'values';
const FORMS: Form[] = ['unnest', 'values'];

interface Options {
  databaseUrl: string;
  interactions: number;
  batch: number;
  inFlight: number;
  rounds: number;
  valuesParameters: number;
}

function parseOptions(argv: string[]): Options {
  const program = new Command('write-path')
    .description('Ingest write path on PostgreSQL or Citus: INSERT … SELECT FROM unnest against multi-row VALUES')
    .requiredOption(
      '--database-url <url>',
      'a database on plain PostgreSQL or a Citus coordinator (with the citus extension and its workers added); its ixv_* schemas are dropped',
    )
    .option('--interactions <n>', 'interactions per form and round', '20000')
    .option('--batch <n>', 'records per transaction', '1000')
    .option('--in-flight <n>', 'transactions in flight', '2')
    .option('--rounds <n>', 'rounds; the forms alternate within each round', '2')
    .option('--values-parameters <n>', 'most bind parameters in one VALUES statement', '32000');
  program.parse(argv);
  const o = program.opts();
  return {
    databaseUrl: o.databaseUrl,
    interactions: Number(o.interactions),
    batch: Number(o.batch),
    inFlight: Number(o.inFlight),
    rounds: Number(o.rounds),
    valuesParameters: Number(o.valuesParameters),
  };
}

/** Multi-row VALUES through Kysely, at most `maxParameters` bind parameters a statement (PostgreSQL allows 65 535). */
function valuesRowWriter(store: StoreConnection, maxParameters: number): RowWriter {
  const write = async (
    trx: Transaction<Database>,
    source: Source,
    table: WritableTable,
    rows: object[],
    conflict?: { conflict: string[]; keep: string[] },
  ) => {
    const first = rows[0];
    if (!first) return;
    const columns = Object.keys(first);
    const updated = conflict ? columns.filter((c) => !conflict.conflict.includes(c) && !conflict.keep.includes(c)) : [];
    const perStatement = Math.max(1, Math.floor(maxParameters / columns.length));
    for (let i = 0; i < rows.length; i += perStatement) {
      const insert = store
        .on(trx, source)
        .insertInto(table)
        .values(rows.slice(i, i + perStatement) as never);
      await (conflict
        ? insert.onConflict((oc) =>
            oc
              .columns(conflict.conflict as never)
              .doUpdateSet(Object.fromEntries(updated.map((c) => [c, sql.ref(`excluded.${c}`)])) as never),
          )
        : insert
      ).execute();
    }
  };
  return {
    insert: (trx, source, table, rows) => write(trx, source, table, rows),
    upsert: (trx, source, table, rows, options) => write(trx, source, table, rows, options),
    insertColumns: (trx, source, table, columns) => write(trx, source, table, rowsOf(columns)),
    upsertColumns: (trx, source, table, columns, options) => write(trx, source, table, rowsOf(columns), options),
  };
}

/** Rows given column by column (rows.ts Columns) as row objects. */
function rowsOf(columns: Record<string, unknown[]>): object[] {
  const names = Object.keys(columns);
  const count = columns[names[0] ?? '']?.length ?? 0;
  return Array.from({ length: count }, (_, r) => Object.fromEntries(names.map((name) => [name, columns[name]?.[r]])));
}

/** ixvault's store with the form's row writer. */
function storeFor(options: Options, form: Form, poolSize: number): StoreConnection {
  const store = connect({ dataDir: '/nonexistent', databaseUrl: options.databaseUrl, poolSize });
  return form === 'unnest' ? store : { ...store, rows: valuesRowWriter(store, options.valuesParameters) };
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Empty stores: drops ixvault's schemas in this database and lets ixvault migrate it again (on Citus: distributed). */
async function freshStores(url: string): Promise<void> {
  await admin(url, 'drop schema if exists ixv_main, ixv_archive cascade');
  const store = connect({ dataDir: '/nonexistent', databaseUrl: url, poolSize: 1 });
  try {
    await migrate(store);
  } finally {
    await store.close();
  }
}

async function hasCitus(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`select 1 from pg_extension where extname = 'citus'`);
    return rows.length > 0;
  } finally {
    await client.end();
  }
}

function batches(options: Options, seed: number) {
  const out: InteractionInput[][] = [];
  let records: unknown[] = [];
  for (const g of generate(seed, options.interactions)) {
    records.push(g.record);
    if (records.length === options.batch) {
      out.push(validateBatch(records));
      records = [];
    }
  }
  if (records.length > 0) out.push(validateBatch(records));
  return out;
}

/** Interactions per second, the batches stored `inFlight` at a time. */
async function timed(options: Options, form: Form, all: InteractionInput[][]): Promise<number> {
  // One connection more than transactions: the unnest writer reads column types on a connection of its own.
  const store = storeFor(options, form, options.inFlight + 1);
  const repo = new InteractionRepository(store);
  const records = all.reduce((n, b) => n + b.length, 0);
  try {
    const started = process.hrtime.bigint();
    let next = 0;
    const worker = async () => {
      for (;;) {
        const batch = all[next++];
        if (!batch) return;
        await repo.upsertMany(TENANT, batch);
      }
    };
    await Promise.all(Array.from({ length: options.inFlight }, worker));
    return records / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await store.close();
  }
}

/** new: records not stored yet; replace: the same records again (each batch deletes, then inserts). */
const CASES = ['new', 'replace'] as const;

async function main() {
  const options = parseOptions(process.argv);
  const citus = await hasCitus(options.databaseUrl);
  process.stderr.write(`server: ${citus ? 'Citus' : 'plain PostgreSQL'}; preparing ${options.interactions} interactions\n`);
  const data = batches(options, 7);
  const rates = new Map<string, number[]>();
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? FORMS : [...FORMS].reverse();
    for (const form of order) {
      await freshStores(options.databaseUrl);
      for (const kind of CASES) {
        const key = `${form}, ${kind}`;
        const rate = await timed(options, form, data);
        rates.set(key, [...(rates.get(key) ?? []), rate]);
        process.stderr.write(`round ${round + 1} ${key}: ${Math.round(rate)} interactions/s\n`);
      }
    }
  }
  process.stdout.write(`\n| form, records (${citus ? 'Citus' : 'PostgreSQL'}) | interactions/s, each round |\n|---|---|\n`);
  for (const kind of CASES)
    for (const form of FORMS) {
      const key = `${form}, ${kind}`;
      const each = (rates.get(key) ?? []).map((x) => Math.round(x)).join(', ');
      process.stdout.write(`| ${key} | ${each} |\n`);
    }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
