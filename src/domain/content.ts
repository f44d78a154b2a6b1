/** Rules for content items: keys, types and the metadata sent with an upload. */
import { errors } from './errors.js';
import { CONTENT_TYPES, type ContentType } from './interaction.js';

const CONTENT_KEY = /^[0-9a-zA-Z!\-_.,*'()]{1,36}$/;
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]{1,127}\/[A-Za-z0-9!#$&^_.+-]{1,127}(\s*;.*)?$/;
const SHORT_ID = /^.{1,256}$/s;
/** Vonage's older voicemail keys name the agent the voicemail is for: `voicemail-123`. */
const LEGACY_VOICEMAIL_KEY = /^voicemail-(.+)$/;

export function isContentKey(value: string): boolean {
  return CONTENT_KEY.test(value);
}

export function assertContentKey(value: string): void {
  if (!isContentKey(value)) throw errors.invalidField('contentKey', "must be 1 to 36 characters of [0-9a-zA-Z!-_.,*'()]");
}

export interface ContentUploadMeta {
  type: ContentType;
  contentType: string;
  durationMs?: number;
  version?: number;
  owningAgentId?: string;
  owningInteractionPlanId?: string;
  fileName?: string;
}

/**
 * Validates upload metadata. `type` may be left out when the key is itself a
 * type name (the singleton convention: `callRecording`, `transcript`, …) or a
 * legacy voicemail key `voicemail-<agent>`, which also names the owning agent.
 */
export function validateContentMeta(
  contentKey: string,
  raw: {
    type?: string | undefined;
    contentType?: string | undefined;
    duration?: string | undefined;
    version?: string | undefined;
    owningAgent?: string | undefined;
    owningInteractionPlan?: string | undefined;
    fileName?: string | undefined;
  },
): ContentUploadMeta {
  assertContentKey(contentKey);
  const legacyVoicemailAgent = LEGACY_VOICEMAIL_KEY.exec(contentKey)?.[1];
  const typeName =
    raw.type ??
    (CONTENT_TYPES.includes(contentKey as ContentType)
      ? contentKey
      : legacyVoicemailAgent !== undefined
        ? 'voicemail'
        : undefined);
  if (typeName === undefined) throw errors.missingField('type');
  const type = CONTENT_TYPES.find((t) => t.toLowerCase() === typeName.toLowerCase());
  if (!type) throw errors.invalidField('type', `'${typeName}' is not one of ${CONTENT_TYPES.join(', ')}`);
  const contentType = raw.contentType?.trim();
  if (!contentType) throw errors.missingField('Content-Type');
  if (!MEDIA_TYPE.test(contentType)) throw errors.invalidField('Content-Type', `'${contentType}' is not a media type`);
  const meta: ContentUploadMeta = { type, contentType };
  if (raw.duration !== undefined) meta.durationMs = wholeNumber('duration', raw.duration);
  if (raw.version !== undefined) meta.version = wholeNumber('version', raw.version);
  if (raw.owningAgent !== undefined) meta.owningAgentId = shortId('owningAgent', raw.owningAgent);
  else if (type === 'voicemail' && legacyVoicemailAgent !== undefined) meta.owningAgentId = legacyVoicemailAgent;
  if (raw.owningInteractionPlan !== undefined)
    meta.owningInteractionPlanId = shortId('owningInteractionPlan', raw.owningInteractionPlan);
  if (raw.fileName !== undefined) meta.fileName = fileName(raw.fileName);
  return meta;
}

function wholeNumber(field: string, value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw errors.invalidField(field, `'${value}' is not a whole number >= 0`);
  return Number(value);
}

/** A file name as a mail client shows it: no path, no control characters (it ends up in Content-Disposition). */
function fileName(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (!/^[^/\\\u0000-\u001f\u007f]{1,255}$/.test(value) || value === '.' || value === '..')
    throw errors.invalidField('fileName', 'must be 1 to 255 characters, without slashes or control characters');
  return value;
}

function shortId(field: string, value: string): string {
  if (!SHORT_ID.test(value)) throw errors.invalidField(field, 'must be 1 to 256 characters');
  return value;
}

const TEXTUAL = /^(text\/[^;\s]+|application\/(json|xml|x-ndjson|ndjson|jsonl|[^;\s]+\+(json|xml)))\s*(;|$)/i;
/** The charset parameters of a media type (a reader may take any of several), unquoted. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/gi;
/**
 * Charsets in which an ASCII digit is always the one byte 0x30–0x39, so the
 * card-number scan reads the text's digits as they are. An allowlist: in any
 * other (UTF-16/32 by any name, EBCDIC, UTF-7's base64 runs, ISO-2022's
 * shifted modes) a number can be written in bytes the scan does not see.
 */
const ASCII_DIGIT_CHARSETS =
  /^(utf-?8|us-ascii|ascii|iso[-_]?8859-\d{1,2}|iso-ir-\d+|latin-?[1-9]|l[1-9]|(windows|cp)-?125\d|koi8-[ru]|shift_jis|sjis|euc-(jp|kr)|gb2312|gbk|gb18030|big5)$/;
/** Of those, the CJK ones: two-byte characters, full-width digits among them (read by the charset's own decoder). */
const CJK_CHARSETS = /^(shift_jis|sjis|euc-(jp|kr)|gb2312|gbk|gb18030|big5)$/;
const UTF8_CHARSETS = /^(utf-?8|us-ascii|ascii)$/;

/**
 * How the card-number scan reads an upload's text. `utf-8`: every script's
 * digits, as UTF-8 (the default of JSON and of a text without a charset);
 * `single-byte`: ASCII digits only, the charset has no others; `cjk`: ASCII
 * digits in place, and the charset's decoder watching for full-width ones.
 */
export type TextCharset = { kind: 'utf-8' } | { kind: 'single-byte' } | { kind: 'cjk'; charset: string };

/**
 * How the card numbers of content of this media type are masked on upload
 * (transcripts, chat logs, email bodies as files…); undefined: not text. Text
 * in a charset where digits are not single ASCII bytes could not be scanned,
 * so it is refused.
 */
export function redactableText(contentType: string): TextCharset | undefined {
  if (!TEXTUAL.test(contentType)) return undefined;
  const charsets = [...contentType.matchAll(CHARSET)].map((m) => (m[1] ?? '').toLowerCase());
  if (charsets.some((charset) => !ASCII_DIGIT_CHARSETS.test(charset)))
    throw errors.invalidField(
      'Content-Type',
      'text must be UTF-8 (or another charset whose digits are ASCII bytes, such as ISO-8859-n or Windows-125n) so card numbers can be redacted',
    );
  const cjk = charsets.find((charset) => CJK_CHARSETS.test(charset));
  if (cjk !== undefined) return { kind: 'cjk', charset: cjk };
  return charsets.every((charset) => UTF8_CHARSETS.test(charset)) ? { kind: 'utf-8' } : { kind: 'single-byte' };
}

/**
 * Whether a body comes as its sender meant it: `Content-Encoding` absent or
 * only `identity` (RFC 9110 §8.4). ixvault decodes no coding, so a compressed
 * body would be stored, scanned for card numbers and indexed as compressed
 * bytes (src/api/shared/content-encoding.ts, src/notify/http-gate.ts).
 */
export function isIdentityCoding(header: string | string[] | undefined): boolean {
  if (header === undefined) return true;
  return [header]
    .flat()
    .flatMap((v) => v.split(','))
    .every((coding) => {
      const c = coding.trim().toLowerCase();
      return c === '' || c === 'identity';
    });
}
