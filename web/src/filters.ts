/**
 * Search filters as the console's URL holds them (bookmarkable, shareable) and
 * their translation to the native API's query. Quick time ranges stay relative
 * in the URL, so a bookmarked "last 24 hours" means the last 24 hours when opened.
 */

export const RANGES = [
  { key: '1h', label: 'Last hour', ms: 3600_000 },
  { key: 'today', label: 'Today', ms: 0 },
  { key: '24h', label: '24 hours', ms: 86_400_000 },
  { key: '7d', label: '7 days', ms: 7 * 86_400_000 },
  { key: '30d', label: '30 days', ms: 30 * 86_400_000 },
  { key: 'all', label: 'Any time', ms: 0 },
] as const;

export const DEFAULT_RANGE = '30d';

export const MEDIA_TYPES = [
  'call',
  'chat',
  'email',
  'smssession',
  'facebook',
  'facebooksession',
  'twitter',
  'openmedia',
  'workitem',
] as const;

/** URL keys the filter form edits, beside `range`, `from`, `to` and `attr`. */
export const TEXT_FILTERS = [
  { key: 'handlingAgentId', label: 'Agent id' },
  { key: 'contactId', label: 'Contact id' },
  { key: 'connectFrom', label: 'From address starts with' },
  { key: 'connectTo', label: 'To address starts with' },
] as const;

export const PAGE_SIZE = 50;

/** The native API query for the console URL's filters (without cursor). */
export function rangeOf(query: URLSearchParams): string {
  return query.get('range') ?? (query.has('from') || query.has('to') ? 'custom' : DEFAULT_RANGE);
}

export function apiQuery(query: URLSearchParams, now = Date.now()): URLSearchParams {
  const out = new URLSearchParams();
  const range = rangeOf(query);
  if (range === 'custom') {
    const from = query.get('from');
    const to = query.get('to');
    if (from) out.set('from', new Date(from).toISOString());
    if (to) out.set('to', new Date(to).toISOString());
  } else if (range === 'today') {
    const start = new Date(now);
    start.setHours(0, 0, 0, 0);
    out.set('from', start.toISOString());
  } else {
    const pick = RANGES.find((r) => r.key === range);
    if (pick && pick.ms > 0) out.set('from', new Date(now - pick.ms).toISOString());
  }
  for (const key of ['mediaType', 'direction', ...TEXT_FILTERS.map((f) => f.key)]) {
    const value = query.get(key)?.trim();
    if (value) out.set(key, value);
  }
  const words = query.get('q')?.trim();
  if (words) out.set('q', words);
  for (const attr of query.getAll('attr')) if (/^[^=]+=/.test(attr)) out.append('customAttribute', attr);
  if (query.get('hasContent') === 'true') out.set('hasContent', 'true');
  if (query.get('source') === 'archive') out.set('source', 'archive');
  out.set('sort', query.get('sort') === 'asc' ? 'asc' : 'desc');
  out.set('limit', String(PAGE_SIZE));
  return out;
}

/** Whether the window reaches the present, so that new interactions belong in it. */
export function includesNow(query: URLSearchParams, now = Date.now()): boolean {
  if (query.get('source') === 'archive') return false;
  if (rangeOf(query) !== 'custom') return true;
  const to = query.get('to');
  return !to || new Date(to).getTime() >= now;
}

/** A datetime-local input value for an ISO instant, in local time. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
