/**
 * endWhenStalled (src/blobs/stalled-body.ts): a body that sends nothing while
 * its reader waits ends with an error; a reader that holds the body back, or
 * has not started reading, is never taken for a stall. Fake timers: the
 * stall is time passing, not a sleep.
 */
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { endWhenStalled, StalledBodyError } from '../../src/blobs/stalled-body.js';

const STALL_MS = 1000;

describe('a body guarded against stalls', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends with a StalledBodyError once nothing arrives for the stall time while its reader waits', async () => {
    const source = new PassThrough();
    const body = endWhenStalled(source, STALL_MS);
    const failed = new Promise((resolve) => body.once('error', resolve));
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    source.write('first bytes');
    await vi.waitFor(() => expect(chunks).toHaveLength(1));
    vi.advanceTimersByTime(STALL_MS / 2);
    expect(body.destroyed).toBe(false);
    vi.advanceTimersByTime(STALL_MS);
    expect(await failed).toBeInstanceOf(StalledBodyError);
    // The source (the S3 answer and its socket) is ended with it.
    await vi.waitFor(() => expect(source.destroyed).toBe(true));
  });

  it('counts no time while the reader holds the body back, nor before it reads', () => {
    const source = new PassThrough();
    const body = endWhenStalled(source, STALL_MS);
    vi.advanceTimersByTime(10 * STALL_MS);
    expect(body.destroyed).toBe(false);
    const slowReader = new Writable({ highWaterMark: 1, write: () => {} });
    body.pipe(slowReader);
    source.write(Buffer.alloc(1024 * 1024));
    vi.advanceTimersByTime(10 * STALL_MS);
    expect(body.destroyed).toBe(false);
  });

  it('passes every byte, and ends when the body ends', async () => {
    const source = new PassThrough();
    const body = endWhenStalled(source, STALL_MS);
    source.end(Buffer.from('all of it'));
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('all of it');
  });
});
