/**
 * Progressive delay on failed password checks, per key (a user name, a client
 * id, an IP address). The first `freeFailures` cost nothing; each further one
 * doubles the wait before the next check of that key may run, up to
 * `maxDelayMs`. While a key waits, checks are refused without running scrypt,
 * so a guessing flood costs neither CPU nor the password threads. A key is
 * forgotten `forgetAfterMs` after its last failure, and a success clears it.
 * A key is whatever a stranger sends (a user name may be as long as a request
 * body), so each is held as its SHA-256: memory per key is fixed.
 */
import { createHash } from 'node:crypto';

export interface LoginThrottleOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  /** Keys remembered at most; the longest-unfailed are forgotten first. */
  maxKeys: number;
  now?: () => number;
}

interface Failures {
  count: number;
  lastFailure: number;
  blockedUntil: number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, Failures>();
  private readonly now: () => number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds to wait before `key` may try again, or 0. */
  waitMs(key: string): number {
    const entry = this.live(digest(key));
    if (!entry) return 0;
    return Math.max(0, entry.blockedUntil - this.now());
  }

  failed(sent: string): void {
    const key = digest(sent);
    const now = this.now();
    const entry = this.live(key) ?? { count: 0, lastFailure: now, blockedUntil: 0 };
    entry.count++;
    entry.lastFailure = now;
    const over = entry.count - this.options.freeFailures;
    if (over > 0) entry.blockedUntil = now + Math.min(this.options.baseDelayMs * 2 ** (over - 1), this.options.maxDelayMs);
    // Re-inserted last, so the map's first keys are the longest-unfailed ones.
    this.failures.delete(key);
    this.failures.set(key, entry);
    while (this.failures.size > this.options.maxKeys) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  succeeded(key: string): void {
    this.failures.delete(digest(key));
  }

  clear(): void {
    this.failures.clear();
  }

  private live(key: string): Failures | undefined {
    const entry = this.failures.get(key);
    if (entry && this.now() - entry.lastFailure > this.options.forgetAfterMs) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64');
}
