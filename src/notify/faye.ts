/**
 * The part of faye (CommonJS, no bundled types) that ixvault uses, as a narrow
 * structural type: the Bayeux server itself, its extension hooks and events.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

export interface BayeuxMessage {
  channel: string;
  clientId?: string;
  id?: string;
  data?: unknown;
  ext?: Record<string, unknown>;
  error?: string;
  successful?: boolean;
  subscription?: string | string[];
  advice?: Record<string, unknown>;
  [field: string]: unknown;
}

export type Pipe = (message: BayeuxMessage) => void;

/** `request` is the HTTP request (long-polling) or the websocket upgrade request; null for faye's in-process client. */
export interface FayeExtension {
  incoming?(message: BayeuxMessage, request: IncomingMessage | null, pipe: Pipe): void;
  outgoing?(message: BayeuxMessage, request: IncomingMessage | null, pipe: Pipe): void;
}

export interface FayePublication {
  then(onFulfilled: () => void, onRejected: (error: { message?: string }) => void): void;
}

export interface FayeClient {
  publish(channel: string, data: unknown): FayePublication;
  disconnect(): void;
}

export interface FayeAdapter {
  addExtension(extension: FayeExtension): void;
  getClient(): FayeClient;
  on(event: 'subscribe' | 'unsubscribe', listener: (clientId: string, channel: string) => void): void;
  on(event: 'disconnect', listener: (clientId: string) => void): void;
  /** Whether the request's path is under the mount point. */
  check(request: IncomingMessage): boolean;
  handle(request: IncomingMessage, response: ServerResponse): void;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

export interface FayeOptions {
  mount: string;
  /** Seconds a long-poll is held (advised to clients as `timeout`). */
  timeout: number;
  engine?: { interval?: number };
}

interface FayeModule {
  NodeAdapter: new (options: FayeOptions) => FayeAdapter;
}

export const faye = createRequire(import.meta.url)('faye') as FayeModule;
