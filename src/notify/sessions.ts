/**
 * The Bayeux sessions of this process: which principal owns each client, which
 * clients listen on each private channel, and the messages waiting for a
 * listener. Sessions live in faye's memory engine, so this state is per process
 * too.
 */
import type { Recipient } from './notifier.js';

interface Held {
  data: Record<string, unknown>;
  expiresAt: number;
}

export interface SessionsOptions {
  /** How long a message waits for a subscribed session of its recipient. */
  holdMs: number;
  /** Per channel; the oldest are dropped first, so a recipient that never subscribes cannot grow memory. */
  maxHeld: number;
  now?: () => number;
}

export class Sessions {
  private readonly owners = new Map<string, Recipient>();
  private readonly listeners = new Map<string, Set<string>>();
  private readonly channelsOf = new Map<string, Set<string>>();
  private readonly held = new Map<string, Held[]>();
  private readonly now: () => number;

  constructor(private readonly options: SessionsOptions) {
    this.now = options.now ?? Date.now;
  }

  open(clientId: string, recipient: Recipient): void {
    this.owners.set(clientId, recipient);
  }

  ownerOf(clientId: string | undefined): Recipient | undefined {
    return clientId === undefined ? undefined : this.owners.get(clientId);
  }

  subscribed(clientId: string, channel: string): void {
    addTo(this.listeners, channel, clientId);
    addTo(this.channelsOf, clientId, channel);
  }

  unsubscribed(clientId: string, channel: string): void {
    removeFrom(this.listeners, channel, clientId);
    removeFrom(this.channelsOf, clientId, channel);
  }

  /** The client disconnected or timed out. */
  closed(clientId: string): void {
    for (const channel of this.channelsOf.get(clientId) ?? []) removeFrom(this.listeners, channel, clientId);
    this.channelsOf.delete(clientId);
    this.owners.delete(clientId);
  }

  /** Every principal with an open session. */
  recipients(): Recipient[] {
    return [...new Set(this.owners.values())];
  }

  hasListeners(channel: string): boolean {
    return this.listeners.has(channel);
  }

  hold(channel: string, data: Record<string, unknown>): void {
    const queue = this.held.get(channel) ?? [];
    queue.push({ data, expiresAt: this.now() + this.options.holdMs });
    if (queue.length > this.options.maxHeld) queue.splice(0, queue.length - this.options.maxHeld);
    this.held.set(channel, queue);
  }

  /** Takes the unexpired messages held for a channel, oldest first. */
  release(channel: string): Record<string, unknown>[] {
    const queue = this.held.get(channel);
    if (!queue) return [];
    this.held.delete(channel);
    const now = this.now();
    return queue.filter((h) => h.expiresAt > now).map((h) => h.data);
  }

  /** Drops expired messages. */
  sweep(): void {
    const now = this.now();
    for (const [channel, queue] of this.held) {
      const live = queue.filter((h) => h.expiresAt > now);
      if (live.length === 0) this.held.delete(channel);
      else this.held.set(channel, live);
    }
  }
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
