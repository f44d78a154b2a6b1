/**
 * The Bayeux (CometD) server: faye, with websocket and long-polling, behind
 * ixvault's handshake authentication and channel policy. Results are published
 * on the recipient's private channels, so faye queues them for that
 * principal's sessions only (see channels.ts).
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { ChannelPolicy } from './channel-policy.js';
import { ChannelMap } from './channels.js';
import { type FayeAdapter, type FayeClient, faye } from './faye.js';
import { SessionAuthentication } from './handshake-authentication.js';
import { gateRequest, type HttpGateOptions } from './http-gate.js';
import type { HoldLimits, NotificationHub } from './hub.js';
import { LocalHub } from './local-hub.js';
import type { Delivery, Notifier, Recipient } from './notifier.js';
import { Sessions } from './sessions.js';
import { SocketRegistry } from './socket-registry.js';
import { acceptWebSocket } from './websocket.js';

export interface BayeuxServerOptions {
  auth: Authenticator;
  log: FastifyBaseLogger;
  /** URL path of the endpoint, e.g. `/api/v2/notifications`. */
  mount: string;
  /** The public channels only the server publishes on. */
  channels: readonly string[];
  /** How long a result waits for a subscribed session of its recipient. */
  holdMs: number;
  /** Seconds a long-poll is held; advised to clients as `timeout` (with `interval` 0). */
  timeoutSeconds: number;
  /** Bytes of results held per recipient and channel, and in all. */
  heldBytesPerRecipient: number;
  heldBytes: number;
  /** Sessions one principal may have open at once, and websockets (0 or absent: no limit). */
  sessionsPerRecipient?: number;
  /** How long a websocket may stay open without proving a principal. */
  socketProofMs: number;
  /** The address a request came from, through the trusted proxies (login throttling counts failures by it). */
  clientAddress: (request: IncomingMessage) => string | undefined;
  /** Body limits, origins and JSON-P; the body limit also bounds a websocket frame. */
  gate: HttpGateOptions;
  /** Where results travel and wait (default: this process's memory, LocalHub); a cluster passes Redis's. */
  hub?: (limits: HoldLimits) => NotificationHub;
}

/** Results kept per recipient and channel while nobody listens. */
const MAX_HELD = 100;

export class BayeuxServer implements Notifier {
  private readonly adapter: FayeAdapter;
  private readonly channels: ChannelMap;
  private readonly sessions: Sessions;
  private readonly hub: NotificationHub;
  private readonly sweeper: NodeJS.Timeout;
  private readonly log: FastifyBaseLogger;
  private readonly authentication: SessionAuthentication;
  private readonly gate: HttpGateOptions;
  /** faye's in-process client: the documented way for a faye server to publish. Created on first use. */
  private publisher: FayeClient | undefined;
  private closing = false;
  /**
   * `held` (data) when a message waits for a session of its recipient: what
   * tests wait for before subscribing late, instead of sleeping.
   */
  readonly events = new EventEmitter();

  constructor(options: BayeuxServerOptions) {
    this.log = options.log;
    this.channels = new ChannelMap(options.channels);
    this.gate = options.gate;
    this.sessions = new Sessions(options.sessionsPerRecipient);
    const limits: HoldLimits = {
      holdMs: options.holdMs,
      maxHeld: MAX_HELD,
      maxHeldBytesPerChannel: options.heldBytesPerRecipient,
      maxHeldBytes: options.heldBytes,
    };
    this.hub = options.hub ? options.hub(limits) : new LocalHub(limits);
    // A message for a channel this process listens on, computed here or on another node.
    this.hub.onMessage((channel, data) => {
      if (!this.closing && this.sessions.hasListeners(channel)) this.publish(channel, data);
    });
    this.adapter = new faye.NodeAdapter({ mount: options.mount, timeout: options.timeoutSeconds, engine: { interval: 0 } });
    const sockets = new SocketRegistry({
      proveWithinMs: options.socketProofMs,
      perRecipient: options.sessionsPerRecipient ?? 0,
      addressOf: options.clientAddress,
    });
    this.authentication = new SessionAuthentication(options.auth, this.sessions, sockets, options.clientAddress, options.log);
    this.adapter.addExtension(this.authentication);
    this.adapter.addExtension(new ChannelPolicy(this.channels, this.sessions));
    this.adapter.on('subscribe', (clientId, channel) => this.subscribed(clientId, channel));
    this.adapter.on('unsubscribe', (clientId, channel) => {
      if (this.sessions.unsubscribed(clientId, channel)) this.unlisten(channel);
    });
    this.adapter.on('disconnect', (clientId) => {
      for (const channel of this.sessions.closed(clientId)) this.unlisten(channel);
    });
    this.sweeper = setInterval(
      () => this.hub.sweep().catch((error: Error) => this.log.warn({ error: error.message }, 'sweeping held results failed')),
      Math.min(Math.max(options.holdMs, 1000), 30_000),
    );
    this.sweeper.unref();
  }

  async deliver(recipient: Recipient, channel: string, data: Record<string, unknown>, force = false): Promise<Delivery> {
    if (this.closing) return 'refused';
    const delivery = await this.hub.deliver(this.channels.privateOf(recipient, channel), data, force);
    if (delivery === 'held') this.events.emit('held', data);
    return delivery;
  }

  deliverHere(recipient: Recipient, channel: string, data: Record<string, unknown>): void {
    const target = this.channels.privateOf(recipient, channel);
    if (!this.closing && this.sessions.hasListeners(target)) this.publish(target, data);
  }

  heldBytes(recipient: Recipient, channel: string): Promise<number> {
    return this.hub.heldBytes(this.channels.privateOf(recipient, channel));
  }

  /** The recipient signed out: its sockets of this process opened by a session cookie that no longer works are closed. */
  endSessions(recipient: Recipient): Promise<void> {
    return this.authentication.endSessions(recipient);
  }

  listening(channel: string): Recipient[] {
    return this.sessions.recipients().filter((r) => this.sessions.hasListeners(this.channels.privateOf(r, channel)));
  }

  /**
   * Hands the endpoint's requests and websocket upgrades to faye and every
   * other request to the listeners already there (Fastify's). faye's own
   * attach() does the same, but this one answers 503 once closing: otherwise a
   * long-polling client whose poll was just flushed would open a new session,
   * held for a full timeout, on a server that is shutting down.
   */
  attach(server: Server): void {
    const others = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (!this.adapter.check(request)) {
        for (const listener of others) listener.call(server, request, response);
      } else if (this.closing) {
        response.writeHead(503, { connection: 'close', 'retry-after': '1' }).end();
      } else {
        gateRequest(request, response, this.gate, () => this.adapter.handle(request, response));
      }
    });
    // Nothing else in ixvault upgrades connections.
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const origin = request.headers.origin;
      const allowed = origin === undefined || this.gate.isAllowedOrigin(origin, request.headers);
      if (this.adapter.check(request) && !this.closing && allowed)
        acceptWebSocket(this.adapter._server, this.authentication, this.gate.bodyLimitBytes, request, socket, head);
      else socket.destroy();
    });
  }

  /** Answers held long-polls, closes websockets and forgets every session; held results stay with the hub. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.sweeper);
    this.publisher?.disconnect();
    this.adapter.close();
    await this.hub.close();
  }

  /** The first session of this process on a private channel: listen on it, and publish what was held for it. */
  private subscribed(clientId: string, channel: string): void {
    if (!this.channels.isPrivate(channel) || !this.sessions.subscribed(clientId, channel)) return;
    this.hub.listen(channel).then(
      (held) => {
        for (const data of held) {
          if (this.sessions.hasListeners(channel)) this.publish(channel, data);
          // The session left while its held results were fetched: hand them back (to another node's session, or held).
          else void this.hub.deliver(channel, data, true).catch(() => undefined);
        }
      },
      (error: Error) =>
        this.log.error({ channel: this.channels.publicOf(channel), error: error.message }, 'CometD listen failed'),
    );
  }

  private unlisten(channel: string): void {
    this.hub
      .unlisten(channel)
      .catch((error: Error) =>
        this.log.warn({ channel: this.channels.publicOf(channel), error: error.message }, 'CometD unlisten failed'),
      );
  }

  private publish(channel: string, data: Record<string, unknown>): void {
    this.publisher ??= this.adapter.getClient();
    this.publisher.publish(channel, data).then(
      () => {},
      (error) => this.log.error({ channel: this.channels.publicOf(channel), error: error.message }, 'CometD publish failed'),
    );
  }
}
