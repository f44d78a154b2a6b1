/**
 * A websocket speaking raw Bayeux to the CometD endpoint, through the `ws`
 * package (the official Node CometD client's websocket): for what that client
 * cannot do, such as naming another session's clientId or sending a cookie
 * on the upgrade as a browser does.
 */
import { createRequire } from 'node:module';
import type { TestServer } from './server.js';

export type Reply = { channel: string; successful?: boolean; error?: string; data?: unknown; clientId?: string };

interface RawSocket {
  on(event: 'open', listener: () => void): void;
  on(event: 'close', listener: (code: number) => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(data: string): void;
  close(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (
  url: string,
  options?: { headers?: Record<string, string> },
) => RawSocket;

export interface OpenSocket {
  socket: RawSocket;
  /** Every frame received, in order. */
  frames: Reply[][];
  /** Resolves with the close code when the socket closes, from either end. */
  closed: Promise<number>;
}

export function openSocket(server: TestServer, headers: Record<string, string> = {}): Promise<OpenSocket> {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v2/notifications`, { headers });
  const frames: Reply[][] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Reply[]));
  const closed = new Promise<number>((resolve) => socket.on('close', resolve));
  return new Promise((resolve, reject) => {
    socket.on('open', () => resolve({ socket, frames, closed }));
    socket.on('error', reject);
  });
}

/** Resolves with the next frame a raw socket receives. */
export function nextFrame(socket: RawSocket): Promise<Reply[]> {
  return new Promise((resolve) => socket.on('message', (data) => resolve(JSON.parse(String(data)) as Reply[])));
}
