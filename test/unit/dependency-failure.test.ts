/**
 * `isDependencyFailure`: which errors are a dependency failing (a 503 the client
 * may retry) and which are not (ixvault's own or the request's: 500 or 4xx).
 * The failures themselves, made for real, are in test/reliability/.
 */
import { describe, expect, it } from 'vitest';
import { isDependencyFailure } from '../../src/domain/dependency-failure.js';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const named = (name: string, message = 'x') => Object.assign(new Error(message), { name });

describe('isDependencyFailure', () => {
  it.each([
    ['a refused connection', coded('ECONNREFUSED')],
    ['a full disk', coded('ENOSPC')],
    ['a read-only file system', coded('EROFS')],
    ["PostgreSQL's connection failure", coded('08006')],
    ['PostgreSQL shutting down', coded('57P01')],
    ['PostgreSQL with too many connections', coded('53300')],
    ['SQLite on a full disk', coded('SQLITE_FULL')],
    ['SQLite I/O error', coded('SQLITE_IOERR_WRITE')],
    ["pg's ended connection", new Error('Connection terminated unexpectedly')],
    ["pg-pool's connection timeout", new Error('timeout exceeded when trying to connect')],
    ["pg's connection timeout", new Error('timeout expired')],
    ['ioredis giving up', named('MaxRetriesPerRequestError')],
    ['ioredis command timeout', new Error('Command timed out')],
    ['Redis loading its data', named('ReplyError', 'LOADING Redis is loading the dataset in memory')],
    ['S3 slowing down', Object.assign(new Error('SlowDown'), { $metadata: { httpStatusCode: 503 } })],
    ['an S3 timeout', named('TimeoutError')],
    ['a cause two levels down', new Error('outer', { cause: new Error('inner', { cause: coded('ECONNRESET') }) })],
    ['one of an AggregateError', new AggregateError([new Error('a'), coded('ETIMEDOUT')])],
  ])('%s is one', (_what, err) => {
    expect(isDependencyFailure(err)).toBe(true);
  });

  it.each([
    ['a plain error', new Error('bug')],
    ['a unique violation', coded('23505')],
    ['a statement cancelled by its time budget', coded('57014')],
    ['a SQLite constraint', coded('SQLITE_CONSTRAINT_UNIQUE')],
    ['S3 not found', Object.assign(new Error('NoSuchKey'), { $metadata: { httpStatusCode: 404 } })],
    ['a Redis script error', named('ReplyError', 'ERR Error running script')],
    ['not an error', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('%s is not', (_what, err) => {
    expect(isDependencyFailure(err)).toBe(false);
  });

  it('stops at a cycle of causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isDependencyFailure(a)).toBe(false);
  });
});
