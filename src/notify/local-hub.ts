/** The hub of a single process (embedded mode, or `--single-node`): listeners and held messages in memory. */
import { HeldMessages } from './held.js';
import type { HoldLimits, HubMessageHandler, NotificationHub } from './hub.js';
import type { Delivery } from './notifier.js';

export class LocalHub implements NotificationHub {
  private readonly held: HeldMessages;
  private readonly listening = new Set<string>();
  private handler: HubMessageHandler = () => {};

  constructor(limits: HoldLimits, now?: () => number) {
    this.held = new HeldMessages(limits, now);
  }

  async deliver(channel: string, data: Record<string, unknown>, force: boolean): Promise<Delivery> {
    if (this.listening.has(channel)) {
      this.handler(channel, data);
      return 'published';
    }
    return this.held.hold(channel, data, force) ? 'held' : 'refused';
  }

  async heldBytes(channel: string): Promise<number> {
    return this.held.heldBytes(channel);
  }

  async listen(channel: string): Promise<Record<string, unknown>[]> {
    this.listening.add(channel);
    return this.held.release(channel);
  }

  async unlisten(channel: string): Promise<void> {
    this.listening.delete(channel);
  }

  onMessage(handler: HubMessageHandler): void {
    this.handler = handler;
  }

  async sweep(): Promise<void> {
    this.held.sweep();
  }

  async close(): Promise<void> {}
}
