/**
 * Many-row writes on the ingestion path, each database's fastest way, inside
 * a transaction the caller holds. Measured (docs/BENCHMARKS.md, "Ingest"):
 * Kysely's multi-row VALUES statements of ~26 000 parameters cost compiling on
 * our side, and preparing (SQLite) or parsing and planning (PostgreSQL) on the
 * database's side, for every batch.
 *
 * - SQLite: one cached prepared single-row INSERT per table, run once per row
 *   with the row object bound by name (as the bench's bare baseline does).
 *   better-sqlite3 is synchronous, so the loop runs on the transaction's own
 *   connection with nothing interleaved.
 * - PostgreSQL: one `INSERT … SELECT * FROM unnest($1::type[], …)` per table:
 *   one parameter per column whatever the number of rows, and a statement
 *   text that stays the same.
 *
 * Both write in place when asked (`upsert`: `on conflict (key) do update`), so
 * a re-ingested interaction keeps its row and whatever a concurrent
 * transaction maintains on it (content_count).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import type { RowWriter } from './dialect.js';
import type { Database } from './schema.js';

/** The quoted physical name of a logical store's table, e.g. `"main"."archive_messages"`. */
export type PhysicalName = (source: 'main' | 'archive', table: string) => string;

function conflictClause(columns: string[], conflict: string[], keep: string[]): string {
  const updated = columns.filter((c) => !conflict.includes(c) && !keep.includes(c));
  const key = conflict.map((c) => `"${c}"`).join(', ');
  if (updated.length === 0) return ` on conflict (${key}) do nothing`;
  return ` on conflict (${key}) do update set ${updated.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`;
}

export function sqliteRowWriter(connection: BetterSqlite3.Database, physical: PhysicalName): RowWriter {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const write = (
    source: 'main' | 'archive',
    table: string,
    rows: object[],
    conflict?: { conflict: string[]; keep: string[] },
  ) => {
    const first = rows[0];
    if (!first) return;
    const columns = Object.keys(first);
    const key = `${source}.${table}(${columns.join(',')})${conflict ? `${conflict.conflict}/${conflict.keep}` : ''}`;
    let statement = statements.get(key);
    if (!statement) {
      const names = columns.map((c) => `"${c}"`).join(', ');
      // Named parameters: each row object is bound as it is, with no array built per row.
      statement = connection.prepare(
        `insert into ${physical(source, table)} (${names}) values (${columns.map((c) => `@${c}`).join(', ')})${
          conflict ? conflictClause(columns, conflict.conflict, conflict.keep) : ''
        }`,
      );
      statements.set(key, statement);
    }
    for (const row of rows) statement.run(row);
  };
  return {
    async insert(_trx, source, table, rows) {
      write(source, table, rows);
    },
    async upsert(_trx, source, table, rows, options) {
      write(source, table, rows, options);
    },
  };
}

export function postgresRowWriter(db: Kysely<Database>, physical: PhysicalName, schemas: string[]): RowWriter {
  // Column types, read once from the catalog: the migrations stay the one place that declares them.
  let types: Promise<Map<string, string>> | undefined;
  const loadTypes = async () => {
    const { rows } = await sql<{ table_schema: string; table_name: string; column_name: string; data_type: string }>`
      select table_schema, table_name, column_name, data_type from information_schema.columns
      where table_schema in (${sql.join(schemas)})`.execute(db);
    return new Map(rows.map((r) => [`"${r.table_schema}"."${r.table_name}".${r.column_name}`, r.data_type]));
  };
  const write = async (
    trx: Kysely<Database>,
    source: 'main' | 'archive',
    table: string,
    rows: object[],
    conflict?: { conflict: string[]; keep: string[] },
  ) => {
    const first = rows[0];
    if (!first) return;
    types ??= loadTypes();
    const known = await types;
    const target = physical(source, table);
    const columns = Object.keys(first);
    const arrays = columns.map((column) => {
      const type = known.get(`${target}.${column}`);
      if (!type) throw new Error(`unknown column ${target}.${column}`);
      return sql`${rows.map((r) => (r as Record<string, unknown>)[column])}::${sql.raw(type)}[]`;
    });
    const onConflict = conflict ? sql.raw(conflictClause(columns, conflict.conflict, conflict.keep)) : sql``;
    await sql`insert into ${sql.raw(target)} (${sql.join(columns.map((c) => sql.id(c)))})
        select * from unnest(${sql.join(arrays)})${onConflict}`.execute(trx);
  };
  return {
    insert: (trx, source, table, rows) => write(trx, source, table, rows),
    upsert: (trx, source, table, rows, options) => write(trx, source, table, rows, options),
  };
}
