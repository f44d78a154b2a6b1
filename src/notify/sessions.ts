/**
 * The Bayeux sessions of this process: which principal owns each client and
 * which clients listen on each private channel. Sessions live in faye's memory
 * engine, so this state is per process too; messages waiting for a listener
 * are the hub's (hub.ts).
 */
import type { Recipient } from './notifier.js';

export class Sessions {
  private readonly owners = new Map<string, Recipient>();
  private readonly listeners = new Map<string, Set<string>>();
  private readonly channelsOf = new Map<string, Set<string>>();

  open(clientId: string, recipient: Recipient): void {
    this.owners.set(clientId, recipient);
  }

  ownerOf(clientId: string | undefined): Recipient | undefined {
    return clientId === undefined ? undefined : this.owners.get(clientId);
  }

  /** Returns whether the channel had no listener in this process before. */
  subscribed(clientId: string, channel: string): boolean {
    const first = !this.listeners.has(channel);
    addTo(this.listeners, channel, clientId);
    addTo(this.channelsOf, clientId, channel);
    return first;
  }

  /** Returns whether the channel has no listener in this process any more. */
  unsubscribed(clientId: string, channel: string): boolean {
    const had = this.listeners.has(channel);
    removeFrom(this.listeners, channel, clientId);
    removeFrom(this.channelsOf, clientId, channel);
    return had && !this.listeners.has(channel);
  }

  /** The client disconnected or timed out; returns the channels left without a listener in this process. */
  closed(clientId: string): string[] {
    const emptied: string[] = [];
    for (const channel of this.channelsOf.get(clientId) ?? []) {
      removeFrom(this.listeners, channel, clientId);
      if (!this.listeners.has(channel)) emptied.push(channel);
    }
    this.channelsOf.delete(clientId);
    this.owners.delete(clientId);
    return emptied;
  }

  /** Every principal with an open session. */
  recipients(): Recipient[] {
    return [...new Set(this.owners.values())];
  }

  hasListeners(channel: string): boolean {
    return this.listeners.has(channel);
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
