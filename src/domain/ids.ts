import { randomBytes, randomUUID } from 'node:crypto';

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
 * A 16-character, time-ordered interaction id: 8 base62 digits of the epoch
 * millisecond, then 8 random ones. Ids made later sort after earlier ones.
 */
export function newInteractionId(nowMs: number = Date.now()): string {
  const random = randomBytes(8);
  let tail = '';
  for (const byte of random) tail += ALPHABET[byte % 62];
  return encodeBase62(nowMs, 8) + tail;
}

export function newGuid(): string {
  return randomUUID();
}
