/** Bayeux session bookkeeping (src/notify/sessions.ts) with a clock the test moves. */
import { describe, expect, it } from 'vitest';
import type { Recipient } from '../../src/notify/notifier.js';
import { Sessions } from '../../src/notify/sessions.js';

function sessions(holdMs = 1000, maxHeld = 3) {
  const clock = { now: 0 };
  return {
    clock,
    sessions: new Sessions({ holdMs, maxHeld, maxHeldBytesPerChannel: 1 << 20, maxHeldBytes: 1 << 24, now: () => clock.now }),
  };
}

describe('Sessions', () => {
  it('knows the owner of a client until it closes, and forgets its subscriptions then', () => {
    const { sessions: s } = sessions();
    const owner = 'acme/user/agent-1' as Recipient;
    s.open('c1', owner);
    s.subscribed('c1', '/private/a');
    expect(s.ownerOf('c1')).toBe(owner);
    expect(s.hasListeners('/private/a')).toBe(true);
    s.closed('c1');
    expect(s.ownerOf('c1')).toBeUndefined();
    expect(s.hasListeners('/private/a')).toBe(false);
  });

  it('counts listeners per channel', () => {
    const { sessions: s } = sessions();
    s.subscribed('c1', '/private/a');
    s.subscribed('c2', '/private/a');
    s.unsubscribed('c1', '/private/a');
    expect(s.hasListeners('/private/a')).toBe(true);
    s.unsubscribed('c2', '/private/a');
    expect(s.hasListeners('/private/a')).toBe(false);
  });

  it('releases held messages once, oldest first, until they expire', () => {
    const { clock, sessions: s } = sessions(1000);
    s.hold('/private/a', { n: 1 });
    clock.now = 500;
    s.hold('/private/a', { n: 2 });
    clock.now = 1200; // the first has expired, the second has not
    expect(s.release('/private/a')).toEqual([{ n: 2 }]);
    expect(s.release('/private/a')).toEqual([]);
  });

  it('keeps at most maxHeld per channel, dropping the oldest, and sweeps expired ones', () => {
    const { clock, sessions: s } = sessions(1000, 3);
    for (let n = 1; n <= 5; n++) s.hold('/private/a', { n });
    s.hold('/private/b', { n: 0 });
    expect(s.release('/private/a')).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }]);
    clock.now = 2000;
    s.sweep();
    clock.now = 0; // a release after the sweep finds nothing even if the clock went back
    expect(s.release('/private/b')).toEqual([]);
  });
});
