/**
 * Opaque, tamper-evident page cursors. A cursor carries the sort key where a
 * page ended and a fingerprint of the query (and caller) that produced it,
 * signed with the deployment's secret: a forged, altered or re-used-elsewhere
 * cursor is refused instead of leaking or skipping rows.
 */
import { createHmac, createSecretKey, hash, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { PagePosition } from './search.js';

const MAC_BYTES = 16;

export function queryFingerprint(parts: unknown): string {
  return hash('sha256', stableJson(parts), 'base64url').slice(0, 22);
}

/** The secret as a key object, made once per secret: importing the raw key was a fifth of a cursor's cost. */
const keys = new WeakMap<Uint8Array, KeyObject>();

function macOf(secret: Uint8Array, body: string): Buffer {
  let key = keys.get(secret);
  if (key === undefined) {
    key = createSecretKey(secret);
    keys.set(secret, key);
  }
  return createHmac('sha256', key).update(body).digest().subarray(0, MAC_BYTES);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function encodeCursor(secret: Uint8Array, fingerprint: string, position: PagePosition): string {
  const body = Buffer.from(JSON.stringify([fingerprint, position.startMs, position.id])).toString('base64url');
  const mac = macOf(secret, body).toString('base64url');
  return `${body}.${mac}`;
}

/** Returns the position, or undefined when the cursor is malformed, forged or from another query. */
export function decodeCursor(secret: Uint8Array, fingerprint: string, cursor: string): PagePosition | undefined {
  const dot = cursor.indexOf('.');
  if (dot <= 0 || cursor.length > 512) return undefined;
  const body = cursor.slice(0, dot);
  const mac = Buffer.from(cursor.slice(dot + 1), 'base64url');
  const expected = macOf(secret, body);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [fp, startMs, id] = parsed as [unknown, unknown, unknown];
    if (fp !== fingerprint || typeof startMs !== 'number' || typeof id !== 'string') return undefined;
    return { startMs, id };
  } catch {
    return undefined;
  }
}
