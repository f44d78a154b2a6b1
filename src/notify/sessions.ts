/**
 * The Bayeux sessions of this process: which principal owns each client and
 * which clients listen on each private channel. Sessions live in faye's memory
 * engine, so this state is per process too; messages waiting for a listener
 * are the hub's (hub.ts).
 */
import type { Recipient } from './notifier.js';

/**
 * Subscriptions one session may hold (a desktop takes one or two; faye keeps
 * each in memory for as long as the session polls).
 */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 64;

export class Sessions {
  private readonly owners = new Map<string, Recipient>();
  private readonly listeners = new Map<string, Set<string>>();
  private readonly channelsOf = new Map<string, Set<string>>();
  /** Sessions open or being opened, per principal: what `reserve` bounds. */
  private readonly sessionsOf = new Map<Recipient, number>();
  /** The channels each session was allowed to subscribe to (counted before faye subscribes it). */
  private readonly admitted = new Map<string, Set<string>>();

  /** `perRecipient`: sessions one principal may have open at once (0: no limit). */
  constructor(private readonly perRecipient = 0) {}

  /**
   * Takes a place for a session of `recipient` about to be opened; false when
   * it has all it may have. Each place taken is given back by `open` (then
   * `closed`) or by `release`.
   */
  reserve(recipient: Recipient): boolean {
    const count = this.sessionsOf.get(recipient) ?? 0;
    if (this.perRecipient > 0 && count >= this.perRecipient) return false;
    this.sessionsOf.set(recipient, count + 1);
    return true;
  }

  /** A reserved place whose session was not opened after all. */
  release(recipient: Recipient): void {
    const count = (this.sessionsOf.get(recipient) ?? 0) - 1;
    if (count > 0) this.sessionsOf.set(recipient, count);
    else this.sessionsOf.delete(recipient);
  }

  /** A session opened on a place `reserve` took. */
  open(clientId: string, recipient: Recipient): void {
    this.owners.set(clientId, recipient);
  }

  /**
   * Whether a session may subscribe to these channels as well: it keeps at
   * most MAX_SUBSCRIPTIONS_PER_SESSION (channels it has count once). Counted
   * here, before faye subscribes, so a batch of subscriptions cannot overtake it.
   */
  admitSubscriptions(clientId: string, channels: string[]): boolean {
    const had = this.admitted.get(clientId) ?? new Set<string>();
    const adding = new Set(channels.filter((c) => !had.has(c)));
    if (had.size + adding.size > MAX_SUBSCRIPTIONS_PER_SESSION) return false;
    for (const channel of adding) had.add(channel);
    this.admitted.set(clientId, had);
    return true;
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
    removeFrom(this.admitted, clientId, channel);
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
    this.admitted.delete(clientId);
    const owner = this.owners.get(clientId);
    if (owner !== undefined) {
      this.owners.delete(clientId);
      this.release(owner);
    }
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
