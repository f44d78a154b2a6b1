/**
 * A per-key allowance of time, in milliseconds a minute: a token bucket that
 * is charged with the time work really took. Requests a minute do not bound
 * what a principal costs when one request can take seconds (a text search may
 * run up to its budget; on SQLite it holds the main thread all that while),
 * so text searches are charged by their elapsed time (Vault.search).
 *
 * A search reserves what it may cost (its budget) before it starts and is
 * refunded what it did not use when it ends: an allowance of N ms bounds
 * both the time spent a minute and how many searches run at once
 * (at most N / budget + 1). Work starts while anything is left, so the
 * balance goes below zero by at most one reservation.
 */

export type Reservation = { granted: true; reservedMs: number } | { granted: false; retryAfterSeconds: number };

interface Bucket {
  balanceMs: number;
  atMs: number;
}

/** Past this many keys, full buckets (idle principals) are forgotten: a full bucket is what a new key gets. */
const KEYS_BEFORE_SWEEP = 10_000;

export class TimeAllowance {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  /** `perMinuteMs` is both the refill a minute and the most a bucket holds. */
  constructor(readonly perMinuteMs: number) {
    if (!(perMinuteMs > 0)) throw new RangeError('an allowance must be a positive number of milliseconds a minute');
    this.refillPerMs = perMinuteMs / 60_000;
  }

  reserve(key: string, reserveMs: number, nowMs: number): Reservation {
    const bucket = this.current(key, nowMs);
    if (bucket.balanceMs <= 0) {
      // Until the balance is above zero again, at the refill rate; at least a second (Retry-After's unit).
      const waitMs = (1 - bucket.balanceMs) / this.refillPerMs;
      return { granted: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    bucket.balanceMs -= reserveMs;
    return { granted: true, reservedMs: reserveMs };
  }

  /** Charges what the work took instead of what was reserved for it. */
  settle(key: string, reservedMs: number, spentMs: number, nowMs: number): void {
    const bucket = this.current(key, nowMs);
    bucket.balanceMs = Math.min(this.perMinuteMs, bucket.balanceMs + reservedMs - Math.max(0, spentMs));
  }

  /** What is left for `key` now (for tests and reports). */
  balance(key: string, nowMs: number): number {
    return this.buckets.get(key) === undefined ? this.perMinuteMs : this.current(key, nowMs).balanceMs;
  }

  private current(key: string, nowMs: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= KEYS_BEFORE_SWEEP) this.forgetFull(nowMs);
      bucket = { balanceMs: this.perMinuteMs, atMs: nowMs };
      this.buckets.set(key, bucket);
      return bucket;
    }
    // A clock that steps back refills nothing.
    const elapsed = Math.max(0, nowMs - bucket.atMs);
    bucket.balanceMs = Math.min(this.perMinuteMs, bucket.balanceMs + elapsed * this.refillPerMs);
    bucket.atMs = Math.max(bucket.atMs, nowMs);
    return bucket;
  }

  private forgetFull(nowMs: number): void {
    for (const [key, bucket] of this.buckets) {
      const elapsed = Math.max(0, nowMs - bucket.atMs);
      if (bucket.balanceMs + elapsed * this.refillPerMs >= this.perMinuteMs) this.buckets.delete(key);
    }
  }
}
