/**
 * Multi-row statements are cut to stay under the bind-parameter limits
 * (SQLite 32766, PostgreSQL 65535) whatever the table's width.
 */
const MAX_PARAMETERS = 30_000;

export function chunksFor<T extends object>(rows: T[]): T[][] {
  const first = rows[0];
  if (!first) return [];
  const size = Math.max(1, Math.floor(MAX_PARAMETERS / Object.keys(first).length));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export function chunkValues<T>(values: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}
