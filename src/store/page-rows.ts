/**
 * A Vonage page's rows as the store answers them (StoreDialect.readPage): the
 * page statement's select list is (item text, position start int8, position
 * key text), limit + 1 rows of which the last only says there is more.
 */
export interface PageRows {
  /** Column 1 of the first `limit` rows, in order: texts to be joined by commas (strings, or UTF-8 runs of items already joined). */
  items: (string | Uint8Array)[];
  /** How many rows `items` holds. */
  count: number;
  /** Columns 2 and 3 of row `limit`, when the statement answered a row after it. */
  more?: [startMs: number, key: string];
}

/** The page of the statement's rows read as arrays (StoreDialect.readPrepared). */
export function pageOfRows(rows: readonly (readonly unknown[])[], limit: number): PageRows {
  const count = Math.min(rows.length, limit);
  const items = new Array<string>(count);
  for (let i = 0; i < count; i++) items[i] = (rows[i] as readonly unknown[])[0] as string;
  const page: PageRows = { items, count };
  const last = rows[count - 1];
  if (rows.length > limit && last) page.more = [Number(last[1]), String(last[2])];
  return page;
}
