/**
 * Where Bayeux messages travel between the node that computes a result and
 * the nodes holding sessions of its recipient, and where a result waits while
 * no session listens. In one process (`LocalHub`) that is memory; in a
 * cluster (`src/cluster/redis-hub.ts`) it is Redis: pub/sub to the nodes that
 * listen, and a held list that outlives the node that created it.
 */
import type { Delivery } from './notifier.js';

export interface HoldLimits {
  /** How long a message waits for a subscribed session of its recipient. */
  holdMs: number;
  /** Per channel; the oldest are dropped first, so a recipient that never subscribes cannot grow memory. */
  maxHeld: number;
  /** Bytes (as JSON) held per channel, and in all: a message past either is refused, not held. */
  maxHeldBytesPerChannel: number;
  maxHeldBytes: number;
}

export type HubMessageHandler = (channel: string, data: Record<string, unknown>) => void;

export interface NotificationHub {
  /**
   * Hands `data` to every node listening on `channel` (a private channel),
   * or, when none listens, holds it; the check and the hold are one atomic
   * step, so a node that starts listening meanwhile either receives the
   * message or finds it held. `force` holds past the byte caps (a short notice).
   */
  deliver(channel: string, data: Record<string, unknown>, force: boolean): Promise<Delivery>;
  /** Bytes held for a channel. */
  heldBytes(channel: string): Promise<number>;
  /**
   * This process listens on `channel` from now on (its first local listener):
   * messages for it reach the handler. Resolves with the messages held for the
   * channel, taken (oldest first): the caller publishes them.
   */
  listen(channel: string): Promise<Record<string, unknown>[]>;
  /** This process has no listener on `channel` any more. */
  unlisten(channel: string): Promise<void>;
  /** Where messages for the channels this process listens on arrive; set once. */
  onMessage(handler: HubMessageHandler): void;
  /** Drops expired held messages. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}
