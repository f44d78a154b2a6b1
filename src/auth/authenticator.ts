/**
 * Turns credentials into a Principal: HTTP Basic for users, OAuth2 client
 * credentials exchanged for short-lived JWT bearer tokens, and a signed
 * session cookie (set after a Basic-authenticated call) so that a browser's
 * CometD websocket is authenticated like its API calls.
 */
import { createHash } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { errors } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { ClientEntry, Directory, UserEntry } from './directory.js';
import { verifyPassword } from './passwords.js';
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
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export class Authenticator {
  /** scrypt is slow on purpose; remember recent successful Basic logins by a hash of the header. */
  private readonly basicCache = new Map<string, { principal: Principal; until: number }>();
  /** Session tokens recently signed, by tenant and user (see sessionFor). */
  private readonly sessionCache = new Map<string, { token: string; until: number }>();

  constructor(
    readonly directory: Directory,
    private readonly keys: Keys,
    readonly tokenTtlSeconds = 3600,
  ) {}

  async authenticate(credentials: Credentials): Promise<Principal> {
    const header = credentials.authorization?.trim();
    if (header) return this.fromAuthorization(header);
    const session = credentials.cookie ? readCookie(credentials.cookie, SESSION_COOKIE) : undefined;
    if (session) return this.fromSession(session);
    throw errors.unauthenticated();
  }

  /** An `Authorization` header value: `Basic …` or `Bearer …`. */
  async fromAuthorization(header: string): Promise<Principal> {
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (space > 0 && scheme === 'basic') return this.fromBasic(value);
    if (space > 0 && scheme === 'bearer') return this.fromBearer(value);
    throw errors.unauthenticated('unsupported authorization scheme; use Basic or Bearer');
  }

  private async fromBasic(encoded: string): Promise<Principal> {
    const cacheKey = createHash('sha256').update(encoded).digest('base64');
    const cached = this.basicCache.get(cacheKey);
    if (cached && cached.until > Date.now()) return cached.principal;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw errors.unauthenticated('malformed Basic credentials');
    const userName = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const user = this.directory.usersByName.get(userName);
    if (!(await verifyPassword(password, user?.passwordHash ?? UNKNOWN_PRINCIPAL_HASH)) || !user)
      throw errors.unauthenticated('invalid user name or password');
    const principal = userPrincipal(user);
    if (this.basicCache.size >= CACHE_LIMIT) this.basicCache.clear();
    this.basicCache.set(cacheKey, { principal, until: Date.now() + CACHE_MS });
    return principal;
  }

  private async fromBearer(token: string): Promise<Principal> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.keys.token, { ...VERIFY, audience: 'api' }));
    } catch {
      throw errors.unauthenticated('invalid or expired bearer token');
    }
    const client = this.directory.clients.get(String(payload.sub));
    if (!client || client.tenant.id !== payload.tid) throw errors.unauthenticated('the token names no known client');
    const granted = new Set(
      String(payload.scope ?? '')
        .split(' ')
        .filter(Boolean),
    );
    // Scopes removed from the client since the token was issued no longer count.
    const scopes = new Set([...granted].filter((s) => client.scopes.includes(s)));
    return { kind: 'client', tenant: client.tenant, id: client.clientId, scopes };
  }

  private async fromSession(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.keys.session, { ...VERIFY, audience: 'session' });
      const user = this.directory.usersById.get(`${payload.tid}/${payload.sub}`);
      if (user) return userPrincipal(user);
    } catch {
      // fall through
    }
    throw errors.unauthenticated('invalid or expired session');
  }

  /** OAuth2 client credentials grant. Requested scopes must be a subset of the client's. */
  async issueToken(clientId: string, clientSecret: string, requestedScope?: string): Promise<IssuedToken> {
    const client = this.directory.clients.get(clientId);
    if (!(await verifyPassword(clientSecret, client?.secretHash ?? UNKNOWN_PRINCIPAL_HASH)) || !client)
      throw errors.oauth.invalidClient();
    const requested = requestedScope ? requestedScope.split(/\s+/).filter(Boolean) : client.scopes;
    const unknown = requested.filter((s) => !client.scopes.includes(s));
    if (unknown.length > 0) throw errors.oauth.invalidScope(unknown);
    const scope = requested.join(' ');
    const accessToken = await this.sign(client, scope);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.tokenTtlSeconds, scope };
  }

  private sign(client: ClientEntry, scope: string): Promise<string> {
    return new SignJWT({ tid: client.tenant.id, scope })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(client.clientId)
      .setIssuer(ISSUER)
      .setAudience('api')
      .setIssuedAt()
      .setExpirationTime(`${this.tokenTtlSeconds}s`)
      .sign(this.keys.token);
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
    if (cached && cached.until > now) return cached.token;
    const token = await new SignJWT({ tid: principal.tenant.id })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(principal.id)
      .setIssuer(ISSUER)
      .setAudience('session')
      .setIssuedAt()
      .setExpirationTime(`${SESSION_TTL_SECONDS}s`)
      .sign(this.keys.session);
    if (this.sessionCache.size >= CACHE_LIMIT) this.sessionCache.clear();
    this.sessionCache.set(key, { token, until: now + SESSION_REUSE_MS });
    return token;
  }
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
