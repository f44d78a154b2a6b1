/** Range headers (src/api/shared/content-response.ts): one byte range, RFC 9110 semantics. */
import { describe, expect, it } from 'vitest';
import { parseRange } from '../../src/api/shared/content-response.js';

describe('parseRange', () => {
  const size = 1000;
  it('serves whole without a header or with one it does not understand', () => {
    for (const header of [undefined, '', 'bytes=', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6', 'bytes=9-3'])
      expect(parseRange(header, size), String(header)).toEqual({ kind: 'full' });
  });
  it('reads first-last, open-ended and suffix ranges, clipped to the size', () => {
    expect(parseRange('bytes=0-1023', 2048)).toEqual({ kind: 'partial', range: { start: 0, end: 1023 } });
    expect(parseRange('bytes=1024-', 2048)).toEqual({ kind: 'partial', range: { start: 1024, end: 2047 } });
    expect(parseRange('bytes=-100', size)).toEqual({ kind: 'partial', range: { start: 900, end: 999 } });
    expect(parseRange('bytes=-5000', size)).toEqual({ kind: 'partial', range: { start: 0, end: 999 } });
    expect(parseRange('bytes=990-5000', size)).toEqual({ kind: 'partial', range: { start: 990, end: 999 } });
  });
  it('is unsatisfiable past the end, for an empty suffix, or on empty content', () => {
    expect(parseRange('bytes=1000-', size)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', size)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-10', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});
