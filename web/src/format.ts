/** Display formats, in the browser's locale and time zone. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateTimeLong = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export const formatDateTime = (iso: string, long = false) => (long ? dateTimeLong : dateTime).format(new Date(iso));

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export function durationOf(i: { startDate: string; endDate?: string; callDuration?: number }): number | undefined {
  if (i.callDuration !== undefined) return i.callDuration;
  if (!i.endDate) return undefined;
  return (Date.parse(i.endDate) - Date.parse(i.startDate)) / 1000;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function agentName(owner: { id: string; firstName?: string; lastName?: string } | undefined): string {
  if (!owner) return '';
  const name = [owner.firstName, owner.lastName].filter(Boolean).join(' ');
  return name || owner.id;
}

export const DIRECTIONS: Record<string, string> = {
  Inbound: 'inbound',
  Outbound: 'outbound',
  Internal: 'internal',
  Consult: 'consult',
  Unknown: '',
};
