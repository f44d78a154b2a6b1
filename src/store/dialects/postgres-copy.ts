/**
 * New rows written by `COPY … FROM STDIN` (the row writer's inserts on
 * PostgreSQL). Against the `INSERT … SELECT * FROM unnest(…)` of array
 * literals it replaced, the same batches cost PostgreSQL a fifth less CPU a
 * record and our side a third less (COPY inserts many tuples at once, and its
 * text is row by row with nothing to quote), on cores the two share
 * (docs/BENCHMARKS.md, "Session 14").
 *
 * pg itself cannot send COPY data; pg-copy-streams does, as a statement of the
 * client's queue. The row writer runs the COPY through Kysely like any other
 * statement of its transaction — `copy … from stdin` with ONE parameter, the
 * data in COPY's text format — so it goes to the transaction's connection in
 * order; each pooled client runs such a statement with pg-copy-streams
 * (acceptCopyData). Its failure (a unique violation, a lost connection) is the
 * statement's error, as for any other.
 */
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';

const COPY_PREFIX = 'copy ';
const COPY_SUFFIX = ' from stdin';

/** The statement that copies `columns` (names as written, unquoted) into `target` (quoted physical name). */
export function copyStatement(target: string, columns: string[]): string {
  return `${COPY_PREFIX}${target} (${columns.map((c) => `"${c}"`).join(', ')})${COPY_SUFFIX}`;
}

/** Characters COPY's text format escapes with a backslash (the column delimiter, the row end, the escape itself). */
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * Rows given column by column in COPY's text format: a row a line, fields
 * separated by tabs, NULL as `\N`. Each column's values are of one kind
 * (rows.ts), strings nearly always without a character to escape.
 */
export function copyText(columns: unknown[][], rows: number): string {
  let out = '';
  const width = columns.length;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) {
      const value = columns[c]?.[r];
      if (value === null || value === undefined) out += '\\N';
      else if (typeof value === 'string')
        out += SPECIAL.test(value) ? value.replace(SPECIALS, (ch) => ESCAPED[ch] as string) : value;
      else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') out += String(value);
      else throw new Error(`a row writer column holds a ${typeof value}`);
      out += c === width - 1 ? '\n' : '\t';
    }
  }
  return out;
}

type Query = (...args: unknown[]) => unknown;

/** Whether a statement is a `copy … from stdin` given its data as its one string parameter (see the file's comment). */
export function isCopyData(text: unknown, values: unknown): values is [string] {
  return (
    typeof text === 'string' &&
    text.startsWith(COPY_PREFIX) &&
    text.endsWith(COPY_SUFFIX) &&
    Array.isArray(values) &&
    values.length === 1 &&
    typeof values[0] === 'string'
  );
}

/**
 * Makes `client` run a `copy … from stdin` given one string parameter as a
 * COPY of that data; every other call goes on to the query it had (pg's, or
 * the stall watch's in front of it, which then sees the COPY too).
 */
export function acceptCopyData(client: pg.Client): void {
  const query = (client.query as Query).bind(client);
  (client as unknown as { query: Query }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (isCopyData(text, values)) return copyIn(query, text as string, values[0]);
    return query(...args);
  };
}

/** What Kysely reads of a statement's result. */
interface CopyResult {
  command: 'COPY';
  rowCount: number;
  rows: never[];
}

function copyIn(query: Query, text: string, data: string): Promise<CopyResult> {
  const stream = copyStreams.from(text);
  return new Promise<CopyResult>((resolve, reject) => {
    stream.on('error', reject);
    // 'finish' comes after the server's ReadyForQuery: the rows are in, the connection free for the next statement.
    stream.on('finish', () => resolve({ command: 'COPY', rowCount: stream.rowCount, rows: [] }));
    query(stream);
    stream.end(data);
  });
}
