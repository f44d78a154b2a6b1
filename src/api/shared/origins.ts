/**
 * Which browser origins may use the APIs: this server's own pages, and the
 * origins configured with `--cors-origin`. Used for CORS, for the CometD
 * endpoint, and to refuse cross-site state changes (CSRF): a browser sends
 * cookies and cached Basic credentials with a foreign page's request, but
 * always names that page in `Origin` when the method is not GET or HEAD.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SESSION_COOKIE } from '../../auth/authenticator.js';

export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(corsOrigins: readonly string[]) {
    this.allowed = new Set(corsOrigins);
  }

  /** Configured for cross-origin use (CORS). */
  isConfigured(origin: string): boolean {
    return this.allowed.has(origin);
  }

  /** The request's own origin (same host), or a configured one. `null` and malformed origins are foreign. */
  isAllowed(origin: string, headers: IncomingHttpHeaders): boolean {
    if (this.allowed.has(origin)) return true;
    try {
      return new URL(origin).host === headers.host;
    } catch {
      return false;
    }
  }

  /**
   * Whether a state-changing request may proceed: a named Origin must be
   * allowed, whatever the credentials; a request the session cookie would
   * authenticate must show it comes from a page of an allowed origin (Origin,
   * or `Sec-Fetch-Site: same-origin`), since cookies ride along with any page's requests.
   */
  mayChangeState(method: string, headers: IncomingHttpHeaders): { ok: true } | { ok: false; origin: string } {
    if (SAFE_METHODS.has(method)) return { ok: true };
    const origin = headers.origin;
    if (origin !== undefined) return this.isAllowed(origin, headers) ? { ok: true } : { ok: false, origin };
    if (!byCookie(headers)) return { ok: true };
    const site = headers['sec-fetch-site'];
    return site === 'same-origin' || site === 'none' ? { ok: true } : { ok: false, origin: '(none)' };
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function byCookie(headers: IncomingHttpHeaders): boolean {
  return !headers.authorization && (headers.cookie ?? '').includes(`${SESSION_COOKIE}=`);
}
