/**
 * Per-recipient channels. A client subscribes to a public channel such as
 * `/v2/ucs/interactions`; the server subscribes it, in faye, to that channel's
 * private twin for the client's principal, and publishes results only there.
 * faye's engine then queues a result for that principal's sessions alone:
 * nobody else's queue ever holds it, and no other client is woken for it.
 */
import { createHash } from 'node:crypto';
import type { Recipient } from './notifier.js';

/** The server's own namespace; clients may neither subscribe nor publish under it. */
const SERVER_ROOT = '/ixvault';
const PRIVATE_ROOT = `${SERVER_ROOT}/private/`;

export class ChannelMap {
  private readonly owned: ReadonlySet<string>;

  /** `owned`: the public channels only the server publishes on. */
  constructor(owned: readonly string[]) {
    this.owned = new Set(owned);
  }

  isOwned(channel: string): boolean {
    return this.owned.has(channel);
  }

  /** Subscribing to these could receive other principals' messages: the server's namespace, or everything. */
  isForbiddenSubscription(channel: string): boolean {
    return channel === '/**' || channel === SERVER_ROOT || channel.startsWith(`${SERVER_ROOT}/`);
  }

  privateOf(recipient: Recipient, channel: string): string {
    const key = createHash('sha256').update(recipient).digest('hex').slice(0, 32);
    return `${PRIVATE_ROOT}${key}${channel}`;
  }

  isPrivate(channel: string): boolean {
    return channel.startsWith(PRIVATE_ROOT);
  }

  /** The public channel a private one stands for; other channels are returned unchanged. */
  publicOf(channel: string): string {
    if (!this.isPrivate(channel)) return channel;
    const rest = channel.slice(PRIVATE_ROOT.length);
    const slash = rest.indexOf('/');
    return slash < 0 ? channel : rest.slice(slash);
  }
}
