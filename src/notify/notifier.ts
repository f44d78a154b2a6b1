/**
 * What a facade needs from notifications: hand a message to every session of
 * one principal. Kept this small so that a fan-out between several ixvault
 * processes (Redis pub/sub) can implement it later without touching facades.
 */
import type { Principal } from '../domain/principal.js';

/** A principal as notifications address it: tenant, kind and id. */
export type Recipient = string & { readonly __recipient: unique symbol };

export function recipientOf(principal: Principal): Recipient {
  return `${principal.tenant.id}/${principal.kind}/${principal.id}` as Recipient;
}

export interface Notifier {
  /**
   * Delivers `data` on `channel` to the recipient's subscribed sessions only.
   * Without one, the message is kept for a short time and delivered when a
   * session of the recipient subscribes.
   */
  deliver(recipient: Recipient, channel: string, data: Record<string, unknown>): void;
  /** The recipients with a session subscribed to `channel` (in this process). */
  listening(channel: string): Recipient[];
}
