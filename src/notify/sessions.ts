/**
 * The Bayeux sessions of this process: which principal owns each client, which
 * clients listen on each private channel, and the messages waiting for a
 * listener. Sessions live in faye's memory engine, so this state is per process
 * too.
 */
import type { Recipient } from './notifier.js';

interface Held {
  data: Record<string, unknown>;
  bytes: number;
  expiresAt: number;
}

export interface SessionsOptions {
  /** How long a message waits for a subscribed session of its recipient. */
  holdMs: number;
  /** Per channel; the oldest are dropped first, so a recipient that never subscribes cannot grow memory. */
  maxHeld: number;
  /** Bytes (as JSON) held per channel, and in all: a message past either is refused, not held. */
  maxHeldBytesPerChannel: number;
  maxHeldBytes: number;
  now?: () => number;
}

export class Sessions {
  private readonly owners = new Map<string, Recipient>();
  private readonly listeners = new Map<string, Set<string>>();
  private readonly channelsOf = new Map<string, Set<string>>();
  private readonly held = new Map<string, Held[]>();
  private totalHeldBytes = 0;
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

  /**
   * Keeps a message until a session subscribes to the channel. Returns false
   * when it would take the channel or the process past its byte cap: the
   * caller then holds a short notice instead (`force`, which only the count
   * cap bounds), so that the recipient learns what was lost.
   */
  hold(channel: string, data: Record<string, unknown>, force = false): boolean {
    const bytes = Buffer.byteLength(JSON.stringify(data));
    const queue = this.held.get(channel) ?? [];
    const channelBytes = queue.reduce((sum, h) => sum + h.bytes, 0);
    if (
      !force &&
      (channelBytes + bytes > this.options.maxHeldBytesPerChannel || this.totalHeldBytes + bytes > this.options.maxHeldBytes)
    )
      return false;
    queue.push({ data, bytes, expiresAt: this.now() + this.options.holdMs });
    this.totalHeldBytes += bytes;
    if (queue.length > this.options.maxHeld) this.forget(queue.splice(0, queue.length - this.options.maxHeld));
    this.held.set(channel, queue);
    return true;
  }

  /** Bytes held for a channel. */
  heldBytes(channel: string): number {
    return (this.held.get(channel) ?? []).reduce((sum, h) => sum + h.bytes, 0);
  }

  /** Bytes held for every channel. */
  get totalBytes(): number {
    return this.totalHeldBytes;
  }

  /** Takes the unexpired messages held for a channel, oldest first. */
  release(channel: string): Record<string, unknown>[] {
    const queue = this.held.get(channel);
    if (!queue) return [];
    this.held.delete(channel);
    this.forget(queue);
    const now = this.now();
    return queue.filter((h) => h.expiresAt > now).map((h) => h.data);
  }

  /** Drops expired messages. */
  sweep(): void {
    const now = this.now();
    for (const [channel, queue] of this.held) {
      const live = queue.filter((h) => h.expiresAt > now);
      this.forget(queue.filter((h) => h.expiresAt <= now));
      if (live.length === 0) this.held.delete(channel);
      else this.held.set(channel, live);
    }
  }

  private forget(dropped: Held[]): void {
    for (const h of dropped) this.totalHeldBytes -= h.bytes;
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
