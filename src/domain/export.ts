/**
 * Export jobs, in the manner of Vonage's Interaction Content Export API: a
 * one-off job over a time range, or a recurring one (hourly or daily) that
 * each time exports what started since its previous run and is older than a
 * delay. Filters: content types and initial direction as Vonage has them,
 * plus media types.
 */

import { errors } from './errors.js';
import { CONTENT_TYPES, type ContentType, type Direction, MEDIA_TYPES, type MediaType } from './interaction.js';

export const EXPORT_SCHEDULES = ['hourly', 'daily'] as const;
export type ExportSchedule = (typeof EXPORT_SCHEDULES)[number];
export const SCHEDULE_MS: Record<ExportSchedule, number> = { hourly: 3_600_000, daily: 86_400_000 };
/** Vonage's recurring jobs export content older than 12 hours. */
export const DEFAULT_DELAY_MS = 12 * 3_600_000;

export type ExportStatus = 'queued' | 'running' | 'scheduled' | 'done' | 'failed' | 'cancelled';

export interface ExportFilters {
  contentTypes: ContentType[];
  initialDirection: Direction[];
  mediaTypes: MediaType[];
}

export interface ExportSpec {
  fromMs: number;
  /** One-off jobs only. */
  toMs?: number;
  schedule?: ExportSchedule;
  delayMs: number;
  filters: ExportFilters;
}

export interface ExportError {
  interactionId?: string;
  contentKey?: string;
  message: string;
}

/** At most this many errors are kept per job (the count goes on). */
export const MAX_KEPT_ERRORS = 100;

export interface ExportSpecInput {
  startDate: string;
  endDate?: string;
  schedule?: string;
  delayMinutes?: number;
  filters?: { contentTypes?: string[]; initialDirection?: string[]; mediaTypes?: string[] };
}

/** Checks a request; every problem names its field. */
export function checkExportSpec(input: ExportSpecInput, parseInstant: (field: string, value: string) => number): ExportSpec {
  const fromMs = parseInstant('startDate', input.startDate);
  const filters: ExportFilters = {
    contentTypes: listOf('filters.contentTypes', input.filters?.contentTypes, CONTENT_TYPES),
    initialDirection: listOf('filters.initialDirection', input.filters?.initialDirection, ['inbound', 'outbound'] as const),
    mediaTypes: listOf('filters.mediaTypes', input.filters?.mediaTypes, MEDIA_TYPES),
  };
  const spec: ExportSpec = { fromMs, delayMs: 0, filters };
  if (input.schedule !== undefined) {
    if (!(EXPORT_SCHEDULES as readonly string[]).includes(input.schedule))
      throw errors.invalidField('schedule', `must be one of ${EXPORT_SCHEDULES.join(', ')}`);
    if (input.endDate !== undefined) throw errors.invalidField('endDate', 'a recurring job has no end date');
    spec.schedule = input.schedule as ExportSchedule;
    spec.delayMs = input.delayMinutes !== undefined ? input.delayMinutes * 60_000 : DEFAULT_DELAY_MS;
    return spec;
  }
  if (input.delayMinutes !== undefined) throw errors.invalidField('delayMinutes', 'only a recurring job (schedule) has a delay');
  if (input.endDate === undefined) throw errors.missingField('endDate');
  spec.toMs = parseInstant('endDate', input.endDate);
  if (spec.toMs < fromMs) throw errors.invalidField('endDate', 'must not be before startDate');
  return spec;
}

function listOf<T extends string>(field: string, values: string[] | undefined, allowed: readonly T[]): T[] {
  return [...new Set(values ?? [])].map((value, i) => {
    if (!(allowed as readonly string[]).includes(value))
      throw errors.invalidField(`${field}.${i}`, `'${value}' is not one of ${allowed.join(', ')}`);
    return value as T;
  });
}
