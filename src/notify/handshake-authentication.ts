/**
 * A Bayeux session belongs to the principal whose credentials opened it, and
 * every later message on it must prove that principal again (issue 8,
 * finding 8): a clientId is an identifier, not a credential, and travels in
 * logs and URLs. Credentials are, in order: an `ext.authorization` field
 * (`Basic …` or `Bearer …`, for clients that cannot set headers on a
 * websocket), else the request's Authorization header, else the session
 * cookie. For websocket the request is the upgrade request: a socket on which
 * a principal handshook (or proved itself) is bound to it for PROOF_TTL_MS, and
 * a message after that proves it again, with the same credentials as the
 * socket's (a cookie signed out, a password changed, a token expired or a
 * principal removed then end the socket: session 6). A sign-out ends the
 * sockets its cookies opened at once (`endSessions`).
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Authenticator, Credentials } from '../auth/authenticator.js';
import { isVaultError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { BayeuxMessage, FayeExtension, Pipe } from './faye.js';
import { wellFormed } from './message-shape.js';
import { type Recipient, recipientOf } from './notifier.js';
import type { Sessions } from './sessions.js';
import type { SocketRegistry } from './socket-registry.js';

const HANDSHAKE = '/meta/handshake';

/**
 * How long a socket's proof of its principal holds. A websocket is served for
 * as long as it stays open, and faye pushes results onto it without a message
 * from the client: without an end to the proof, credentials revoked after the
 * upgrade would go on hearing that principal's results. A client sends a
 * `/meta/connect` at least every COMETD timeout (30 s), so a proof is checked
 * again at most every that long; checking it costs a cached verification.
 */
export const PROOF_TTL_MS = 10_000;

/** A principal a request (a websocket's upgrade request) proved, when, and whether with the session cookie. */
interface Proof {
  at: number;
  bySession: boolean;
}

export class SessionAuthentication implements FayeExtension {
  /** The principal of the handshake in flight on a request, until its reply goes out. */
  private readonly authenticated = new WeakMap<IncomingMessage, { principal: Principal; bySession: boolean }>();
  /** Principals a request has proven (for websocket: everything sent on that socket). */
  private readonly proven = new WeakMap<IncomingMessage, Map<Recipient, Proof>>();

  constructor(
    private readonly auth: Authenticator,
    private readonly sessions: Sessions,
    /** The open websockets, by their upgrade request (websocket.ts opens them here). */
    readonly sockets: SocketRegistry,
    private readonly clientAddress: (request: IncomingMessage) => string | undefined,
    private readonly log: FastifyBaseLogger,
  ) {}

  incoming(received: BayeuxMessage, request: IncomingMessage | null, pipe: Pipe): void {
    // A null request is faye's in-process client, i.e. this server publishing.
    if (request === null) {
      pipe(received);
      return;
    }
    // First of the extensions: the others and faye read only messages of the shape they expect.
    const message = wellFormed(received);
    if (message.channel === HANDSHAKE) {
      const credentials = this.credentialsOf(message, request);
      this.auth
        .authenticate(credentials)
        .then(
          (principal) => {
            // A session is memory until it times out: a principal opens a bounded number (Sessions.reserve), and
            // so are the sockets it holds them on.
            const recipient = recipientOf(principal);
            if (!this.sockets.mayProve(request, recipient))
              message.error = '429::too many CometD websockets for this principal: close one first';
            else if (this.authenticated.has(request) || !this.sessions.reserve(recipient))
              message.error = '429::too many CometD sessions for this principal: disconnect one first';
            else this.authenticated.set(request, { principal, bySession: bySession(credentials) });
            pipe(message);
          },
          (err: unknown) => {
            message.error = `401::${this.reason(err)}`;
            pipe(message);
          },
        )
        .catch((err: unknown) => this.failed(err));
      return;
    }
    this.admit(message, request)
      .then((error) => {
        if (error !== undefined) message.error = error;
        pipe(message);
      })
      .catch((err: unknown) => this.failed(err));
  }

  /**
   * What faye or a later extension threw while this one's answer went on: a
   * bug, logged; never a rejection nobody handles (which ends the process).
   */
  private failed(err: unknown): void {
    this.log.error({ err }, 'CometD message failed');
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
    const handshook = refusedHere ? undefined : this.authenticated.get(request);
    const principal = handshook?.principal;
    if (!refusedHere) this.authenticated.delete(request);
    if (message.successful && message.clientId !== undefined && handshook && principal) {
      const recipient = recipientOf(principal);
      this.sessions.open(message.clientId, recipient);
      this.prove(request, recipient, handshook.bySession, true);
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
   * as unknown. A socket whose proof of the session's principal has lapsed and
   * fails again is closed: faye would otherwise go on pushing onto it.
   */
  async admit(message: BayeuxMessage, request: IncomingMessage): Promise<string | undefined> {
    if (message.channel === HANDSHAKE) return undefined;
    const owner = this.sessions.ownerOf(message.clientId);
    if (owner === undefined) return undefined;
    const proof = this.proven.get(request)?.get(owner);
    if (proof && Date.now() - proof.at < PROOF_TTL_MS) return undefined;
    const credentials = this.credentialsOf(message, request);
    let principal: Principal;
    try {
      principal = await this.auth.authenticate(credentials);
    } catch (err) {
      if (proof) this.disprove(request, owner);
      return `401::${this.reason(err)}`;
    }
    const recipient = recipientOf(principal);
    if (recipient !== owner) {
      if (proof) this.disprove(request, owner);
      return '403::this session belongs to another principal';
    }
    if (!this.prove(request, recipient, bySession(credentials))) {
      this.sockets.close(request);
      return '429::too many CometD websockets for this principal: close one first';
    }
    return undefined;
  }

  /**
   * The principal's session cookies were signed out: every socket of this
   * process bound to it by its cookie proves it again now, and is closed if
   * the cookie no longer does (one signed in again after the sign-out does).
   */
  async endSessions(recipient: Recipient): Promise<void> {
    const bound = this.sockets.proving(recipient).filter((request) => this.proven.get(request)?.get(recipient)?.bySession);
    await Promise.all(
      bound.map(async (request) => {
        const credentials = this.credentialsOf({ channel: '/meta/connect' }, request);
        const principal = await this.auth.authenticate(credentials).catch(() => undefined);
        if (!principal || !bySession(credentials) || recipientOf(principal) !== recipient) this.disprove(request, recipient);
      }),
    );
  }

  /** False, and nothing proven, when the request is a socket and its principal has all the sockets it may have. */
  private prove(request: IncomingMessage, recipient: Recipient, bySession: boolean, admitted = false): boolean {
    if (!this.sockets.proved(request, recipient, admitted)) return false;
    const proofs = this.proven.get(request);
    const proof = { at: Date.now(), bySession };
    if (proofs) proofs.set(recipient, proof);
    else this.proven.set(request, new Map([[recipient, proof]]));
    return true;
  }

  /** The request no longer proves the principal: a websocket of it is closed (after the reply under way). */
  private disprove(request: IncomingMessage, recipient: Recipient): void {
    this.proven.get(request)?.delete(recipient);
    this.sockets.close(request);
  }

  private credentialsOf(message: BayeuxMessage, request: IncomingMessage): Credentials {
    const ip = this.clientAddress(request);
    const fromExt = message.ext?.authorization;
    if (typeof fromExt === 'string') return { authorization: fromExt, ip };
    const credentials: Credentials = { authorization: request.headers.authorization, ip };
    if (cookieMayAuthenticate(request)) credentials.cookie = request.headers.cookie;
    return credentials;
  }

  private reason(err: unknown): string {
    if (isVaultError(err)) return err.message;
    this.log.error({ err }, 'CometD authentication failed');
    return 'authentication failed';
  }
}

/** Whether the Authenticator reads these credentials' session cookie (it reads a header first). */
function bySession(credentials: Credentials): boolean {
  return !credentials.authorization?.trim() && credentials.cookie !== undefined;
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
