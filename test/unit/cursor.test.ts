/** Page cursors (src/domain/cursor.ts): round trip, and refusal of forged, altered or foreign cursors. */
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, queryFingerprint } from '../../src/domain/cursor.js';

const secret = new TextEncoder().encode('a test secret');
const position = { startMs: Date.UTC(2025, 3, 1, 8), id: 'SEARCH0000000007' };

describe('cursors', () => {
  const fingerprint = queryFingerprint({ api: 'native', tenant: 'acme', who: 'admin-1', filters: { sort: 'asc' } });

  it('round-trip a position for the same query', () => {
    expect(decodeCursor(secret, fingerprint, encodeCursor(secret, fingerprint, position))).toEqual(position);
  });

  it('fingerprint queries regardless of key order and undefined fields', () => {
    expect(queryFingerprint({ a: 1, b: [1, { c: 2 }], d: undefined })).toBe(queryFingerprint({ b: [1, { c: 2 }], a: 1 }));
    expect(queryFingerprint({ a: 1 })).not.toBe(queryFingerprint({ a: 2 }));
  });

  it('refuse a cursor of another query, another secret, or altered in any byte', () => {
    const cursor = encodeCursor(secret, fingerprint, position);
    expect(decodeCursor(secret, queryFingerprint({ other: true }), cursor)).toBeUndefined();
    expect(decodeCursor(new TextEncoder().encode('another secret'), fingerprint, cursor)).toBeUndefined();
    for (let i = 0; i < cursor.length; i++) {
      // A replacement that differs in the character's top bits (the last character's low bits are padding).
      const altered = `${cursor.slice(0, i)}${/[A-P]/.test(cursor[i] ?? '') ? 'w' : 'A'}${cursor.slice(i + 1)}`;
      expect(decodeCursor(secret, fingerprint, altered), altered).toBeUndefined();
    }
    for (const junk of ['', '.', 'abc', 'a.b.c', 'x'.repeat(600)])
      expect(decodeCursor(secret, fingerprint, junk)).toBeUndefined();
  });
});
