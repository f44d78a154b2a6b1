/** Bayeux session bookkeeping (src/notify/sessions.ts) and held messages (src/notify/held.ts) with a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { HeldMessages } from '../../src/notify/held.js';
import type { Recipient } from '../../src/notify/notifier.js';
import { Sessions } from '../../src/notify/sessions.js';

function held(holdMs = 1000, maxHeld = 3) {
  const clock = { now: 0 };
  return {
    clock,
    held: new HeldMessages({ holdMs, maxHeld, maxHeldBytesPerChannel: 1 << 20, maxHeldBytes: 1 << 24 }, () => clock.now),
  };
}

describe('Sessions', () => {
  it('knows the owner of a client until it closes, and forgets its subscriptions then', () => {
    const s = new Sessions();
    const owner = 'acme/user/agent-1' as Recipient;
    s.open('c1', owner);
    expect(s.subscribed('c1', '/private/a')).toBe(true);
    expect(s.ownerOf('c1')).toBe(owner);
    expect(s.hasListeners('/private/a')).toBe(true);
    expect(s.closed('c1')).toEqual(['/private/a']);
    expect(s.ownerOf('c1')).toBeUndefined();
    expect(s.hasListeners('/private/a')).toBe(false);
  });

  it('counts listeners per channel, and says when the first arrives and the last leaves', () => {
    const s = new Sessions();
    expect(s.subscribed('c1', '/private/a')).toBe(true);
    expect(s.subscribed('c2', '/private/a')).toBe(false);
    expect(s.unsubscribed('c1', '/private/a')).toBe(false);
    expect(s.hasListeners('/private/a')).toBe(true);
    expect(s.unsubscribed('c2', '/private/a')).toBe(true);
    expect(s.hasListeners('/private/a')).toBe(false);
  });
});

describe('HeldMessages', () => {
  it('releases held messages once, oldest first, until they expire', () => {
    const { clock, held: s } = held(1000);
    s.hold('/private/a', { n: 1 });
    clock.now = 500;
    s.hold('/private/a', { n: 2 });
    clock.now = 1200; // the first has expired, the second has not
    expect(s.release('/private/a')).toEqual([{ n: 2 }]);
    expect(s.release('/private/a')).toEqual([]);
  });

  it('keeps at most maxHeld per channel, dropping the oldest, and sweeps expired ones', () => {
    const { clock, held: s } = held(1000, 3);
    for (let n = 1; n <= 5; n++) s.hold('/private/a', { n });
    s.hold('/private/b', { n: 0 });
    expect(s.release('/private/a')).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }]);
    clock.now = 2000;
    s.sweep();
    clock.now = 0; // a release after the sweep finds nothing even if the clock went back
    expect(s.release('/private/b')).toEqual([]);
  });
});
