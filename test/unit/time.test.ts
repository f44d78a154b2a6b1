/** Instants and Genesys dates (src/domain/time.ts, src/api/genesys/dates.ts): strict parsing, zones, DST. */
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
