/**
 * Instants travel as ISO 8601 strings on the wire and as epoch milliseconds
 * inside. Parsing is strict: a date that JavaScript would "fix up" is refused.
 */

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses an instant with an explicit offset (ISO 8601, or Genesys' `yyyy-MM-dd HH:mm:ss.SSS+hhmm`). */
export function parseInstant(value: string): number | undefined {
  const utc = parseUtcInstant(value);
  return utc === null ? parseInstantByPattern(value) : utc;
}

/**
 * The form every instant of a batch usually has, `yyyy-MM-ddTHH:mm:ssZ` with
 * or without `.SSS` (what toISOString writes), read digit by digit: an ingest
 * reads a few dozen instants a record, and the pattern's match allocates its
 * array and eight strings each time. Gives the very number the pattern path
 * gives; null for any other form (the pattern decides).
 */
function parseUtcInstant(value: string): number | undefined | null {
  const length = value.length;
  if (
    (length !== 20 && length !== 24) ||
    value.charCodeAt(length - 1) !== 90 /* Z */ ||
    value.charCodeAt(4) !== 45 /* - */ ||
    value.charCodeAt(7) !== 45 ||
    (value.charCodeAt(10) !== 84 /* T */ && value.charCodeAt(10) !== 32) /* space */ ||
    value.charCodeAt(13) !== 58 /* : */ ||
    value.charCodeAt(16) !== 58 ||
    (length === 24 && value.charCodeAt(19) !== 46) /* . */
  )
    return null;
  const y = digits(value, 0, 4);
  const mo = digits(value, 5, 2);
  const d = digits(value, 8, 2);
  const h = digits(value, 11, 2);
  const mi = digits(value, 14, 2);
  const s = digits(value, 17, 2);
  const ms = length === 24 ? digits(value, 20, 3) : 0;
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || ms < 0) return null;
  if (!isValidCalendar(y, mo, d, h, mi, s)) return undefined;
  return utcMs(y, mo - 1, d, h, mi, s, ms);
}

/** The decimal number of `count` digits at `at`, or -1 if one of them is not an ASCII digit. */
function digits(value: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

function parseInstantByPattern(value: string): number | undefined {
  const m = ISO_INSTANT.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const local = utcMs(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (!isValidCalendar(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s))) return undefined;
  return local - offsetMinutes(zone) * 60_000;
}

/** Parses `yyyy-MM-dd` as the start of that day in the given offset (minutes east of UTC). */
export function parseDateOnly(value: string, offsetMin = 0): number | undefined {
  const m = DATE_ONLY.exec(value);
  if (!m) return undefined;
  const [, y, mo, d] = m;
  if (!isValidCalendar(Number(y), Number(mo), Number(d), 0, 0, 0)) return undefined;
  return utcMs(Number(y), Number(mo) - 1, Number(d), 0, 0, 0, 0) - offsetMin * 60_000;
}

function offsetMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

/**
 * Epoch milliseconds of a UTC calendar instant (month from 0), for every year
 * the format can write. Date.UTC alone reads years 0-99 as 1900-1999: an
 * instant written `0050-01-01T00:00:00Z` was stored as 1950, and a search
 * from `0001-01-01` started in 1901.
 */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (y >= 100) return Date.UTC(y, mo, d, h, mi, s, ms);
  const date = new Date(Date.UTC(2000, mo, d, h, mi, s, ms));
  date.setUTCFullYear(y);
  return date.getTime();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isValidCalendar(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  if (mo !== 2) return d <= (DAYS_IN_MONTH[mo - 1] as number);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (leap ? 29 : 28);
}

/** ISO 8601 in UTC without fractional seconds when they are zero, as Vonage prints instants. */
export function toIsoSeconds(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Offset of an IANA time zone at an instant, in minutes east of UTC.
 * Intl is the only source of zone rules in Node; the formatter is cached per zone.
 */
const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
export function zoneOffsetMinutes(timeZone: string, ms: number): number {
  if (timeZone === 'UTC') return 0;
  let fmt = offsetFormatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, fmt);
  }
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(new Date(ms))) parts[p.type] = p.value;
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return Math.round((asUtc - (ms - (ms % 1000))) / 60_000);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** `2013-11-25 21:02:22.000+0200`: the Genesys Web Services date style, in the given zone. */
export function formatGenesysDate(ms: number, timeZone = 'UTC'): string {
  const offset = zoneOffsetMinutes(timeZone, ms);
  const d = new Date(ms + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}
