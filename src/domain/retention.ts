/**
 * Retention policies: how long interactions and their content are kept, per
 * tenant, by media type and by content type, in the main store and the
 * archive. Pure rules; enforcement is src/services/retention.ts.
 *
 * A rule `{ mediaType?, contentType?, store?, maxAgeDays }` applies to
 * interactions that started more than maxAgeDays ago:
 * - without contentType: the interaction record itself (with all it owns);
 * - with contentType: only content items of that type (the record stays).
 * Without mediaType it covers every media type; a rule naming the media type
 * wins over one that does not (and of equals the shorter age). Archive rules
 * (`store: 'archive'`) govern the archive where they say something; elsewhere
 * the archive follows the main store's rules, so moving a record to the
 * archive never takes it out of retention. No rule: kept forever.
 */
import type { FieldProblem } from './errors.js';
import { CONTENT_TYPES, type ContentType, MEDIA_TYPES, type MediaType } from './interaction.js';
import type { Source } from './search.js';

export interface RetentionRule {
  store?: Source;
  mediaType?: MediaType;
  contentType?: ContentType;
  maxAgeDays: number;
}

export interface RetentionConfig {
  rules: RetentionRule[];
  /** How long a change that would remove more waits before it applies (its dry run visible meanwhile). */
  graceDays?: number;
}

export const DEFAULT_GRACE_DAYS = 7;
export const MAX_RULES = 500;
/** The longest a rule may keep anything: about a thousand years. */
export const MAX_AGE_DAYS = 365_000;
const DAY_MS = 86_400_000;

/** What a rule removes: the record, or content items of one type. */
export type RetentionTarget = 'record' | ContentType;
export const TARGETS: readonly RetentionTarget[] = ['record', ...CONTENT_TYPES];

/** The age (days) after which `target` of a `mediaType` interaction in `store` is removed; undefined: kept. */
export function maxAgeFor(rules: readonly RetentionRule[], store: Source, mediaType: MediaType, target: RetentionTarget) {
  const inStore = (s: Source) =>
    rules.filter(
      (r) =>
        (r.store ?? 'main') === s &&
        (r.mediaType === undefined || r.mediaType === mediaType) &&
        (target === 'record' ? r.contentType === undefined : r.contentType === target),
    );
  let matching = store === 'archive' ? inStore('archive') : [];
  if (matching.length === 0) matching = inStore('main');
  const specific = matching.filter((r) => r.mediaType !== undefined);
  const chosen = specific.length > 0 ? specific : matching;
  return chosen.length === 0 ? undefined : Math.min(...chosen.map((r) => r.maxAgeDays));
}

/** One cell of a policy: what it removes of which interactions, from when. */
export interface RetentionCutoff {
  store: Source;
  mediaType: MediaType;
  target: RetentionTarget;
  maxAgeDays: number;
  /** Interactions that started before this instant. */
  cutoffMs: number;
}

export function cutoffs(rules: readonly RetentionRule[], nowMs: number): RetentionCutoff[] {
  const out: RetentionCutoff[] = [];
  for (const store of ['main', 'archive'] as const)
    for (const mediaType of MEDIA_TYPES)
      for (const target of TARGETS) {
        const maxAgeDays = maxAgeFor(rules, store, mediaType, target);
        if (maxAgeDays !== undefined) out.push({ store, mediaType, target, maxAgeDays, cutoffMs: nowMs - maxAgeDays * DAY_MS });
      }
  return out;
}

/**
 * Whether `next` would remove anything `current` keeps: some cell gets a
 * shorter age, or an age where it had none. Such a change waits the grace period.
 */
export function removesMore(current: readonly RetentionRule[], next: readonly RetentionRule[]): boolean {
  for (const store of ['main', 'archive'] as const)
    for (const mediaType of MEDIA_TYPES)
      for (const target of TARGETS) {
        const after = maxAgeFor(next, store, mediaType, target);
        if (after === undefined) continue;
        const before = maxAgeFor(current, store, mediaType, target);
        if (before === undefined || after < before) return true;
      }
  return false;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a list of rules; every problem names its field under `at`. */
export function checkRules(raw: unknown, at: string): { rules: RetentionRule[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const rules: RetentionRule[] = [];
  if (!Array.isArray(raw) || raw.length > MAX_RULES) {
    problems.push({ field: at, message: `must be an array of at most ${MAX_RULES} rules` });
    return { rules, problems };
  }
  raw.forEach((r, i) => {
    const path = `${at}.${i}`;
    if (!isObject(r)) {
      problems.push({ field: path, message: 'must be an object' });
      return;
    }
    for (const key of Object.keys(r))
      if (!['store', 'mediaType', 'contentType', 'maxAgeDays'].includes(key))
        problems.push({ field: `${path}.${key}`, message: 'is not a field of a retention rule' });
    const rule: RetentionRule = { maxAgeDays: 0 };
    if (typeof r.maxAgeDays !== 'number' || !Number.isFinite(r.maxAgeDays) || r.maxAgeDays < 0 || r.maxAgeDays > MAX_AGE_DAYS)
      problems.push({ field: `${path}.maxAgeDays`, message: `is required: a number of days, 0 to ${MAX_AGE_DAYS}` });
    else rule.maxAgeDays = r.maxAgeDays;
    if (r.store !== undefined) {
      if (r.store !== 'main' && r.store !== 'archive')
        problems.push({ field: `${path}.store`, message: "must be 'main' or 'archive'" });
      else rule.store = r.store;
    }
    if (r.mediaType !== undefined) {
      if (!(MEDIA_TYPES as readonly unknown[]).includes(r.mediaType))
        problems.push({ field: `${path}.mediaType`, message: `must be one of ${MEDIA_TYPES.join(', ')}` });
      else rule.mediaType = r.mediaType as MediaType;
    }
    if (r.contentType !== undefined) {
      if (!(CONTENT_TYPES as readonly unknown[]).includes(r.contentType))
        problems.push({ field: `${path}.contentType`, message: `must be one of ${CONTENT_TYPES.join(', ')}` });
      else rule.contentType = r.contentType as ContentType;
    }
    rules.push(rule);
  });
  return { rules, problems };
}

/** A tenant's `retention` block of the principals file; throws naming the field. */
export function checkRetentionConfig(raw: unknown, at: string): RetentionConfig {
  if (!isObject(raw)) throw new Error(`${at} must be an object with rules`);
  const { rules, problems } = checkRules(raw.rules, `${at}.rules`);
  const config: RetentionConfig = { rules };
  if (raw.graceDays !== undefined) {
    if (typeof raw.graceDays !== 'number' || !Number.isFinite(raw.graceDays) || raw.graceDays < 0)
      problems.push({ field: `${at}.graceDays`, message: 'must be a number of days >= 0' });
    else config.graceDays = raw.graceDays;
  }
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.field} ${p.message}`).join('; '));
  return config;
}

export function graceMsOf(config: RetentionConfig | undefined): number {
  return (config?.graceDays ?? DEFAULT_GRACE_DAYS) * DAY_MS;
}
