/**
 * `failureOf`, the one rule every facade's error handler logs by: which failures
 * are the server's (error, with the stack) and which the client's own leaving
 * (info). The leaving itself is exercised over a real socket in
 * test/native/content-abort-log.test.ts; here, the failures that must still be
 * logged as the server's although they look alike.
 */
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { failureOf } from '../../src/api/shared/errors.js';
import { CODES } from '../../src/domain/errors.js';

const resetError = (message: string) => Object.assign(new Error(message), { code: 'ECONNRESET' });

function requestWith(errored: Error | null) {
  const raw = new Readable({ read() {} });
  if (errored) {
    raw.on('error', () => {});
    raw.destroy(errored);
  }
  const log = { info: vi.fn(), error: vi.fn() };
  return { request: { raw, log, method: 'PUT', url: '/x' } as unknown as FastifyRequest, log };
}

describe('failureOf', () => {
  it("Node's abort of the request's own body: the client's doing, logged at info", () => {
    const aborted = resetError('aborted');
    const { request, log } = requestWith(aborted);
    expect(failureOf(aborted, request).code).toBe(CODES.clientClosed);
    expect(log.info).toHaveBeenCalledOnce();
    expect(log.error).not.toHaveBeenCalled();
  });

  // A dependency's failure (session 8): a 503 the client may retry, logged as the server's.
  it("a store's connection reset that ended the upload's pipeline is the server's failure", () => {
    const storeReset = resetError('read ECONNRESET');
    const { request, log } = requestWith(storeReset);
    expect(failureOf(storeReset, request).code).toBe(CODES.unavailable);
    expect(log.error).toHaveBeenCalledOnce();
  });

  it("an 'aborted' reset that is not the request's own (another socket's) is the server's failure", () => {
    const other = resetError('aborted');
    const { request, log } = requestWith(null);
    expect(failureOf(other, request).code).toBe(CODES.unavailable);
    expect(log.error).toHaveBeenCalledOnce();
    expect(log.info).not.toHaveBeenCalled();
  });
});
