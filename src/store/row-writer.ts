/**
 * Many-row writes on the ingestion path, each database's fastest way, inside
 * a transaction the caller holds. Measured (docs/BENCHMARKS.md, "Ingest"):
 * Kysely's multi-row VALUES statements of ~26 000 parameters cost compiling on
 * our side, and preparing (SQLite) or parsing and planning (PostgreSQL) on the
 * database's side, for every batch.
 *
 * - SQLite: cached prepared multi-row INSERTs (ROWS_PER_STATEMENT rows a
 *   statement, one more for the rest), parameters bound by position from the
 *   rows' columns. better-sqlite3 is synchronous, so the loop runs on the
 *   transaction's own connection with nothing interleaved.
 * - PostgreSQL: new rows by one `COPY … FROM STDIN` per table
 *   (dialects/postgres-copy.ts); rows written in place by one
 *   `INSERT … SELECT * FROM unnest($1::type[], …) ON CONFLICT …` per table:
 *   one parameter per column whatever the number of rows, and a statement
 *   text that stays the same.
 *
 * Both write in place when asked (`upsert`: `on conflict (key) do update`), so
 * a re-ingested interaction keeps its row and whatever a concurrent
 * transaction maintains on it (content_count).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import type { RowWriter } from './dialect.js';
import { copyStatement, copyText } from './dialects/postgres-copy.js';
import { columnsOf } from './rows.js';
import type { Database } from './schema.js';

/** The quoted physical name of a logical store's table, e.g. `"main"."archive_messages"`. */
export type PhysicalName = (source: 'main' | 'archive', table: string) => string;

function conflictClause(columns: string[], conflict: string[], keep: string[]): string {
  const updated = columns.filter((c) => !conflict.includes(c) && !keep.includes(c));
  const key = conflict.map((c) => `"${c}"`).join(', ');
  if (updated.length === 0) return ` on conflict (${key}) do nothing`;
  return ` on conflict (${key}) do update set ${updated.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`;
}

/**
 * Rows a SQLite statement inserts at once (multi-row VALUES): one native call
 * and one statement reset per ROWS_PER_STATEMENT rows rather than per row.
 * Kept well under SQLite's 32 766 bound parameters for our widest table (29
 * columns); the statement of each row count is prepared once and cached.
 */
export const ROWS_PER_STATEMENT = 64;

export function sqliteRowWriter(connection: BetterSqlite3.Database, physical: PhysicalName): RowWriter {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const statementFor = (
    target: string,
    columns: string[],
    rows: number,
    conflict: { conflict: string[]; keep: string[] } | undefined,
  ): BetterSqlite3.Statement => {
    const key = `${target}(${columns.join(',')})×${rows}${conflict ? `${conflict.conflict}/${conflict.keep}` : ''}`;
    let statement = statements.get(key);
    if (!statement) {
      const names = columns.map((c) => `"${c}"`).join(', ');
      const row = `(${columns.map(() => '?').join(', ')})`;
      statement = connection.prepare(
        `insert into ${target} (${names}) values ${Array.from({ length: rows }, () => row).join(', ')}${
          conflict ? conflictClause(columns, conflict.conflict, conflict.keep) : ''
        }`,
      );
      statements.set(key, statement);
    }
    return statement;
  };
  const write = (
    source: 'main' | 'archive',
    table: string,
    columns: Record<string, unknown[]>,
    conflict?: { conflict: string[]; keep: string[] },
  ) => {
    const names = Object.keys(columns);
    const values = names.map((name) => columns[name] as unknown[]);
    const count = values[0]?.length ?? 0;
    if (count === 0) return;
    const target = physical(source, table);
    const width = names.length;
    // One parameter array per statement size, filled row after row from the columns (no object per row).
    const run = (first: number, rows: number, statement: BetterSqlite3.Statement, args: unknown[]) => {
      let k = 0;
      for (let r = first; r < first + rows; r++) for (let c = 0; c < width; c++) args[k++] = values[c]?.[r];
      statement.run(args);
    };
    const full = Math.min(ROWS_PER_STATEMENT, count);
    const fullStatement = statementFor(target, names, full, conflict);
    const fullArgs = new Array<unknown>(full * width);
    let row = 0;
    for (; row + full <= count; row += full) run(row, full, fullStatement, fullArgs);
    const rest = count - row;
    if (rest > 0) run(row, rest, statementFor(target, names, rest, conflict), new Array<unknown>(rest * width));
  };
  return {
    async insert(_trx, source, table, rows) {
      write(source, table, columnsOf(rows));
    },
    async upsert(_trx, source, table, rows, options) {
      write(source, table, columnsOf(rows), options);
    },
    async insertColumns(_trx, source, table, columns) {
      write(source, table, columns);
    },
    async upsertColumns(_trx, source, table, columns, options) {
      write(source, table, columns, options);
    },
  };
}

/**
 * A column as PostgreSQL's array literal (`{"a","b\\"c",NULL,42}`), bound as
 * one text parameter. pg would make the same text of a JavaScript array,
 * with two regular-expression replaces and a type dispatch for every
 * element: ~12 % of the server's CPU during PostgreSQL ingest (profile in
 * docs/BENCHMARKS.md, "Ingest, session 3"); here an element without a quote
 * or backslash (nearly all) is copied as it is.
 */
export function arrayLiteral(values: unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    if (value === null || value === undefined) out += 'NULL';
    // Two indexOf scans cost half a regular expression's test (measured on a batch's columns: 0.8 against 1–1.9 ms).
    else if (typeof value === 'string')
      out += value.indexOf('"') === -1 && value.indexOf('\\') === -1 ? `"${value}"` : `"${value.replace(/[\\"]/g, '\\$&')}"`;
    else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') out += String(value);
    else throw new Error(`a row writer column holds a ${typeof value}`);
  }
  return `${out}}`;
}

export function postgresRowWriter(physical: PhysicalName, schemas: string[]): RowWriter {
  // Column types, read once from the catalog: the migrations stay the one place that declares them. Read on
  // the connection of the transaction that first needs them, never from the pool: when every pooled
  // connection holds a writing transaction (as many batches at once as the pool has connections, on a fresh
  // server), a read from the pool waits for a connection that none of them frees.
  let types: Promise<Map<string, string>> | undefined;
  const loadTypes = async (trx: Kysely<Database>) => {
    const { rows } = await sql<{ table_schema: string; table_name: string; column_name: string; data_type: string }>`
      select table_schema, table_name, column_name, data_type from information_schema.columns
      where table_schema in (${sql.join(schemas)})`.execute(trx);
    return new Map(rows.map((r) => [`"${r.table_schema}"."${r.table_name}".${r.column_name}`, r.data_type]));
  };
  const upsert = async (
    trx: Kysely<Database>,
    source: 'main' | 'archive',
    table: string,
    columns: Record<string, unknown[]>,
    conflict: { conflict: string[]; keep: string[] },
  ) => {
    const names = Object.keys(columns);
    if ((columns[names[0] ?? '']?.length ?? 0) === 0) return;
    // A failed read (its transaction rolled back) is read again by the next write.
    types ??= loadTypes(trx).catch((err: unknown) => {
      types = undefined;
      throw err;
    });
    const known = await types;
    const target = physical(source, table);
    const arrays = names.map((column) => {
      const type = known.get(`${target}.${column}`);
      if (!type) throw new Error(`unknown column ${target}.${column}`);
      return sql`${arrayLiteral(columns[column] ?? [])}::${sql.raw(type)}[]`;
    });
    await sql`insert into ${sql.raw(target)} (${sql.join(names.map((c) => sql.id(c)))})
        select * from unnest(${sql.join(arrays)})${sql.raw(conflictClause(names, conflict.conflict, conflict.keep))}`.execute(
      trx,
    );
  };
  // New rows: COPY's multi-row insert; a unique violation fails it as it would the INSERT.
  const copy = async (trx: Kysely<Database>, source: 'main' | 'archive', table: string, columns: Record<string, unknown[]>) => {
    const names = Object.keys(columns);
    const values = names.map((name) => columns[name] ?? []);
    const count = values[0]?.length ?? 0;
    if (count === 0) return;
    await trx.executeQuery(CompiledQuery.raw(copyStatement(physical(source, table), names), [copyText(values, count)]));
  };
  return {
    insert: (trx, source, table, rows) => copy(trx, source, table, columnsOf(rows)),
    upsert: (trx, source, table, rows, options) => upsert(trx, source, table, columnsOf(rows), options),
    insertColumns: (trx, source, table, columns) => copy(trx, source, table, columns),
    upsertColumns: (trx, source, table, columns, options) => upsert(trx, source, table, columns, options),
  };
}
