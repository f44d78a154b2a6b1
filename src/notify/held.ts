/**
 * Messages waiting, in this process's memory, for a session of their
 * recipient: per channel, bounded in count, bytes and time.
 */
import type { HoldLimits } from './hub.js';

interface Held {
  data: Record<string, unknown>;
  bytes: number;
  expiresAt: number;
}

export class HeldMessages {
  private readonly held = new Map<string, Held[]>();
  private totalHeldBytes = 0;
  private readonly now: () => number;

  constructor(
    private readonly limits: HoldLimits,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
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
      (channelBytes + bytes > this.limits.maxHeldBytesPerChannel || this.totalHeldBytes + bytes > this.limits.maxHeldBytes)
    )
      return false;
    queue.push({ data, bytes, expiresAt: this.now() + this.limits.holdMs });
    this.totalHeldBytes += bytes;
    if (queue.length > this.limits.maxHeld) this.forget(queue.splice(0, queue.length - this.limits.maxHeld));
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
