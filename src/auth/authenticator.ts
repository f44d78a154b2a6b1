/**
 * Turns credentials into a Principal: HTTP Basic for users, OAuth2 client
 * credentials exchanged for short-lived JWT bearer tokens, and a signed
 * session cookie (set after a Basic-authenticated call) so that a browser's
 * CometD websocket is authenticated like its API calls.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { errors } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { ClientEntry, Directory, UserEntry } from './directory.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordPool, verifyPassword } from './passwords.js';
import type { Keys } from './secrets.js';

export const SESSION_COOKIE = 'ixv_session';
const ISSUER = 'ixvault';
const CACHE_LIMIT = 10_000;
const CACHE_MS = 5 * 60_000;
const SESSION_TTL_SECONDS = 12 * 3600;
const SESSION_REUSE_MS = 3600_000;
/** What every token must be: ours, HMAC-signed, and expiring (a token without `exp` would be valid forever). */
const VERIFY = { issuer: ISSUER, algorithms: ['HS256'], requiredClaims: ['exp'] };
/**
 * Checked against when the name is unknown, so that an unknown name costs the
 * same scrypt time as a wrong password and answer times do not reveal names.
 */
const UNKNOWN_PRINCIPAL_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface Credentials {
  authorization?: string | undefined;
  cookie?: string | undefined;
  /** The caller's address, for throttling failed password checks per IP. */
  ip?: string | undefined;
}

/** Password checking: its threads and queue (see passwords.ts) and the failed-login throttles. */
export interface PasswordCheckOptions {
  workers: number;
  queue: number;
}

/** Per user name or client id: 5 free failures, then 1 s doubling up to a minute (a short lockout bounds what a stranger can do to a real user). */
const NAME_THROTTLE = { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 15 * 60_000, maxKeys: 100_000 };
/** Per IP address: 20 free failures, then 1 s doubling up to 15 minutes. */
/**
 * A refused check is answered only after this long (or half the rest of the
 * wait, if shorter): the progressive delay. Answering at once would let a few
 * looping connections turn refusals into a flood of their own.
 */
const TARPIT_MS = 1000;
const IP_THROTTLE = {
  freeFailures: 20,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxKeys: 100_000,
};

/**
 * When users signed out, shared by every node (the database). A session
 * cookie is a signed token, valid 12 hours wherever it is presented; without
 * this, signing out only cleared the browser's copy, and a copied cookie went
 * on working.
 */
export interface SessionRevocations {
  /** When the user last signed out (ms since the epoch), 0 if never. */
  signedOutAt(tenantId: string, userId: string): Promise<number>;
  signOut(tenantId: string, userId: string, atMs: number): Promise<void>;
}

/** A user's sign-out: every session cookie of theirs signed until `atMs` is refused. */
export interface SignOut {
  tenantId: string;
  userId: string;
  atMs: number;
}

/** How long a node trusts what it read of a user's sign-out: another node's sign-out reaches it within this. */
const SIGN_OUT_CACHE_MS = 1000;

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export class Authenticator {
  /**
   * scrypt is slow on purpose; remember recent successful password checks
   * (Basic headers, client secrets) by a keyed hash of the credential, so a
   * legitimate client pays scrypt once per CACHE_MS. The key is random per
   * process, so the cache holds nothing a password could be tested against.
   */
  private readonly verified = new Map<string, { principal: Principal; until: number }>();
  private readonly cacheKey = randomBytes(32);
  private readonly verifying = new Map<string, Promise<Principal>>();
  /** Bumped by reload: a check that began before it must not fill the cache after it. */
  private generation = 0;
  private readonly nameThrottle = new LoginThrottle(NAME_THROTTLE);
  private readonly ipThrottle = new LoginThrottle(IP_THROTTLE);
  private passwords = new PasswordPool({ workers: 1, queue: 64 });
  /**
   * Bearer tokens verified, by the token itself (see fromBearer): a token is
   * no secret this process could not mint again with the key it holds, and
   * hashing it as the password cache does cost more than looking it up.
   * Oldest first, so the first key is the one to drop when full.
   */
  private readonly bearers = new Map<string, { principal: Principal; until: number }>();
  /** Session tokens recently signed, by tenant and user (see sessionFor). */
  private readonly sessionCache = new Map<string, { token: string; signedMs: number; until: number }>();
  /** What this node last read of users' sign-outs, by tenant and user (see fromSession). */
  private readonly signOuts = new Map<string, { atMs: number; until: number }>();
  /** Told of each sign-out made here (to end live sessions, on every node). */
  private readonly signOutListeners = new Set<(signOut: SignOut) => void>();
  /** Credential stamps (stampOf) computed so far, by key and stored hash. */
  private readonly stamps = new Map<Uint8Array, Map<string, string>>();

  constructor(
    private current: Directory,
    private readonly keys: Keys,
    readonly tokenTtlSeconds = 3600,
    /** Undefined (the `token` command): sessions are not read here. */
    private readonly revocations?: SessionRevocations,
  ) {}

  get directory(): Directory {
    return this.current;
  }

  /** New principals (a reloaded configuration): every cached verification and failure count is forgotten. */
  reload(directory: Directory): void {
    this.current = directory;
    this.generation++;
    this.verifying.clear();
    this.verified.clear();
    this.bearers.clear();
    this.sessionCache.clear();
    this.signOuts.clear();
    this.nameThrottle.clear();
    this.ipThrottle.clear();
  }

  /** Sizes the password threads and queue; the previous pool is closed. */
  async configurePasswordChecks(options: PasswordCheckOptions): Promise<void> {
    const previous = this.passwords;
    this.passwords = new PasswordPool(options);
    await previous.close();
  }

  /** Stops the password threads. */
  close(): Promise<void> {
    return this.passwords.close();
  }

  async authenticate(credentials: Credentials): Promise<Principal> {
    const header = credentials.authorization?.trim();
    if (header) return this.fromAuthorization(header, credentials.ip);
    const session = credentials.cookie ? readCookie(credentials.cookie, SESSION_COOKIE) : undefined;
    if (session) return this.fromSession(session);
    throw errors.unauthenticated();
  }

  /**
   * The principal of a bearer token this node verified and still remembers
   * (fromBearer), answered without a promise: the same cache, the same expiry
   * and the same reload, so it refuses nothing authenticate would accept and
   * accepts nothing it would refuse. Undefined for anything else (another
   * scheme, a token not remembered or expired): ask authenticate.
   */
  known(credentials: Credentials): Principal | undefined {
    const header = credentials.authorization?.trim();
    if (!header) return undefined;
    const space = header.indexOf(' ');
    if (space <= 0 || header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
    return this.rememberedBearer(header.slice(space + 1).trim());
  }

  /** An `Authorization` header value: `Basic …` or `Bearer …`. */
  async fromAuthorization(header: string, ip?: string): Promise<Principal> {
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (space > 0 && scheme === 'basic') return this.fromBasic(value, ip);
    if (space > 0 && scheme === 'bearer') return this.fromBearer(value);
    throw errors.unauthenticated('unsupported authorization scheme; use Basic or Bearer');
  }

  private async fromBasic(encoded: string, ip: string | undefined): Promise<Principal> {
    const cacheKey = this.keyOf('basic', encoded);
    const cached = this.cached(cacheKey);
    if (cached) return cached;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw errors.unauthenticated('malformed Basic credentials');
    const userName = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const generation = this.generation;
    return this.once(cacheKey, async () => {
      const user = this.directory.usersByName.get(userName);
      const valid = await this.checkPassword(`user:${userName}`, ip, password, user?.passwordHash);
      if (!valid || !user) throw errors.unauthenticated('invalid user name or password');
      return this.remember(cacheKey, userPrincipal(user), generation);
    });
  }

  /**
   * One verification per credential at a time: a client that opens many
   * connections at once with a credential not yet cached waits for the first
   * check instead of queueing one scrypt each (and being refused as busy).
   */
  private once(cacheKey: string, verify: () => Promise<Principal>): Promise<Principal> {
    const running = this.verifying.get(cacheKey);
    if (running) return running;
    const started = verify().finally(() => this.verifying.delete(cacheKey));
    this.verifying.set(cacheKey, started);
    return started;
  }

  /**
   * One password check under the throttles: refused at once while the name or
   * the IP waits after failures, counted as a failure when wrong. An unknown
   * name is checked against a dummy hash, so that it costs the same time.
   */
  private async checkPassword(name: string, ip: string | undefined, password: string, hash: string | undefined) {
    const wait = Math.max(this.nameThrottle.waitMs(name), ip === undefined ? 0 : this.ipThrottle.waitMs(ip));
    if (wait > 0) {
      const tarpit = Math.min(wait / 2, TARPIT_MS);
      await new Promise((resolve) => setTimeout(resolve, tarpit));
      throw errors.loginThrottled(Math.max(1, Math.ceil((wait - tarpit) / 1000)));
    }
    const valid = await verifyPassword(password, hash ?? UNKNOWN_PRINCIPAL_HASH, this.passwords);
    if (valid && hash !== undefined) {
      this.nameThrottle.succeeded(name);
      return true;
    }
    this.nameThrottle.failed(name);
    if (ip !== undefined) this.ipThrottle.failed(ip);
    return false;
  }

  private keyOf(kind: string, credential: string): string {
    return createHmac('sha256', this.cacheKey).update(kind).update('\0').update(credential).digest('base64');
  }

  private cached(key: string): Principal | undefined {
    const hit = this.verified.get(key);
    if (hit && hit.until > Date.now()) return hit.principal;
    if (hit) this.verified.delete(key);
    return undefined;
  }

  /** Remembers a password check for CACHE_MS. */
  private remember(key: string, principal: Principal, generation: number): Principal {
    if (generation !== this.generation) return principal;
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    this.verified.set(key, { principal, until: Date.now() + CACHE_MS });
    return principal;
  }

  /**
   * A bearer token is verified once and then remembered (by the exact token)
   * until it expires, CACHE_MS at most, or the principals are reloaded:
   * verifying the signature on every request was 10 % of the server's CPU on a
   * Vonage page (docs/BENCHMARKS.md, "Pages against static bytes"). Only a
   * verified token is remembered: a refused one is checked again every time.
   */
  private async fromBearer(token: string): Promise<Principal> {
    const remembered = this.rememberedBearer(token);
    if (remembered) return remembered;
    const generation = this.generation;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.keys.token, { ...VERIFY, audience: 'api' }));
    } catch {
      throw errors.unauthenticated('invalid or expired bearer token');
    }
    const client = this.directory.clients.get(String(payload.sub));
    if (!client || client.tenant.id !== payload.tid) throw errors.unauthenticated('the token names no known client');
    if (payload.cv !== this.stampOf(this.keys.token, client.credential))
      throw errors.unauthenticated("the client's secret changed since this token was issued");
    const granted = new Set(
      String(payload.scope ?? '')
        .split(' ')
        .filter(Boolean),
    );
    // Scopes removed from the client since the token was issued no longer count.
    const scopes = new Set([...granted].filter((s) => client.scopes.includes(s)));
    const principal: Principal = { kind: 'client', tenant: client.tenant, id: client.clientId, scopes };
    // A verification that began before a reload must not fill the cache after it.
    if (generation !== this.generation) return principal;
    if (this.bearers.size >= CACHE_LIMIT) this.bearers.delete(this.bearers.keys().next().value as string);
    // exp is required (VERIFY): the remembered check ends when the token does.
    this.bearers.set(token, { principal, until: Math.min(Date.now() + CACHE_MS, Number(payload.exp) * 1000) });
    return principal;
  }

  /** A verified bearer token's principal while it is remembered (see fromBearer); an expired entry is dropped. */
  private rememberedBearer(token: string): Principal | undefined {
    const hit = this.bearers.get(token);
    if (hit && hit.until > Date.now()) return hit.principal;
    if (hit) this.bearers.delete(token);
    return undefined;
  }

  private async fromSession(token: string): Promise<Principal> {
    let user: UserEntry | undefined;
    let signedMs = 0;
    let stamp: unknown;
    try {
      const { payload } = await jwtVerify(token, this.keys.session, { ...VERIFY, audience: 'session' });
      user = this.directory.usersById.get(`${payload.tid}/${payload.sub}`);
      stamp = payload.cv;
      // `sat`: when it was signed, in ms (tokens of earlier releases have only `iat`, in seconds).
      signedMs = typeof payload.sat === 'number' ? payload.sat : Number(payload.iat ?? 0) * 1000;
    } catch {
      // refused below
    }
    if (!user) throw errors.unauthenticated('invalid or expired session');
    if (stamp !== this.stampOf(this.keys.session, user.credential))
      throw errors.unauthenticated('the password changed since this session began; sign in again');
    if (signedMs <= (await this.signedOutAt(user.tenant.id, user.id)))
      throw errors.unauthenticated('this session was signed out; sign in again');
    return userPrincipal(user);
  }

  /** When the user last signed out, as this node read it at most SIGN_OUT_CACHE_MS ago. */
  private async signedOutAt(tenantId: string, userId: string): Promise<number> {
    if (!this.revocations) return 0;
    const key = `${tenantId}/${userId}`;
    const now = Date.now();
    const known = this.signOuts.get(key);
    if (known && known.until > now) return known.atMs;
    const read = await this.revocations.signedOutAt(tenantId, userId);
    // A sign-out this node recorded meanwhile is not forgotten by a read that began before it.
    const atMs = Math.max(read, this.signOuts.get(key)?.atMs ?? 0);
    if (this.signOuts.size >= CACHE_LIMIT) this.signOuts.clear();
    this.signOuts.set(key, { atMs, until: now + SIGN_OUT_CACHE_MS });
    return atMs;
  }

  /**
   * Signs the user out everywhere: every session cookie signed until now is
   * refused from now on, on this node at once and on the others within
   * SIGN_OUT_CACHE_MS. Calls with a password or a token are not sessions and go on.
   */
  async signOut(principal: Principal): Promise<void> {
    if (principal.kind !== 'user' || !this.revocations) return;
    const key = `${principal.tenant.id}/${principal.id}`;
    const atMs = Date.now();
    await this.revocations.signOut(principal.tenant.id, principal.id, atMs);
    this.sessionCache.delete(key);
    this.signOuts.set(key, { atMs, until: atMs + SIGN_OUT_CACHE_MS });
    for (const listener of this.signOutListeners) listener({ tenantId: principal.tenant.id, userId: principal.id, atMs });
  }

  /** Calls `listener` after each sign-out made on this node; returns what stops it. */
  onSignOut(listener: (signOut: SignOut) => void): () => void {
    this.signOutListeners.add(listener);
    return () => this.signOutListeners.delete(listener);
  }

  /**
   * Another node's sign-out, heard before this node would read it: its
   * sessions are refused here at once rather than within SIGN_OUT_CACHE_MS.
   */
  heardSignOut({ tenantId, userId, atMs }: SignOut): void {
    const key = `${tenantId}/${userId}`;
    const known = this.signOuts.get(key);
    if (known && known.atMs >= atMs) return;
    if (this.signOuts.size >= CACHE_LIMIT) this.signOuts.clear();
    this.signOuts.set(key, { atMs, until: Date.now() + SIGN_OUT_CACHE_MS });
  }

  /** OAuth2 client credentials grant. Requested scopes must be a subset of the client's. */
  async issueToken(clientId: string, clientSecret: string, requestedScope?: string, ip?: string): Promise<IssuedToken> {
    const client = await this.verifyClient(clientId, clientSecret, ip);
    const requested = requestedScope ? requestedScope.split(/\s+/).filter(Boolean) : client.scopes;
    const unknown = requested.filter((s) => !client.scopes.includes(s));
    if (unknown.length > 0) throw errors.oauth.invalidScope(unknown);
    const scope = requested.join(' ');
    const accessToken = await this.sign(client, scope);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.tokenTtlSeconds, scope };
  }

  /** A client's secret, checked like a password (throttled, cached while valid). */
  private async verifyClient(clientId: string, clientSecret: string, ip: string | undefined): Promise<ClientEntry> {
    const cacheKey = this.keyOf('client', `${clientId}\0${clientSecret}`);
    const known = this.directory.clients.get(clientId);
    if (known && this.cached(cacheKey)) return known;
    const generation = this.generation;
    await this.once(cacheKey, async () => {
      const valid = await this.checkPassword(`client:${clientId}`, ip, clientSecret, known?.secretHash);
      if (!valid || !known) throw errors.oauth.invalidClient();
      return this.remember(
        cacheKey,
        { kind: 'client', tenant: known.tenant, id: known.clientId, scopes: new Set(known.scopes) },
        generation,
      );
    });
    if (!known) throw errors.oauth.invalidClient();
    return known;
  }

  private sign(client: ClientEntry, scope: string): Promise<string> {
    return new SignJWT({ tid: client.tenant.id, scope, cv: this.stampOf(this.keys.token, client.credential) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(client.clientId)
      .setIssuer(ISSUER)
      .setAudience('api')
      .setIssuedAt()
      .setExpirationTime(`${this.tokenTtlSeconds}s`)
      .sign(this.keys.token);
  }

  /**
   * What a session or bearer token carries of the credential it was obtained
   * with (claim `cv`): an HMAC of the password's or secret's name (UserEntry.credential:
   * its stored hash, or a digest of a plain-text one) under the token's own key, so a token proves nothing once that credential
   * changed (an operator replacing a leaked password or secret), on every node
   * and after a restart. Neither the hash nor anything that could be checked
   * against a guess without the deployment key leaves the server.
   */
  private stampOf(key: Uint8Array, credential: string): string {
    let byKey = this.stamps.get(key);
    if (!byKey) {
      byKey = new Map();
      this.stamps.set(key, byKey);
    }
    let stamp = byKey.get(credential);
    if (stamp === undefined) {
      stamp = credentialStamp(key, credential);
      if (byKey.size >= CACHE_LIMIT) byKey.clear();
      byKey.set(credential, stamp);
    }
    return stamp;
  }

  /**
   * A session token for a user, for the cookie set after a Basic-authenticated
   * call. Every such call sets the cookie, so a token is reused for an hour
   * rather than signed anew each time: signing was ~7 % of the server's CPU
   * with 5000 desktops polling (docs/BENCHMARKS.md). A reused token still has
   * at least 11 of its 12 hours ahead.
   */
  async sessionFor(principal: Principal): Promise<string | undefined> {
    if (principal.kind !== 'user') return undefined;
    const key = `${principal.tenant.id}/${principal.id}`;
    const now = Date.now();
    const cached = this.sessionCache.get(key);
    // Not a token signed before a sign-out this node has heard of (its own, or read for another session).
    const signedOut = this.signOuts.get(key)?.atMs ?? 0;
    if (cached && cached.until > now && cached.signedMs > signedOut) return cached.token;
    // Signed after any sign-out this node recorded, even within the same millisecond.
    const signedMs = Math.max(now, signedOut + 1);
    const user = this.directory.usersById.get(key);
    if (!user) return undefined;
    const token = await new SignJWT({
      tid: principal.tenant.id,
      sat: signedMs,
      cv: this.stampOf(this.keys.session, user.credential),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(principal.id)
      .setIssuer(ISSUER)
      .setAudience('session')
      .setIssuedAt()
      .setExpirationTime(`${SESSION_TTL_SECONDS}s`)
      .sign(this.keys.session);
    if (this.sessionCache.size >= CACHE_LIMIT) this.sessionCache.clear();
    this.sessionCache.set(key, { token, signedMs, until: now + SESSION_REUSE_MS });
    return token;
  }
}

/** The `cv` claim of a token signed with `key` for a principal with this credential (UserEntry/ClientEntry.credential). */
export function credentialStamp(key: Uint8Array, credential: string): string {
  return createHmac('sha256', key).update(credential).digest('base64url').slice(0, 22);
}

function userPrincipal(user: UserEntry): Principal {
  const principal: Principal = { kind: 'user', tenant: user.tenant, id: user.id, userName: user.userName, role: user.role };
  if (user.firstName !== undefined) principal.firstName = user.firstName;
  if (user.lastName !== undefined) principal.lastName = user.lastName;
  return principal;
}

/**
 * A cookie's value as sent. Our session token is base64url and dots, never
 * percent-encoded, so it is not decoded: a malformed escape is just a value
 * that fails verification (401), not an exception.
 */
export function readCookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
