/** The SQLite connection's kept prepared statements (src/store/dialects/sqlite-statements.ts). */
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedStatements } from '../../src/store/dialects/sqlite-statements.js';

describe('prepared statements kept for reuse (sqlite)', () => {
  const sqlite = new BetterSqlite3(':memory:');
  afterEach(() => sqlite.exec('drop table if exists t'));

  it('prepares a SQL text once and answers with the current rows each time', () => {
    sqlite.exec('create table t (k integer primary key, v text)');
    const db = cachedStatements(sqlite);
    const select = 'select v from t where k = ?';
    const first = db.prepare(select);
    expect(first.all([1])).toEqual([]);
    db.prepare('insert into t (k, v) values (?, ?)').run([1, 'one']);
    const again = db.prepare(select);
    expect(again).toBe(first);
    expect(again.all([1])).toEqual([{ v: 'one' }]);
  });

  it('gives a statement still being iterated a fresh one, so both read to the end', () => {
    sqlite.exec('create table t (k integer primary key); insert into t values (1), (2), (3)');
    const db = cachedStatements(sqlite);
    const select = 'select k from t order by k';
    const outer = db.prepare(select).iterate([]);
    const seen: number[][] = [];
    for (const row of outer)
      seen.push((db.prepare(select).all([]) as { k: number }[]).map((r) => r.k).concat((row as { k: number }).k));
    expect(seen).toEqual([
      [1, 2, 3, 1],
      [1, 2, 3, 2],
      [1, 2, 3, 3],
    ]);
  });

  it('keeps at most its capacity, dropping the least recently used', () => {
    const db = cachedStatements(sqlite, 2);
    const a = db.prepare('select 1');
    const b = db.prepare('select 2');
    expect(db.prepare('select 1')).toBe(a);
    db.prepare('select 3');
    expect(db.prepare('select 1')).toBe(a);
    expect(db.prepare('select 2')).not.toBe(b);
  });

  it('follows a schema change under a kept statement', () => {
    sqlite.exec('create table t (k integer primary key)');
    const db = cachedStatements(sqlite);
    expect(db.prepare('select * from t').all([])).toEqual([]);
    sqlite.exec('alter table t add column v text; insert into t values (1, ?)'.replace('?', "'x'"));
    expect(db.prepare('select * from t').all([])).toEqual([{ k: 1, v: 'x' }]);
  });
});
