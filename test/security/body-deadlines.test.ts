/**
 * The body deadline times the client, not the server: a body that arrived
 * while the server was still authenticating (a password check queued on a
 * busy machine) is not cut off, while a body that trickles once the server
 * reads it, or after an answer sent without reading it, still is. The clock
 * is faked (Date and the check interval only); sockets are real.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BodyDeadlines } from '../../src/api/shared/body-deadlines.js';

const GRACE_MS = 1000;
const MIN_RATE = 1024;

describe('body deadlines', () => {
  let server: Server;
  let deadlines: BodyDeadlines;
  let port: number;
  let onRequest: (req: IncomingMessage, res: ServerResponse) => void;

  beforeEach(async () => {
    deadlines = new BodyDeadlines({ graceMs: GRACE_MS, minBytesPerSecond: MIN_RATE });
    server = createServer((req, res) => onRequest(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    deadlines.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends a raw request head (and the start of a body), then nothing; resolves with all the server said once it closes. */
  const stall = (head: string) =>
    new Promise<string>((resolve, reject) => {
      let answer = '';
      const socket = connect(port, '127.0.0.1', () => socket.write(head));
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        answer += chunk;
      });
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });

  it('does not count the time before the server reads: a body that arrived meanwhile is served', async () => {
    const body = 'x'.repeat(64 * 1024);
    const arrived = new Promise<{ req: IncomingMessage; res: ServerResponse }>((resolve) => {
      onRequest = (req, res) => {
        deadlines.watchFromFirstRead(req, res);
        resolve({ req, res });
      };
    });
    const answer = new Promise<number>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'content-length': body.length } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    const { req, res } = await arrived;
    // The server is "busy" for a minute: far past grace + size / rate had the clock been running.
    vi.advanceTimersByTime(60_000);
    deadlines.startReading(req);
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    req.on('end', () => res.end('ok'));
    expect(await answer).toBe(200);
    expect(received).toBe(body.length);
  });

  it('cuts off a body that stops arriving once the server reads it', async () => {
    onRequest = (req, res) => {
      deadlines.watchFromFirstRead(req, res);
      deadlines.startReading(req);
      req.resume();
      // The first bytes of the body have been read: now the client is late.
      req.once('data', () => vi.advanceTimersByTime(GRACE_MS * 5));
    };
    const answer = await stall('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n0123456789');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('bounds the rest of a body the server answered without reading', async () => {
    onRequest = (req, res) => {
      deadlines.watchFromFirstRead(req, res);
      res.once('finish', () => vi.advanceTimersByTime(GRACE_MS * 5));
      res.writeHead(401, { 'content-length': 0 }).end();
    };
    const answer = await stall('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n0123456789');
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
  });
});
