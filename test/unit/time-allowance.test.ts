/**
 * The text-search time allowance (src/domain/time-allowance.ts): a token
 * bucket charged with what work took, reserved up front.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeAllowance } from '../../src/domain/time-allowance.js';

describe('TimeAllowance', () => {
  it('grants while anything is left, then refuses until the refill brings the balance above zero', () => {
    const allowance = new TimeAllowance(1000);
    const first = allowance.reserve('a', 300, 0);
    expect(first.granted).toBe(true);
    allowance.settle('a', 300, 900, 0);
    expect(allowance.balance('a', 0)).toBe(100);
    expect(allowance.reserve('a', 300, 0).granted).toBe(true);
    allowance.settle('a', 300, 400, 0);
    expect(allowance.balance('a', 0)).toBe(-300);
    const refused = allowance.reserve('a', 300, 0);
    // 301 ms of refill at 1000 ms a minute: 18.06 s.
    expect(refused).toEqual({ granted: false, retryAfterSeconds: 19 });
    expect(allowance.reserve('a', 300, 18_000).granted).toBe(false);
    expect(allowance.reserve('a', 300, 18_061).granted).toBe(true);
  });

  it('keeps each key apart, and a refund never lifts a bucket past its size', () => {
    const allowance = new TimeAllowance(500);
    const a = allowance.reserve('a', 3000, 0);
    expect(a.granted).toBe(true);
    expect(allowance.reserve('a', 3000, 0).granted).toBe(false);
    expect(allowance.reserve('b', 3000, 0).granted).toBe(true);
    allowance.settle('a', 3000, 0, 0);
    expect(allowance.balance('a', 0)).toBe(500);
    expect(allowance.balance('a', 120_000)).toBe(500);
  });

  it('bounds work at once: reservations stop once the balance is spent, before any settles', () => {
    const allowance = new TimeAllowance(10_000);
    let running = 0;
    while (allowance.reserve('a', 3000, 0).granted) running++;
    expect(running).toBe(4);
  });

  it('a clock stepping back refills nothing', () => {
    const allowance = new TimeAllowance(600);
    allowance.reserve('a', 600, 60_000);
    allowance.settle('a', 600, 600, 60_000);
    expect(allowance.balance('a', 0)).toBe(0);
    expect(allowance.balance('a', 60_000)).toBe(0);
  });

  it('over any sequence, time granted stays within the allowance, its refill and one reservation', () => {
    const step = fc.record({ advanceMs: fc.integer({ min: 0, max: 5_000 }), spentMs: fc.integer({ min: 0, max: 3_000 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.array(step, { maxLength: 200 }), (perMinuteMs, steps) => {
        const allowance = new TimeAllowance(perMinuteMs);
        let now = 0;
        let spent = 0;
        for (const { advanceMs, spentMs } of steps) {
          now += advanceMs;
          const reservation = allowance.reserve('k', 3000, now);
          if (!reservation.granted) {
            expect(reservation.retryAfterSeconds).toBeGreaterThanOrEqual(1);
            continue;
          }
          spent += spentMs;
          allowance.settle('k', reservation.reservedMs, spentMs, now);
        }
        // Work starts only while the balance is above zero, so the overdraft is at most one search.
        expect(spent).toBeLessThanOrEqual(perMinuteMs + (now * perMinuteMs) / 60_000 + 3000);
      }),
    );
  });
});
