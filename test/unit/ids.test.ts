/**
 * Interaction ids made by ixvault (src/domain/ids.ts): 16 base62 characters,
 * the first 8 the millisecond, the rest random from a pool of the system's
 * random bytes. Ids made in the same millisecond, across many refills of the
 * pool, never repeat; later ones sort after earlier ones; every one is a valid
 * interaction id and not a UUID.
 */
import { describe, expect, it } from 'vitest';
import { isInteractionId, newInteractionId } from '../../src/domain/ids.js';

describe('newInteractionId', () => {
  it('makes distinct, valid ids in one millisecond, across refills of its random pool', () => {
    const nowMs = Date.UTC(2026, 10, 23);
    const ids = Array.from({ length: 20_000 }, () => newInteractionId(nowMs));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9A-Za-z]{16}$/);
      expect(isInteractionId(id)).toBe(true);
    }
    // The random tails use the whole alphabet, not a few characters of it.
    expect(new Set(ids.flatMap((id) => [...id.slice(8)])).size).toBe(62);
  });

  it('sorts ids made later after ids made earlier', () => {
    const earlier = newInteractionId(Date.UTC(2026, 0, 1));
    const later = newInteractionId(Date.UTC(2026, 0, 1) + 1);
    expect(earlier < later).toBe(true);
  });
});
