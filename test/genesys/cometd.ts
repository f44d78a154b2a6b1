/**
 * The official CometD client (cometd + cometd-nodejs-client) as the tests use
 * it: one transport forced, credentials on the handshake, and the standard
 * "subscribe in the /meta/handshake listener" pattern, so that the client
 * subscribes again after every re-handshake.
 */
import { CometD, type Message } from 'cometd';
import { adapt } from 'cometd-nodejs-client';

adapt();

export const TRANSPORTS = ['websocket', 'long-polling'] as const;
export type TransportType = (typeof TRANSPORTS)[number];
export const CHANNEL = '/v2/ucs/interactions';

export interface ClientOptions {
  transport: TransportType;
  /** `Basic …` / `Bearer …` in `ext.authorization` of every message. */
  ext?: string;
  /** Sent as the Authorization header of every long-polling request (the Node websocket cannot carry headers). */
  header?: string;
  /** Subscribe to CHANNEL after each successful handshake (default true). */
  subscribe?: boolean;
}

export class TestClient {
  readonly cometd = new CometD();
  /** `data` of every message received on CHANNEL, in order. */
  readonly received: Record<string, any>[] = [];
  readonly handshakes: Message[] = [];
  readonly connects: Message[] = [];
  readonly subscribes: Message[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    readonly url: string,
    readonly options: ClientOptions,
  ) {
    for (const other of ['websocket', 'long-polling', 'callback-polling']) {
      if (other !== options.transport) this.cometd.unregisterTransport(other);
    }
    this.cometd.configure({
      url: `${url}/api/v2/notifications`,
      logLevel: 'warn',
      maxBackoff: 500,
      ...(options.header ? { requestHeaders: { Authorization: options.header } } : {}),
    });
    // Every message proves its principal again (the server refuses a session's messages without it).
    if (options.ext) {
      const authorization = options.ext;
      this.cometd.registerExtension('ixvault-authorization', {
        outgoing: (m: Message) => {
          m.ext = { ...m.ext, authorization };
          return m;
        },
      });
    }
    this.cometd.addListener('/meta/handshake', (m) => {
      this.handshakes.push(m);
      if (m.successful && options.subscribe !== false) this.subscribe();
      this.wake();
    });
    this.cometd.addListener('/meta/connect', (m) => {
      this.connects.push(m);
      this.wake();
    });
  }

  subscribe(channel = CHANNEL): void {
    this.cometd.subscribe(
      channel,
      (m) => {
        this.received.push(m.data);
        this.wake();
      },
      (reply) => {
        this.subscribes.push(reply);
        this.wake();
      },
    );
  }

  /** Handshakes and resolves with the reply (successful or not). */
  handshake(): Promise<Message> {
    const props = this.options.ext ? { ext: { authorization: this.options.ext } } : {};
    return new Promise((resolve) => this.cometd.handshake(props, resolve));
  }

  /** Handshakes, expects success, and waits for the subscription to be confirmed. */
  async open(): Promise<this> {
    const reply = await this.handshake();
    if (!reply.successful) throw new Error(`handshake refused: ${reply.error}`);
    if (this.options.subscribe !== false) await this.until(() => this.subscribes.some((s) => s.successful), 'subscription');
    return this;
  }

  transport(): string | undefined {
    return this.cometd.getTransport()?.type;
  }

  publish(channel: string, data: unknown): Promise<Message> {
    return new Promise((resolve) => this.cometd.publish(channel, data, resolve));
  }

  /** The first received message matching, waiting for it. */
  async next(predicate: (data: Record<string, any>) => boolean = () => true, timeoutMs = 30_000): Promise<Record<string, any>> {
    await this.until(() => this.received.some(predicate), 'a message', timeoutMs);
    return this.received.find(predicate) as Record<string, any>;
  }

  async result(referenceId: number, timeoutMs = 30_000): Promise<Record<string, any>> {
    return this.next((d) => d.referenceId === referenceId, timeoutMs);
  }

  /** Waits until `condition` holds, re-checking whenever the client hears something. */
  until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what} (${this.options.transport})`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
      check();
    });
  }

  disconnect(): Promise<void> {
    if (this.cometd.isDisconnected()) return Promise.resolve();
    return new Promise((resolve) => this.cometd.disconnect(() => resolve()));
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
