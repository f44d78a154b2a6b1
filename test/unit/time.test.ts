/** Instants and Genesys dates (src/domain/time.ts, src/api/genesys/dates.ts): strict parsing, zones, DST. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateRange } from '../../src/api/genesys/dates.js';
import { formatGenesysDate, parseDateOnly, parseInstant, toIsoSeconds, zoneOffsetMinutes } from '../../src/domain/time.js';

describe('parseInstant', () => {
  it('reads ISO 8601 and Genesys instants with their offsets', () => {
    expect(parseInstant('2025-03-10T10:00:00Z')).toBe(Date.UTC(2025, 2, 10, 10));
    expect(parseInstant('2025-03-10T12:00:00+02:00')).toBe(Date.UTC(2025, 2, 10, 10));
    expect(parseInstant('2015-10-01 12:17:45.123+0300')).toBe(Date.UTC(2015, 9, 1, 9, 17, 45, 123));
    expect(parseInstant('2025-03-10T10:00Z')).toBe(Date.UTC(2025, 2, 10, 10));
    expect(parseInstant('2025-03-10T10:00:00.123456789-05:30')).toBe(Date.UTC(2025, 2, 10, 15, 30, 0, 123));
  });

  it('refuses what JavaScript would fix up, and instants without an offset', () => {
    for (const bad of [
      '2025-02-30T00:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-03-10T24:00:00Z',
      '2025-03-10T10:00:00',
      '10/03/2025',
      '',
    ])
      expect(parseInstant(bad), bad).toBeUndefined();
  });
});

/**
 * What parseInstant answered before its digit-by-digit reading of the UTC form (time.ts): the pattern alone.
 * The fast path must give the very same number, or the same refusal, for every string.
 */
function byPattern(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone = 'Z'] = m;
  const [yn, mon, dn, hn, min, sn] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  // Every year as written, 0000-0099 included (Date.UTC alone would read those as 1900-1999).
  const days = [31, yn % 4 === 0 && (yn % 100 !== 0 || yn % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (mon < 1 || mon > 12 || dn < 1 || hn > 23 || min > 59 || sn > 59 || dn > (days[mon - 1] as number)) return undefined;
  const offset =
    zone === 'Z'
      ? 0
      : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.replace(':', '').slice(3, 5)));
  const utc = new Date(Date.UTC(2000, mon - 1, dn, hn, min, sn, ms));
  utc.setUTCFullYear(yn);
  return utc.getTime() - offset * 60_000;
}

describe('parseInstant, the UTC form read digit by digit', () => {
  const digit = fc.constantFrom(...'0123456789');
  const twoDigits = fc.tuple(digit, digit).map((d) => d.join(''));
  /** Strings of the UTC form, its calendar often impossible (month 13, day 31 of a short month, 24:00). */
  const utcForm = fc
    .tuple(
      fc.tuple(digit, digit, digit, digit).map((d) => d.join('')),
      twoDigits,
      twoDigits,
      fc.constantFrom('T', ' ', 't', 'x'),
      twoDigits,
      twoDigits,
      twoDigits,
      fc.constantFrom('', '.000', '.123', '.999', '.5', '.1234', '.12a'),
      fc.constantFrom('Z', 'z', '+00:00', '+0200', ''),
    )
    .map(([y, mo, d, t, h, mi, s, frac, zone]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${frac}${zone}`);

  it('gives what the pattern gives, valid or not, with any one character changed', () => {
    fc.assert(
      fc.property(utcForm, fc.nat(30), fc.constantFrom('0', '9', '-', ':', 'Z', '.', 'T', ' ', '/', '٣'), (text, at, c) => {
        for (const value of [text, text.slice(0, at) + c + text.slice(at + 1), text.slice(0, at)])
          expect(parseInstant(value), value).toBe(byPattern(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads what toISOString writes, over the whole range of years', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -62_167_219_200_000 /* 0000-01-01 */, max: 253_402_300_799_999 /* 9999-12-31T23:59:59.999 */ }),
        (ms) => {
          const iso = new Date(ms).toISOString();
          if (iso.length === 24) {
            expect(parseInstant(iso), iso).toBe(byPattern(iso));
            expect(parseInstant(iso), iso).toBe(ms);
          }
        },
      ),
      { numRuns: 2000 },
    );
    expect(parseInstant('2024-02-29T23:59:59.999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseInstant('1900-02-29T00:00:00Z')).toBeUndefined();
    expect(new Date(parseInstant('0099-03-01 00:00:00Z') ?? Number.NaN).toISOString()).toBe('0099-03-01T00:00:00.000Z');
  });
});

describe('parseDateOnly', () => {
  it('is the start of the day at an offset, and refuses impossible days', () => {
    expect(parseDateOnly('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDateOnly('2024-02-29', 120)).toBe(Date.UTC(2024, 1, 28, 22));
    expect(parseDateOnly('2025-02-29')).toBeUndefined();
    expect(parseDateOnly('2025-3-1')).toBeUndefined();
  });
});

describe('zones and formats', () => {
  it('knows daylight saving time', () => {
    expect(zoneOffsetMinutes('Europe/Helsinki', Date.UTC(2025, 0, 15))).toBe(120);
    expect(zoneOffsetMinutes('Europe/Helsinki', Date.UTC(2025, 6, 15))).toBe(180);
    expect(zoneOffsetMinutes('America/Chicago', Date.UTC(2025, 6, 15))).toBe(-300);
  });

  it('prints Genesys dates in the zone, and Vonage instants without zero fractions', () => {
    expect(formatGenesysDate(Date.UTC(2015, 9, 1, 9, 17, 45), 'Europe/Helsinki')).toBe('2015-10-01 12:17:45.000+0300');
    expect(formatGenesysDate(Date.UTC(2015, 9, 1, 9, 17, 45, 7))).toBe('2015-10-01 09:17:45.007+0000');
    expect(toIsoSeconds(Date.UTC(2021, 11, 3, 9, 30))).toBe('2021-12-03T09:30:00Z');
    expect(toIsoSeconds(Date.UTC(2021, 11, 3, 9, 30, 0, 5))).toBe('2021-12-03T09:30:00.005Z');
  });
});

describe('Genesys date ranges', () => {
  const now = Date.UTC(2025, 2, 31, 12);

  it('takes days in the tenant zone, toDate through the end of its day', () => {
    expect(dateRange({ fromDate: '2025-03-01', toDate: '2025-03-31' }, 'Europe/Helsinki', now)).toEqual({
      fromMs: Date.UTC(2025, 1, 28, 22),
      // 30 March 2025: Helsinki moves to +03:00, so the end of the 31st is 21:00 UTC.
      toMs: Date.UTC(2025, 2, 31, 21) - 1,
    });
  });

  it('defaults to the last month up to the end of today', () => {
    const range = dateRange({}, 'UTC', now);
    expect(range.toMs).toBe(Date.UTC(2025, 3, 1) - 1);
    expect(range.fromMs).toBe(Date.UTC(2025, 1, 28));
  });

  it('names the field of a bad or reversed date', () => {
    expect(() => dateRange({ fromDate: 'March' }, 'UTC', now)).toThrow(/fromDate/);
    expect(() => dateRange({ fromDate: '2025-03-10', toDate: '2025-03-01' }, 'UTC', now)).toThrow(/toDate/);
  });
});
