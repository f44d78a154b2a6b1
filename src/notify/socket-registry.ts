/**
 * The websockets of this process and what each has proven (session 6). A
 * websocket is a file descriptor and ~9 KB of memory for as long as it stays
 * open, and nothing in HTTP's own timeouts ends it: before, one client with no
 * credentials opened 10 000 sockets that said nothing and kept them (the
 * process's descriptors — 1 024 by default on many machines — are the limit
 * that ends every other connection). So a socket must prove a principal
 * within a grace, sockets not yet proven are few at any time (in all, and from
 * one client address), and a principal holds at most as many sockets as it may
 * hold sessions.
 */
import type { IncomingMessage } from 'node:http';
import type { Recipient } from './notifier.js';

/**
 * Sockets open and not yet proven, in all: a real client handshakes within
 * milliseconds of its upgrade, so only a flood holds many. Past it, upgrades
 * are refused (the official client then falls back to long-polling).
 */
export const MAX_UNPROVEN_SOCKETS = 512;
/**
 * Of those, from one client address (through the trusted proxies): one
 * flooding client then closes the door on its own address only, not on every
 * client's websockets. Generous for a contact center behind one NAT address,
 * whose desktops reconnecting at once each prove themselves within milliseconds.
 */
export const MAX_UNPROVEN_SOCKETS_PER_ADDRESS = 64;

export interface SocketLimits {
  /** How long a socket may stay open without proving a principal. */
  proveWithinMs: number;
  /** Sockets one principal may have proven at once (0: no limit). */
  perRecipient: number;
  /** The client address of an upgrade request, through the trusted proxies. */
  addressOf: (request: IncomingMessage) => string | undefined;
}

interface Watched {
  close(): void;
  /** Set until the socket proves a principal. */
  deadline: NodeJS.Timeout | undefined;
  address: string;
  recipients: Set<Recipient>;
}

export class SocketRegistry {
  private readonly sockets = new Map<IncomingMessage, Watched>();
  private unproven = 0;
  private readonly unprovenFrom = new Map<string, number>();
  private readonly countOf = new Map<Recipient, number>();

  constructor(private readonly limits: SocketLimits) {}

  /**
   * A socket being opened on `request`, and what closes it: undefined when
   * too many are unproven (refuse the upgrade), else what forgets it once closed.
   */
  open(request: IncomingMessage, close: () => void): (() => void) | undefined {
    const address = this.limits.addressOf(request) ?? '';
    const fromAddress = this.unprovenFrom.get(address) ?? 0;
    if (this.unproven >= MAX_UNPROVEN_SOCKETS || fromAddress >= MAX_UNPROVEN_SOCKETS_PER_ADDRESS) return undefined;
    this.unproven++;
    this.unprovenFrom.set(address, fromAddress + 1);
    const deadline = setTimeout(close, this.limits.proveWithinMs);
    deadline.unref();
    const watched: Watched = { close, deadline, address, recipients: new Set() };
    this.sockets.set(request, watched);
    return () => {
      this.settle(watched);
      for (const recipient of watched.recipients) this.uncount(recipient);
      this.sockets.delete(request);
    };
  }

  /** Whether the socket of `request` (if it is one) may prove `recipient`: it has, or the principal has sockets to spare. */
  mayProve(request: IncomingMessage, recipient: Recipient): boolean {
    const watched = this.sockets.get(request);
    if (!watched || watched.recipients.has(recipient) || this.limits.perRecipient <= 0) return true;
    return (this.countOf.get(recipient) ?? 0) < this.limits.perRecipient;
  }

  /**
   * The socket proved `recipient`: false, and nothing recorded, when that
   * principal has all the sockets it may have (a request that is no socket:
   * true). `admitted`: the caller checked `mayProve` before (a handshake), so it is recorded.
   */
  proved(request: IncomingMessage, recipient: Recipient, admitted = false): boolean {
    const watched = this.sockets.get(request);
    if (!watched) return true;
    if (!watched.recipients.has(recipient)) {
      if (!admitted && !this.mayProve(request, recipient)) return false;
      this.countOf.set(recipient, (this.countOf.get(recipient) ?? 0) + 1);
      watched.recipients.add(recipient);
    }
    this.settle(watched);
    return true;
  }

  /** The sockets that proved `recipient`. */
  proving(recipient: Recipient): IncomingMessage[] {
    return [...this.sockets].filter(([, watched]) => watched.recipients.has(recipient)).map(([request]) => request);
  }

  /** Closes the socket of `request` after this turn (so that the reply under way goes out first). */
  close(request: IncomingMessage): void {
    const watched = this.sockets.get(request);
    if (watched) setImmediate(watched.close);
  }

  private settle(watched: Watched): void {
    if (watched.deadline === undefined) return;
    clearTimeout(watched.deadline);
    watched.deadline = undefined;
    this.unproven--;
    const fromAddress = (this.unprovenFrom.get(watched.address) ?? 1) - 1;
    if (fromAddress > 0) this.unprovenFrom.set(watched.address, fromAddress);
    else this.unprovenFrom.delete(watched.address);
  }

  private uncount(recipient: Recipient): void {
    const count = (this.countOf.get(recipient) ?? 1) - 1;
    if (count > 0) this.countOf.set(recipient, count);
    else this.countOf.delete(recipient);
  }
}
