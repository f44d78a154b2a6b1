/**
 * PostgreSQL's engine keeps a page's matches by their starts (text_docs.start_ms, migration 019) before any
 * interaction is read: the first `slice` in the search's order, the edge's millisecond whole. The page
 * query orders by (start, id) and a keyset cursor may stop inside that millisecond, so a match sharing
 * the edge's start must never be left out while another of that millisecond is kept.
 */
import { describe, expect, it } from 'vitest';
import { firstMatches } from '../../src/store/fulltext-engines.js';

const m = (id: string, startMs: number) => ({ id, startMs });

describe('firstMatches (PostgreSQL: the matches a page keeps)', () => {
  const matches = [m('a', 10), m('b', 50), m('c', 30), m('d', 30), m('e', 20), m('f', 30), m('g', 40)];

  it('keeps the newest `slice` matches, newest first, and every other match of the edge millisecond', () => {
    expect(firstMatches(matches, 'desc', 2).map((x) => x.id)).toEqual(['b', 'g']);
    // The third newest starts at 30, shared by c, d and f: all three are kept.
    expect(
      firstMatches(matches, 'desc', 3)
        .map((x) => x.id)
        .sort(),
    ).toEqual(['b', 'c', 'd', 'f', 'g']);
  });

  it('keeps the oldest in ascending order, the edge millisecond whole', () => {
    expect(firstMatches(matches, 'asc', 2).map((x) => x.id)).toEqual(['a', 'e']);
    expect(
      firstMatches(matches, 'asc', 3)
        .map((x) => x.id)
        .sort(),
    ).toEqual(['a', 'c', 'd', 'e', 'f']);
  });

  it('keeps every match when there are no more than the slice', () => {
    expect(firstMatches(matches, 'desc', 7)).toHaveLength(7);
    expect(firstMatches(matches, 'desc', 100)).toHaveLength(7);
    expect(firstMatches([], 'asc', 5)).toEqual([]);
  });

  it('every match left out starts strictly after (asc) or before (desc) every match kept', () => {
    for (const order of ['asc', 'desc'] as const)
      for (let slice = 1; slice <= matches.length; slice++) {
        const kept = firstMatches(matches, order, slice);
        const left = matches.filter((x) => !kept.includes(x));
        for (const l of left)
          for (const k of kept) expect(order === 'desc' ? l.startMs < k.startMs : l.startMs > k.startMs).toBe(true);
        expect(kept.length).toBeGreaterThanOrEqual(slice);
      }
  });
});
