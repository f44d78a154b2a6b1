/**
 * What a facade needs from notifications: hand a message to every session of
 * one principal, on whichever node of a cluster the session lives (the hub,
 * hub.ts, carries it there). Asynchronous because a cluster asks Redis.
 */
import type { Principal } from '../domain/principal.js';

/** A principal as notifications address it: tenant, kind and id. */
export type Recipient = string & { readonly __recipient: unique symbol };

export function recipientOf(principal: Principal): Recipient {
  return `${principal.tenant.id}/${principal.kind}/${principal.id}` as Recipient;
}

/** A user of a tenant, as notifications address it (the same as recipientOf gives for that user). */
export function userRecipient(tenantId: string, userId: string): Recipient {
  return `${tenantId}/user/${userId}` as Recipient;
}

/** `refused`: nobody listened and holding it would pass a byte cap. */
export type Delivery = 'published' | 'held' | 'refused';

export interface Notifier {
  /**
   * Delivers `data` on `channel` to the recipient's subscribed sessions only.
   * Without one, the message is kept for a short time and delivered when a
   * session of the recipient subscribes, unless that would pass a byte cap
   * (`refused`); `force` holds a short notice past the byte caps.
   */
  deliver(recipient: Recipient, channel: string, data: Record<string, unknown>, force?: boolean): Promise<Delivery>;
  /** Bytes of messages on `channel` waiting for a session of the recipient (on any node). */
  heldBytes(recipient: Recipient, channel: string): Promise<number>;
  /**
   * Publishes to the recipient's sessions in this process only, now or never:
   * for messages every node produces for its own sessions (the live feed),
   * which through the hub would reach a session once per node.
   */
  deliverHere(recipient: Recipient, channel: string, data: Record<string, unknown>): void;
  /** The recipients with a session subscribed to `channel` (in this process). */
  listening(channel: string): Recipient[];
}
