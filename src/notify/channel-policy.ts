/**
 * What remote clients may do with channels. They may not publish at all (every
 * channel ixvault serves is written by the server alone). A subscription to an
 * owned channel is turned into one to the client principal's private twin on
 * the way in, and every reply and message is turned back on the way out, so
 * clients only ever see the public names.
 */
import type { IncomingMessage } from 'node:http';
import type { ChannelMap } from './channels.js';
import type { BayeuxMessage, FayeExtension, Pipe } from './faye.js';
import { MAX_SUBSCRIPTIONS_PER_SESSION, type Sessions } from './sessions.js';

const SUBSCRIPTION_CHANNELS = new Set(['/meta/subscribe', '/meta/unsubscribe']);
/** faye's unknown-client error (`401:<clientId>:Unknown client`); CometD servers say 402. */
const UNKNOWN_CLIENT = /^401:[^:]*:Unknown client$/;

export class ChannelPolicy implements FayeExtension {
  constructor(
    private readonly channels: ChannelMap,
    private readonly sessions: Sessions,
  ) {}

  incoming(message: BayeuxMessage, request: IncomingMessage | null, pipe: Pipe): void {
    // A null request is the server's own in-process client.
    // A message refused already (a malformed one among them: handshake-authentication.ts) keeps its error.
    if (request === null || message.error !== undefined) {
      pipe(message);
      return;
    }
    if (SUBSCRIPTION_CHANNELS.has(message.channel)) this.toPrivate(message);
    else if (!message.channel.startsWith('/meta/')) message.error = `403:${message.channel}:Publishing is not allowed`;
    pipe(message);
  }

  outgoing(message: BayeuxMessage, _request: IncomingMessage | null, pipe: Pipe): void {
    if (this.channels.isPrivate(message.channel)) {
      // A result: only its public channel and data. faye would forward the publisher's id and ext otherwise.
      pipe({ channel: this.channels.publicOf(message.channel), data: message.data });
      return;
    }
    if (SUBSCRIPTION_CHANNELS.has(message.channel) && message.subscription !== undefined) {
      // Only the client's own private channels were rewritten; a refused foreign name is answered as sent.
      const owner = this.sessions.ownerOf(message.clientId);
      message.subscription = mapSubscription(message.subscription, (c) => {
        const name = this.channels.publicOf(c);
        return owner !== undefined && this.channels.privateOf(owner, name) === c ? name : c;
      });
    }
    if (typeof message.error === 'string' && UNKNOWN_CLIENT.test(message.error)) {
      // The official client re-handshakes on this advice; its application resubscribes on /meta/handshake.
      message.error = '402::Unknown client';
      message.advice = { ...message.advice, reconnect: 'handshake', interval: 0 };
    }
    pipe(message);
  }

  private toPrivate(message: BayeuxMessage): void {
    const requested = message.subscription === undefined ? [] : [message.subscription].flat();
    const forbidden = requested.find((c) => this.channels.isForbiddenSubscription(c));
    if (forbidden !== undefined) {
      message.error = `403:${forbidden}:Forbidden channel`;
      return;
    }
    // An unknown client keeps the public name; faye then answers it with the unknown-client error.
    const owner = this.sessions.ownerOf(message.clientId);
    if (owner === undefined || message.subscription === undefined) return;
    message.subscription = mapSubscription(message.subscription, (c) =>
      this.channels.isOwned(c) ? this.channels.privateOf(owner, c) : c,
    );
    // Each subscription is memory for as long as the session lives: a session takes a bounded number.
    if (
      message.channel === '/meta/subscribe' &&
      !this.sessions.admitSubscriptions(message.clientId as string, [message.subscription].flat())
    )
      message.error = `429::a session may hold at most ${MAX_SUBSCRIPTIONS_PER_SESSION} subscriptions`;
  }
}

function mapSubscription(subscription: string | string[], map: (channel: string) => string): string | string[] {
  return Array.isArray(subscription) ? subscription.map(map) : map(subscription);
}
