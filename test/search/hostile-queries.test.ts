/**
 * Hostile text queries against the real app and database: whatever `q` holds,
 * the answer is a 200 or a 400 naming q, never a 500; and a search that runs
 * past its time budget is stopped by the database and answered with a 400.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODES, isVaultError } from '../../src/domain/errors.js';
import { parseTextQuery } from '../../src/domain/fulltext.js';
import { build } from '../helpers/app.js';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

describe(`hostile text queries (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    // Enough matching documents that SQLite's per-row budget check runs many times.
    const records = Array.from({ length: 300 }, (_, i) =>
      chatRecord({ id: `HOSTILE-${i}`, subject: `common words budget number ${i}`, messages: [] }),
    );
    const res = await call(`${server.url}/api/v1/interactions:batch`, {
      method: 'POST',
      headers: { authorization: admin },
      json: records,
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('answers every q with a 200 or a 400 naming q', async () => {
    const piece = fc.constantFrom(
      '"',
      '*',
      '-',
      '(',
      ')',
      ' ',
      'OR',
      'AND',
      'NOT',
      'NEAR',
      'common',
      'bud',
      'é',
      '1',
      ':',
      "'",
      '!',
      '&',
      '|',
      '<->',
      '\\',
      '%',
      '_',
      'ꙮꙮ',
      '取',
      '^',
      ';',
      '--',
    );
    const q = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.array(piece, { maxLength: 60 }).map((a) => a.join('')),
    );
    await fc.assert(
      fc.asyncProperty(
        q,
        fc.constantFrom('', '&sort=relevance', '&mediaType=chat&sort=asc', '&source=archive'),
        async (text, extra) => {
          const res = await call(`${server.url}/api/v1/interactions?q=${encodeURIComponent(text)}&limit=5${extra}`, {
            headers: { authorization: admin },
          });
          expect([200, 400], `${text} → ${JSON.stringify(res.body)}`).toContain(res.status);
          if (res.status === 400) expect(JSON.stringify(res.body)).toMatch(/\bq\b/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stops a search past its time budget with a 400 naming q', async () => {
    const store = server.runtime.store;
    let error: unknown;
    try {
      if (BACKEND === 'postgres') {
        // statement_timeout, set for the search's own transaction, cancels the statement.
        await store.impl.fullText.withinBudget(store.db, 50, (db) => sql`select pg_sleep(5)`.execute(db));
      } else {
        // A deadline already past: the per-row check aborts the statement.
        await server.runtime.vault.searches.search(
          { tenantId: 'acme' },
          { source: 'main', order: 'desc', limit: 10, text: parseTextQuery('common') },
          { budgetMs: -60_000 },
        );
      }
    } catch (err) {
      error = err;
    }
    expect(isVaultError(error) && error.code === CODES.searchBudget && error.field === 'q' && error.status === 400).toBe(true);
    // The connection is fine afterwards.
    const res = await call(`${server.url}/api/v1/interactions?q=budget&limit=1`, { headers: { authorization: admin } });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
  });
});
