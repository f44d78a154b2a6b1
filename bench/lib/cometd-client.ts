/**
 * One Genesys desktop as the benchmark plays it: the official CometD client
 * (cometd + cometd-nodejs-client) over websocket only, authenticated on the
 * handshake (`ext.authorization`, the Node websocket cannot carry headers),
 * subscribed to /v2/ucs/interactions; a request is a POST whose result is
 * the CometD message carrying its referenceId.
 */
import { CometD, type Message } from 'cometd';
import { adapt } from 'cometd-nodejs-client';

adapt();

export const CHANNEL = '/v2/ucs/interactions';

export interface HistoryResult {
  referenceId: number;
  messageType: string;
  interactions?: unknown[];
  errorMessage?: string;
}

export class DesktopClient {
  private readonly cometd = new CometD();
  private readonly waiting = new Map<number, (data: HistoryResult) => void>();
  /** Results that arrived before their POST's answer was read. */
  private readonly early = new Map<number, HistoryResult>();

  constructor(
    private readonly baseUrl: string,
    private readonly authorization: string,
  ) {
    for (const other of ['long-polling', 'callback-polling']) this.cometd.unregisterTransport(other);
    this.cometd.configure({ url: `${baseUrl}/api/v2/notifications`, logLevel: 'warn' });
  }

  /** Handshakes and waits for the subscription (re-subscribing after any re-handshake, as desktops do). */
  open(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('CometD session did not open in time')), timeoutMs);
      this.cometd.addListener('/meta/handshake', (m: Message) => {
        if (!m.successful) return;
        this.cometd.subscribe(
          CHANNEL,
          (message: Message) => this.deliver(message.data as HistoryResult),
          (reply: Message) => {
            if (reply.successful) {
              clearTimeout(timer);
              resolve();
            }
          },
        );
      });
      this.cometd.handshake({ ext: { authorization: this.authorization } }, (reply: Message) => {
        if (!reply.successful) {
          clearTimeout(timer);
          reject(new Error(`handshake refused: ${reply.error}`));
        }
      });
    });
  }

  /**
   * POSTs an operation and resolves with its CometD result. `origin`: where
   * the POST goes (by default where the session is; in a cluster, another node).
   */
  async request(path: string, body: unknown, timeoutMs = 30_000, origin = this.baseUrl): Promise<HistoryResult> {
    const res = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers: { authorization: this.authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { statusCode?: number; referenceId?: number };
    if (res.status !== 200 || answer.referenceId === undefined)
      throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(answer)}`);
    const referenceId = answer.referenceId;
    const arrived = this.early.get(referenceId);
    if (arrived) {
      this.early.delete(referenceId);
      return arrived;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(referenceId);
        reject(new Error(`no CometD result for referenceId ${referenceId}`));
      }, timeoutMs);
      this.waiting.set(referenceId, (data) => {
        clearTimeout(timer);
        resolve(data);
      });
    });
  }

  close(): Promise<void> {
    if (this.cometd.isDisconnected()) return Promise.resolve();
    return new Promise((resolve) => this.cometd.disconnect(() => resolve()));
  }

  private deliver(data: HistoryResult): void {
    const waiter = this.waiting.get(data.referenceId);
    if (waiter) {
      this.waiting.delete(data.referenceId);
      waiter(data);
    } else {
      this.early.set(data.referenceId, data);
    }
  }
}
