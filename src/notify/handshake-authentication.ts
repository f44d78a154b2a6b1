/**
 * A Bayeux session belongs to the principal whose credentials opened it, and
 * every later message on it must prove that principal again (issue 8,
 * finding 8): a clientId is an identifier, not a credential, and travels in
 * logs and URLs. Credentials are, in order: an `ext.authorization` field
 * (`Basic …` or `Bearer …`, for clients that cannot set headers on a
 * websocket), else the request's Authorization header, else the session
 * cookie. For websocket the request is the upgrade request: a socket on which
 * a principal handshook (or proved itself once) stays bound to it.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Authenticator, Credentials } from '../auth/authenticator.js';
import { isVaultError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { BayeuxMessage, FayeExtension, Pipe } from './faye.js';
import { type Recipient, recipientOf } from './notifier.js';
import type { Sessions } from './sessions.js';

const HANDSHAKE = '/meta/handshake';

export class SessionAuthentication implements FayeExtension {
  /** The principal of the handshake in flight on a request, until its reply goes out. */
  private readonly authenticated = new WeakMap<IncomingMessage, Principal>();
  /** Principals a request has proven (for websocket: everything sent on that socket). */
  private readonly proven = new WeakMap<IncomingMessage, Set<Recipient>>();

  constructor(
    private readonly auth: Authenticator,
    private readonly sessions: Sessions,
    private readonly log: FastifyBaseLogger,
  ) {}

  incoming(message: BayeuxMessage, request: IncomingMessage | null, pipe: Pipe): void {
    // A null request is faye's in-process client, i.e. this server publishing.
    if (request === null) {
      pipe(message);
      return;
    }
    if (message.channel === HANDSHAKE) {
      this.auth.authenticate(credentialsOf(message, request)).then(
        (principal) => {
          // A session is memory until it times out: a principal opens a bounded number (Sessions.reserve).
          if (this.authenticated.has(request) || !this.sessions.reserve(recipientOf(principal)))
            message.error = '429::too many CometD sessions for this principal: disconnect one first';
          else this.authenticated.set(request, principal);
          pipe(message);
        },
        (err: unknown) => {
          message.error = `401::${this.reason(err)}`;
          pipe(message);
        },
      );
      return;
    }
    this.admit(message, request).then((error) => {
      if (error !== undefined) message.error = error;
      pipe(message);
    });
  }

  outgoing(message: BayeuxMessage, request: IncomingMessage | null, pipe: Pipe): void {
    if (request === null) {
      pipe(message);
      return;
    }
    if (message.channel !== HANDSHAKE) {
      if (typeof message.error === 'string' && /^40[13]::/.test(message.error)) {
        // Refused for its credentials: retrying the same would fail again.
        delete message.clientId;
        message.advice = { reconnect: 'none' };
      }
      pipe(message);
      return;
    }
    // A handshake this extension refused (credentials, or crowded) took no place: the request's entry, if
    // any, is another handshake's, still in flight.
    const refusedHere = typeof message.error === 'string' && /^(401|429)::/.test(message.error);
    const crowded = refusedHere && (message.error as string).startsWith('429:');
    const principal = refusedHere ? undefined : this.authenticated.get(request);
    if (!refusedHere) this.authenticated.delete(request);
    if (message.successful && message.clientId !== undefined && principal) {
      const recipient = recipientOf(principal);
      this.sessions.open(message.clientId, recipient);
      this.prove(request, recipient);
    } else {
      if (principal) this.sessions.release(recipientOf(principal));
      // faye advises `handshake` after a refusal, and the client would retry forever; a principal with all
      // its sessions open may try again once one of them has gone (an unused one times out within a minute).
      message.successful = false;
      message.error ??= '401::authentication required';
      delete message.clientId;
      message.advice = crowded ? { reconnect: 'handshake', interval: 10_000 } : { reconnect: 'none' };
    }
    pipe(message);
  }

  /**
   * Whether a message after the handshake may act on its session: undefined
   * if so, else the Bayeux error. An unknown clientId passes: faye answers it
   * as unknown.
   */
  async admit(message: BayeuxMessage, request: IncomingMessage): Promise<string | undefined> {
    if (message.channel === HANDSHAKE) return undefined;
    const owner = this.sessions.ownerOf(message.clientId);
    if (owner === undefined || this.proven.get(request)?.has(owner)) return undefined;
    let principal: Principal;
    try {
      principal = await this.auth.authenticate(credentialsOf(message, request));
    } catch (err) {
      return `401::${this.reason(err)}`;
    }
    const recipient = recipientOf(principal);
    if (recipient !== owner) return '403::this session belongs to another principal';
    this.prove(request, recipient);
    return undefined;
  }

  private prove(request: IncomingMessage, recipient: Recipient): void {
    const set = this.proven.get(request);
    if (set) set.add(recipient);
    else this.proven.set(request, new Set([recipient]));
  }

  private reason(err: unknown): string {
    if (isVaultError(err)) return err.message;
    this.log.error({ err }, 'CometD authentication failed');
    return 'authentication failed';
  }
}

function credentialsOf(message: BayeuxMessage, request: IncomingMessage): Credentials {
  const ip = request.socket.remoteAddress;
  const fromExt = message.ext?.authorization;
  if (typeof fromExt === 'string') return { authorization: fromExt, ip };
  const credentials: Credentials = { authorization: request.headers.authorization, ip };
  if (cookieMayAuthenticate(request)) credentials.cookie = request.headers.cookie;
  return credentials;
}

/**
 * The cookie authenticates only what a foreign page cannot forge: browsers
 * send cookies on any page's websocket upgrade, and a script tag's GET
 * (JSON-P) carries cookies without an Origin. So: POSTs and websocket
 * upgrades, from this server's own origin when they name one (foreign origins
 * that are not configured never get this far: see http-gate.ts).
 */
function cookieMayAuthenticate(request: IncomingMessage): boolean {
  if (request.method === 'GET' && request.headers.upgrade === undefined) return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
