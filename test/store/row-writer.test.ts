/**
 * The ingestion path's row writer (src/store/row-writer.ts) writes rows given
 * column by column: on SQLite in statements of many rows, on PostgreSQL as one
 * array literal per column that ixvault spells itself. What must hold on both:
 * every value comes back as it was given — text with quotes, backslashes,
 * braces, commas, the word NULL, empty text, non-ASCII — and NULL as NULL;
 * any number of rows (one statement's worth, more, a remainder) is written
 * whole; an upsert updates in place and keeps the columns it is told to keep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { arrayLiteral, ROWS_PER_STATEMENT } from '../../src/store/row-writer.js';
import { columnsOf } from '../../src/store/rows.js';
import type { MessagesTable } from '../../src/store/schema.js';
import { BACKEND } from '../helpers/server.js';
import { openStoreRuntime, type StoreRuntime } from '../helpers/store-runtime.js';

const TENANT = 'rows';

const AWKWARD = [
  'plain',
  'a "quoted" word',
  'back\\slash',
  '\\"both\\"',
  '{braces}',
  'a, b',
  'NULL',
  '',
  ' spaced ',
  'ümlaut ✓ 日本',
  'new\nline\ttab',
];

describe(`row writer, rows given column by column (${BACKEND})`, () => {
  let runtime: Runtime;
  let store: StoreRuntime;

  beforeAll(async () => {
    store = await openStoreRuntime('row-writer');
    runtime = store.runtime;
  });
  afterAll(async () => {
    await store?.close();
  });

  const messages = (interactionId: string, count: number): MessagesTable[] =>
    Array.from({ length: count }, (_, i) => ({
      tenant_id: TENANT,
      interaction_id: interactionId,
      idx: i + 1,
      from_nickname: i % 3 === 0 ? null : (AWKWARD[i % AWKWARD.length] as string),
      from_type: 'Agent',
      from_participant_id: null,
      text: AWKWARD[i % AWKWARD.length] as string,
      visibility: 'All',
      ts_ms: 1_700_000_000_000 + i,
      type: 'Text',
    }));

  const read = (interactionId: string) =>
    runtime.store
      .in('main')
      .selectFrom('messages')
      .selectAll()
      .where('tenant_id', '=', TENANT)
      .where('interaction_id', '=', interactionId)
      .orderBy('idx')
      .execute();

  it('writes every value back as given, for any number of rows', async () => {
    for (const count of [1, ROWS_PER_STATEMENT, ROWS_PER_STATEMENT * 2 + 5]) {
      const rows = messages(`I${count}`, count);
      await runtime.store.write((trx) => runtime.store.rows.insertColumns(trx, 'main', 'messages', columnsOf(rows)));
      expect(await read(`I${count}`)).toEqual(rows);
    }
  });

  it('updates in place on conflict and keeps the columns it is told to keep', async () => {
    const rows = messages('U', 70);
    await runtime.store.write((trx) => runtime.store.rows.insertColumns(trx, 'main', 'messages', columnsOf(rows)));
    const changed = rows.map((r) => ({ ...r, text: `${r.text} changed`, type: 'Notice' }));
    await runtime.store.write((trx) =>
      runtime.store.rows.upsertColumns(trx, 'main', 'messages', columnsOf(changed), {
        conflict: ['tenant_id', 'interaction_id', 'idx'],
        keep: ['type'],
      }),
    );
    expect(await read('U')).toEqual(changed.map((r) => ({ ...r, type: 'Text' })));
  });

  it("spells PostgreSQL's array literal: quotes and backslashes escaped, NULL bare, numbers as they print", () => {
    expect(arrayLiteral(['a', 'b"c', 'd\\e', null, 42, 1.5, ''])).toBe('{"a","b\\"c","d\\\\e",NULL,42,1.5,""}');
    expect(arrayLiteral([])).toBe('{}');
  });
});
