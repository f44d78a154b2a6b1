/**
 * A Bayeux session belongs to the principal whose credentials opened it. The
 * handshake is authenticated like an API call: an `ext.authorization` field
 * (`Basic …` or `Bearer …`, for clients that cannot set headers on a
 * websocket), else the request's Authorization header, else the session
 * cookie. For websocket the request is the upgrade request, so a browser's
 * cookie counts there too.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Authenticator, Credentials } from '../auth/authenticator.js';
import { isVaultError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { BayeuxMessage, FayeExtension, Pipe } from './faye.js';
import { recipientOf } from './notifier.js';
import type { Sessions } from './sessions.js';

const HANDSHAKE = '/meta/handshake';

export class HandshakeAuthentication implements FayeExtension {
  /** The principal of the handshake in flight on a request, until its reply goes out. */
  private readonly authenticated = new WeakMap<IncomingMessage, Principal>();

  constructor(
    private readonly auth: Authenticator,
    private readonly sessions: Sessions,
    private readonly log: FastifyBaseLogger,
  ) {}

  incoming(message: BayeuxMessage, request: IncomingMessage | null, pipe: Pipe): void {
    // A null request is faye's in-process client, i.e. this server publishing.
    if (message.channel !== HANDSHAKE || request === null) {
      pipe(message);
      return;
    }
    this.auth.authenticate(credentialsOf(message, request)).then(
      (principal) => {
        this.authenticated.set(request, principal);
        pipe(message);
      },
      (err: unknown) => {
        if (!isVaultError(err)) this.log.error({ err }, 'CometD handshake authentication failed');
        message.error = `401::${isVaultError(err) ? err.message : 'authentication failed'}`;
        pipe(message);
      },
    );
  }

  outgoing(message: BayeuxMessage, request: IncomingMessage | null, pipe: Pipe): void {
    if (message.channel !== HANDSHAKE || request === null) {
      pipe(message);
      return;
    }
    const principal = this.authenticated.get(request);
    this.authenticated.delete(request);
    if (message.successful && message.clientId !== undefined && principal) {
      this.sessions.open(message.clientId, recipientOf(principal));
    } else {
      // faye advises `handshake` after a refusal, and the client would retry forever.
      message.successful = false;
      message.error ??= '401::authentication required';
      delete message.clientId;
      message.advice = { reconnect: 'none' };
    }
    pipe(message);
  }
}

function credentialsOf(message: BayeuxMessage, request: IncomingMessage): Credentials {
  const fromExt = message.ext?.authorization;
  if (typeof fromExt === 'string') return { authorization: fromExt };
  const credentials: Credentials = { authorization: request.headers.authorization };
  if (cookieMayAuthenticate(request)) credentials.cookie = request.headers.cookie;
  return credentials;
}

/**
 * The cookie authenticates only what a foreign page cannot forge and read:
 * faye answers cross-origin long-polling with credentials allowed, browsers
 * send cookies on any page's websocket upgrade, and a script tag's GET
 * (faye's JSON-P transport) carries cookies without an Origin. So: POSTs and
 * websocket upgrades, from this server's own origin when they name one.
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
