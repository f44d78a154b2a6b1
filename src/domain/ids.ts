import { randomFillSync, randomUUID } from 'node:crypto';

/** Base62 in ASCII order, so that fixed-width encodings sort like the numbers they encode. */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Genesys-style ids: UCS uses 16 characters of [0-9A-Za-z]; imports may bring other systems' keys. */
const INTERACTION_ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$/;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

export function isInteractionId(value: string): boolean {
  return INTERACTION_ID_PATTERN.test(value) && !isUuid(value);
}

function encodeBase62(value: number, width: number): string {
  let out = '';
  let rest = Math.floor(value);
  for (let i = 0; i < width; i++) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/**
 * Random bytes for ids, drawn from the system's generator a pool at a time (as
 * randomUUID does): one call per id was 7 % of the server's CPU while it
 * ingested records without ids (docs/BENCHMARKS.md, "Session 14").
 */
const pool = Buffer.alloc(8 * 256);
let pooled = 0;

/**
 * A 16-character, time-ordered interaction id: 8 base62 digits of the epoch
 * millisecond, then 8 random ones. Ids made later sort after earlier ones.
 */
export function newInteractionId(nowMs: number = Date.now()): string {
  if (pooled === 0) {
    randomFillSync(pool);
    pooled = pool.length;
  }
  let tail = '';
  for (let i = pool.length - pooled, end = i + 8; i < end; i++) tail += ALPHABET[(pool[i] as number) % 62];
  pooled -= 8;
  return encodeBase62(nowMs, 8) + tail;
}

export function newGuid(): string {
  return randomUUID();
}
