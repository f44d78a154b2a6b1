/** Lists of keys for `IN (…)` are cut to stay well under the bind-parameter limits of both databases. */
export function chunkValues<T>(values: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}
