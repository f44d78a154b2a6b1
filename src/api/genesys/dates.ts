/**
 * Genesys date parameters: `yyyy-MM-dd` names a calendar day in the tenant's
 * time zone (fromDate from its first instant, toDate through its last); a full
 * timestamp names an instant, in the tenant's zone when it carries no offset.
 * Without them the range is the last month up to the end of today.
 */
import { errors } from '../../domain/errors.js';
import { parseDateOnly, parseInstant, zoneOffsetMinutes } from '../../domain/time.js';

const DAY_MS = 86_400_000;
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;

export interface DateRange {
  fromMs: number;
  toMs: number;
}

export function dateRange(
  params: { fromDate?: string | undefined; toDate?: string | undefined },
  timeZone: string,
  nowMs: number,
): DateRange {
  const toMs =
    params.toDate !== undefined
      ? bound('toDate', params.toDate, timeZone, 'end')
      : endOfLocalDay(today(nowMs, timeZone), timeZone);
  // Without fromDate: one month before the range's last day (today when toDate is absent too).
  const fromMs =
    params.fromDate !== undefined
      ? bound('fromDate', params.fromDate, timeZone, 'start')
      : toInstant(monthBefore(today(toMs, timeZone)), timeZone);
  if (toMs < fromMs) throw errors.invalidField('toDate', 'must not be before fromDate');
  return { fromMs, toMs };
}

function bound(field: string, value: string, timeZone: string, end: 'start' | 'end'): number {
  const day = parseDateOnly(value);
  if (day !== undefined) return end === 'start' ? toInstant(day, timeZone) : endOfLocalDay(day, timeZone);
  const instant = LOCAL_DATE_TIME.test(value) ? localDateTime(value, timeZone) : parseInstant(value);
  if (instant === undefined)
    throw errors.invalidField(field, `'${value}' is neither yyyy-MM-dd nor a timestamp like 2015-10-01T12:00:00.000Z`);
  return instant;
}

function localDateTime(value: string, timeZone: string): number | undefined {
  const asUtc = parseInstant(`${value}Z`);
  return asUtc === undefined ? undefined : toInstant(asUtc, timeZone);
}

/**
 * The instant at which the zone's wall clock shows `local` (a wall-clock time
 * written as if it were UTC). The offset is taken again at the first guess, so
 * days on which daylight saving time changes come out right.
 */
function toInstant(local: number, timeZone: string): number {
  const guess = local - zoneOffsetMinutes(timeZone, local) * 60_000;
  return local - zoneOffsetMinutes(timeZone, guess) * 60_000;
}

function endOfLocalDay(localMidnight: number, timeZone: string): number {
  return toInstant(localMidnight + DAY_MS, timeZone) - 1;
}

/** Midnight of the zone's current day, as a wall-clock time written as UTC. */
function today(nowMs: number, timeZone: string): number {
  const local = nowMs + zoneOffsetMinutes(timeZone, nowMs) * 60_000;
  return local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
}

/** The same day of the previous month, or that month's last day when it is shorter. */
function monthBefore(localMidnight: number): number {
  const d = new Date(localMidnight);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 0)).getUTCDate();
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, Math.min(d.getUTCDate(), lastDay));
}
