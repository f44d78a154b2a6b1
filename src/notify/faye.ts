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

/**
 * faye's protocol server behind the adapter (`adapter._server`). ixvault
 * accepts websockets itself (see websocket.ts) so that a message is checked
 * before faye binds the socket to the clientId it names; these are the calls
 * faye's own upgrade handler makes.
 */
export interface FayeProtocolServer {
  openSocket(clientId: string, socket: unknown, request: IncomingMessage): void;
  closeSocket(clientId: string | null, close?: boolean): void;
  process(messages: BayeuxMessage[], request: IncomingMessage, callback: (replies: BayeuxMessage[]) => void): void;
}

export interface FayeAdapter {
  _server: FayeProtocolServer;
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

const require = createRequire(import.meta.url);

export const faye = require('faye') as FayeModule;

/** faye-websocket's server-side socket, as faye's own upgrade handler creates it. */
export interface FayeWebSocket {
  onmessage: ((event: { data: string }) => void) | null;
  onclose: (() => void) | null;
  send(data: string): boolean;
  close(): void;
}

export const FayeWebSocket = require('faye-websocket') as new (
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocols: string[],
  options: { maxLength: number; extensions: unknown[] },
) => FayeWebSocket;
