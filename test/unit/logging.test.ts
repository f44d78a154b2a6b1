/** Log lines for people (src/logging.ts) and the listen errors they read (src/server.ts). */
import { describe, expect, it } from 'vitest';
import { defaultLogFormat, prettyLine } from '../../src/logging.js';
import { listenHint } from '../../src/server.js';

const at = new Date(2025, 2, 10, 9, 5, 7).getTime();

describe('pretty log lines', () => {
  it('print an access line as time and message only', () => {
    const line = JSON.stringify({
      level: 30,
      time: at,
      pid: 1,
      hostname: 'h',
      reqId: 'req-1',
      access: true,
      method: 'GET',
      url: '/health',
      statusCode: 200,
      ms: 3,
      msg: 'GET /health 200 3 ms',
    });
    expect(prettyLine(line)).toBe('09:05:07 GET /health 200 3 ms');
  });

  it('print other events with their level and fields, and an error with its stack', () => {
    expect(prettyLine(JSON.stringify({ level: 30, time: at, msg: 'shutting down', signal: 'SIGTERM' }))).toBe(
      '09:05:07 INFO  shutting down signal=SIGTERM',
    );
    const error = prettyLine(
      JSON.stringify({ level: 50, time: at, msg: 'request failed', err: { message: 'boom', stack: 'Error: boom\n    at x' } }),
    );
    expect(error).toBe('09:05:07 ERROR request failed error="boom"\nError: boom\n    at x');
  });

  it('pass through what is not JSON', () => {
    expect(prettyLine('plain text')).toBe('plain text');
  });

  it('are the default on a terminal only', () => {
    expect(defaultLogFormat({ isTTY: true })).toBe('pretty');
    expect(defaultLogFormat({ isTTY: false })).toBe('json');
    expect(defaultLogFormat({})).toBe('json');
  });
});

describe('listen errors', () => {
  const error = (code: string) => Object.assign(new Error(`listen ${code}`), { code });
  it('say what to do', () => {
    expect(listenHint(error('EADDRINUSE'), '127.0.0.1', 8080)).toBe(
      '127.0.0.1:8080 is already in use (another ixvault on that port?): stop it, or choose another port with --port N or IXVAULT_PORT=N',
    );
    expect(listenHint(error('EACCES'), '0.0.0.0', 80)).toContain('--port N');
    expect(listenHint(error('EADDRNOTAVAIL'), '10.9.9.9', 8080)).toContain('--host ADDR');
    expect(listenHint(error('EADDRINUSE'), '::1', 8080)).toMatch(/^\[::1\]:8080 /);
  });
});
