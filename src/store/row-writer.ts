/**
 * Many-row inserts on the ingestion path, each database's fastest way, inside
 * a transaction the caller holds. Measured (docs/BENCHMARKS.md, "Ingest"):
 * Kysely's multi-row VALUES statements of ~26 000 parameters cost compiling on
 * our side, and preparing (SQLite) or parsing and planning (PostgreSQL) on the
 * database's side, for every batch.
 *
 * - SQLite: one cached prepared single-row INSERT per table, run once per row.
 *   better-sqlite3 is synchronous, so the loop runs on the transaction's own
 *   connection with nothing interleaved.
 * - PostgreSQL: one `INSERT … SELECT * FROM unnest($1::type[], …)` per table:
 *   one parameter per column whatever the number of rows, and a statement
 *   text that stays the same.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';

export type WritableTable = 'interactions' | 'interaction_agents' | 'custom_attributes' | 'messages';

export interface RowWriter {
  /** Inserts rows that all have the same columns, within `trx` (which must be a transaction). */
  insert<T extends WritableTable>(trx: Transaction<Database>, schema: string, table: T, rows: Database[T][]): Promise<void>;
}

export function sqliteRowWriter(connection: BetterSqlite3.Database): RowWriter {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    async insert(_trx, schema, table, rows) {
      const first = rows[0];
      if (!first) return;
      const columns = Object.keys(first) as (keyof typeof first)[];
      const key = `${schema}.${table}(${columns.join(',')})`;
      let statement = statements.get(key);
      if (!statement) {
        const names = columns.map((c) => `"${String(c)}"`).join(', ');
        statement = connection.prepare(
          `insert into "${schema}"."${table}" (${names}) values (${columns.map(() => '?').join(', ')})`,
        );
        statements.set(key, statement);
      }
      for (const row of rows) statement.run(columns.map((c) => row[c]));
    },
  };
}

export function postgresRowWriter(db: Kysely<Database>): RowWriter {
  // Column types, read once from the catalog: the migrations stay the one place that declares them.
  let types: Promise<Map<string, string>> | undefined;
  const loadTypes = async () => {
    const { rows } = await sql<{ table_schema: string; table_name: string; column_name: string; data_type: string }>`
      select table_schema, table_name, column_name, data_type from information_schema.columns
      where table_schema in ('ixv_main', 'ixv_archive')`.execute(db);
    return new Map(rows.map((r) => [`${r.table_schema}.${r.table_name}.${r.column_name}`, r.data_type]));
  };
  return {
    async insert(trx, schema, table, rows) {
      const first = rows[0];
      if (!first) return;
      types ??= loadTypes();
      const known = await types;
      const columns = Object.keys(first) as (keyof typeof first)[];
      const arrays = columns.map((column) => {
        const type = known.get(`${schema}.${table}.${String(column)}`);
        if (!type) throw new Error(`unknown column ${schema}.${table}.${String(column)}`);
        return sql`${rows.map((r) => r[column])}::${sql.raw(type)}[]`;
      });
      await sql`insert into ${sql.id(schema, table)} (${sql.join(columns.map((c) => sql.id(String(c))))})
        select * from unnest(${sql.join(arrays)})`.execute(trx);
    },
  };
}
