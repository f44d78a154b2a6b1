/**
 * The login throttle remembers up to 100 000 keys (user names, client ids,
 * IPs), and a key is whatever a stranger sends: a user name in a CometD
 * handshake's ext.authorization can be ~190 KB (the Bayeux body limit). Kept
 * as sent, 100 000 such names were ~19 GB (session 4, redteam): each key is
 * now held as a fixed-size digest.
 */
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/auth/login-throttle.js';

describe('login throttle', () => {
  const options = { freeFailures: 1, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 60_000, maxKeys: 100 };

  it('throttles a long key like a short one, and holds each key in a few dozen bytes', () => {
    let now = 0;
    const throttle = new LoginThrottle({ ...options, now: () => now });
    const long = (i: number) => `user:${String(i).padStart(6, '0')}${'x'.repeat(200_000)}`;
    for (let i = 0; i < 150; i++) {
      throttle.failed(long(i));
      throttle.failed(long(i));
    }
    expect(throttle.waitMs(long(149))).toBe(1000);
    expect(throttle.waitMs(long(0))).toBe(0); // forgotten: at most maxKeys are kept
    expect(throttle.waitMs(`${long(149)}y`)).toBe(0);
    now += 1000;
    expect(throttle.waitMs(long(149))).toBe(0);
    // What it holds: at most maxKeys keys, none longer than a digest.
    const held = [...(throttle as unknown as { failures: Map<string, unknown> }).failures.keys()];
    expect(held.length).toBeLessThanOrEqual(100);
    for (const key of held) expect(key.length).toBeLessThanOrEqual(64);
    throttle.succeeded(long(149));
    now -= 1000;
    expect(throttle.waitMs(long(149))).toBe(0);
  });
});
