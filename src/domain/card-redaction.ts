/**
 * Card-number redaction (PCI DSS: a stored card number must be unreadable).
 *
 * A candidate is a maximal run of digits in which single spaces or dashes
 * may separate digits ("4111 1111-1111 1111"). A run of 13 to 19 digits that
 * passes the Luhn check is a card number: every digit but the last four
 * becomes `*`, separators stay, so the text keeps its length and layout and
 * the mask itself (at most four digits in a row) is never a candidate again.
 * Any other run — too short or long, failing Luhn, broken by two separators
 * or another character — is left exactly as it was: order numbers and phone
 * numbers survive.
 *
 * The scanner works on code units (a string's UTF-16 units or a UTF-8
 * buffer's bytes alike: digits, space and dash are ASCII, and no byte of a
 * multi-byte UTF-8 sequence is), and can be fed in pieces: it holds back only
 * the run it is inside while that run could still be a card number, so a
 * stream is redacted in bounded memory whatever its size, with the same
 * result as the whole text at once.
 */

import { TextDecoder } from 'node:util';
import type { TextCharset } from './content.js';
import { errors } from './errors.js';
import { mapInteractionTexts, type TextBearing } from './texts.js';

export const CARD_MIN_DIGITS = 13;
export const CARD_MAX_DIGITS = 19;

const ZERO = 0x30;
const SPACE = 0x20;
const DASH = 0x2d;
const STAR = 0x2a;
/** The separators of wide digits: the ideographic space and the full-width hyphen-minus. */
const WIDE_SPACE = 0x3000;
const WIDE_DASH = 0xff0d;

/** A digit's mask by the width of the digit in UTF-8, so a text keeps its length in code units and in bytes. */
const MASK_CHAR = ['', '*', '\u066d', '\uff0a'] as const; // *, ARABIC FIVE POINTED STAR, FULLWIDTH ASTERISK
const MASK_BYTES = MASK_CHAR.map((c) => [...Buffer.from(c, 'utf8')]);
const utf8Width = (codePoint: number) => (codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : 3);

/**
 * The value of a decimal digit of the Basic Multilingual Plane (Unicode `Nd`:
 * full-width, Arabic-Indic, Devanagari… digits), -1 for anything else; found
 * once per code point. Unicode encodes each script's digits 0 to 9 in a row.
 */
const wideDigits = new Int8Array(0x10000).fill(-2);
const DECIMAL = /^\p{Nd}$/u;
function wideDigitValue(codePoint: number): number {
  let value = wideDigits[codePoint] as number;
  if (value !== -2) return value;
  value = -1;
  if (DECIMAL.test(String.fromCharCode(codePoint))) {
    let zero = codePoint;
    while (zero > 0 && DECIMAL.test(String.fromCharCode(zero - 1))) zero--;
    value = (codePoint - zero) % 10;
  }
  wideDigits[codePoint] = value;
  return value;
}

/** A digit's value (0–9) or -1: ASCII at once, the rest from the table. */
const digitValue = (codePoint: number) =>
  (codePoint - ZERO) >>> 0 < 10 ? codePoint - ZERO : codePoint < 0x660 ? -1 : wideDigitValue(codePoint);
const isSeparator = (codePoint: number) =>
  codePoint === SPACE || codePoint === DASH || codePoint === WIDE_SPACE || codePoint === WIDE_DASH;

/** The Luhn (mod 10) check over digit values, most significant first. */
export function passesLuhn(digits: readonly number[]): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits[i] ?? 0;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** A piece of output: a slice of the current input, or code units the scanner held or masked. */
type Piece = { from: number; to: number } | number[];

/**
 * How the scanner reads its input: a character's code point and its length
 * in code units. A string's code units are UTF-16 (one unit a BMP character;
 * a surrogate is read alone and is no digit); a byte stream's are UTF-8.
 */
interface Units {
  /** The code point of the character starting at `i` (the length in `width`). */
  readonly at: (i: number) => number;
  width: number;
  /** The code units that mask a digit of this code point. */
  readonly mask: (codePoint: number) => readonly number[];
}

/**
 * The state machine. `feed` returns the output for what it was given so far
 * (possibly less than it was given: the held run); `finish` returns the rest.
 */
class CardScanner {
  /** Code units of the run being held (digits and single separators; may end with one separator). */
  private held: number[] = [];
  /** Each held digit: its value, where it starts in `held` and its code point. */
  private values: number[] = [];
  private starts: number[] = [];
  private points: number[] = [];
  /** Inside a run already known to be longer than a card number: passed through as it comes. */
  private overlong = false;
  /** The previous character was a digit / a separator that followed a digit (a run may go on). */
  private afterDigit = false;
  private afterSeparator = false;
  redacted = 0;
  /** Of those, card numbers with a digit outside ASCII (full-width…). */
  redactedWide = 0;

  constructor(readonly units: Units) {}

  feed(length: number, unitAt: (i: number) => number): Piece[] {
    const out: Piece[] = [];
    const units = this.units;
    let passStart = 0;
    const passUntil = (i: number) => {
      if (i > passStart) out.push({ from: passStart, to: i });
    };
    for (let i = 0; i < length; i += units.width) {
      const c = units.at(i);
      const digit = digitValue(c);
      if (digit >= 0) {
        const continues = this.afterDigit || this.afterSeparator;
        this.afterDigit = true;
        this.afterSeparator = false;
        if (continues && this.overlong) continue;
        if (!continues) {
          // A new run starts here.
          passUntil(i);
          this.overlong = false;
        }
        this.values.push(digit);
        this.starts.push(this.held.length);
        this.points.push(c);
        for (let k = 0; k < units.width; k++) this.held.push(unitAt(i + k));
        if (this.values.length > CARD_MAX_DIGITS) {
          // Too long to be a card: what was held goes out as it was, the rest of the run passes through.
          out.push(this.held);
          this.clear();
          this.overlong = true;
        }
        passStart = i + units.width;
      } else if (isSeparator(c) && this.afterDigit) {
        this.afterDigit = false;
        this.afterSeparator = true;
        if (this.overlong) continue;
        for (let k = 0; k < units.width; k++) this.held.push(unitAt(i + k));
        passStart = i + units.width;
      } else {
        // Anything else (a second separator included) ends the run before it.
        // (An overlong run holds nothing: it went out as it came.)
        if ((this.afterDigit || this.afterSeparator) && !this.overlong) out.push(this.closeRun());
        this.afterDigit = false;
        this.afterSeparator = false;
        this.overlong = false;
      }
    }
    passUntil(length);
    return out;
  }

  finish(): number[] {
    const rest = this.closeRun();
    this.afterDigit = false;
    this.afterSeparator = false;
    this.overlong = false;
    return rest;
  }

  private clear(): void {
    this.held = [];
    this.values = [];
    this.starts = [];
    this.points = [];
  }

  /** The held run, masked when it is a card number (a trailing separator is not part of it). */
  private closeRun(): number[] {
    const { held, values, starts, points } = this;
    this.clear();
    const digits = values.length;
    if (digits < CARD_MIN_DIGITS || digits > CARD_MAX_DIGITS || !passesLuhn(values)) return held;
    this.redacted++;
    if (points.some((codePoint) => codePoint >= 0x80)) this.redactedWide++;
    const masked: number[] = [];
    let from = 0;
    for (let d = 0; d < digits - 4; d++) {
      const start = starts[d] as number;
      for (let k = from; k < start; k++) masked.push(held[k] as number);
      const mask = this.units.mask(points[d] as number);
      for (const unit of mask) masked.push(unit);
      from = start + mask.length;
    }
    for (let k = from; k < held.length; k++) masked.push(held[k] as number);
    return masked;
  }
}

export interface Redacted {
  text: string;
  /** How many card numbers were masked. */
  count: number;
}

/** Masks every card number in a text. */
export function redactCardNumbers(text: string): Redacted {
  // Most texts hold fewer digits than the shortest card number: they are returned as they are, unscanned.
  if (!hasDigits(text, CARD_MIN_DIGITS)) return { text, count: 0 };
  const scanner = new CardScanner({
    at: (i) => text.charCodeAt(i),
    width: 1,
    mask: (codePoint) => [(MASK_CHAR[utf8Width(codePoint)] as string).charCodeAt(0)],
  });
  const pieces = scanner.feed(text.length, (i) => text.charCodeAt(i));
  let out = '';
  for (const piece of pieces) out += Array.isArray(piece) ? String.fromCharCode(...piece) : text.slice(piece.from, piece.to);
  out += String.fromCharCode(...scanner.finish());
  return { text: out, count: scanner.redacted };
}

/**
 * A request URL as a log may keep it: every card number masked, in the path
 * and in the query as the client meant it (percent-escapes and `+` read, so
 * `q=4111%201111%201111%201111` is one too). A search for a card number
 * would otherwise leave it readable in the server's log. A URL that holds no
 * card number — nearly all — is returned as it is; one that does is returned
 * decoded, masked.
 */
export function redactUrl(url: string): string {
  if (!mayHoldCardNumber(url)) return url;
  let meant = url;
  if (url.includes('%') || url.includes('+')) {
    try {
      meant = decodeURIComponent(url.replaceAll('+', ' '));
    } catch {
      // A malformed escape: the raw URL is what there is to read.
    }
  }
  const redacted = redactCardNumbers(meant);
  return redacted.count === 0 ? url : redacted.text;
}

/**
 * Whether a URL could hold a card number, in one pass that allocates nothing
 * (a page's URL holds dates: scanning each with the full rule cost ~5 µs a
 * request): a run of at least CARD_MIN_DIGITS ASCII digits that separators
 * may interrupt (`-`, `+`, space, `%20`, `%2D`; an escaped digit `%3x` counts). Any other script's digits
 * come percent-encoded as non-ASCII bytes: such a URL gets the full rule.
 */
function mayHoldCardNumber(url: string): boolean {
  let run = 0;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c >= ZERO && c <= ZERO + 9) {
      if (++run >= CARD_MIN_DIGITS) return true;
    } else if (c === 0x25) {
      const high = url.charCodeAt(i + 1);
      if (high >= 0x38) return true; // %8x–%Fx: a byte of a non-ASCII character, maybe a digit of another script
      const low = url.charCodeAt(i + 2) | 0x20;
      if (high === 0x33 && low >= ZERO && low <= ZERO + 9) {
        i += 2; // %30–%39: an escaped digit
        if (++run >= CARD_MIN_DIGITS) return true;
      } else if (high === 0x32 && (low === 0x30 || low === 0x64))
        i += 2; // %20, %2D: a separator
      else run = 0;
    } else if (c !== DASH && c !== SPACE && c !== 0x2b) run = 0; // `+`: a space in a query
  }
  return false;
}

function hasDigits(text: string, atLeast: number): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) if (digitValue(text.charCodeAt(i)) >= 0 && ++digits >= atLeast) return true;
  return false;
}

/**
 * The same redaction over a byte stream, piece by piece: `push` a chunk, get
 * back what may be emitted; `end` gives the held tail. The output has the
 * input's length. In UTF-8 every script's digits are read (a character cut
 * by a chunk's end waits for the next chunk); in another charset its ASCII
 * digits, and in a CJK one its own decoder watches for full-width digits: a
 * card number written in them cannot be masked in that charset's bytes here,
 * so the upload fails (a 400 naming Content-Type) rather than store it.
 */
export class CardRedactingBytes {
  private bytes: Uint8Array = new Uint8Array(0);
  private readonly scanner: CardScanner;
  /** The first bytes of a character the last chunk cut (UTF-8). */
  private cut: Uint8Array = new Uint8Array(0);
  private readonly watch: { decoder: TextDecoder; text: TextScan; charset: string } | undefined;

  constructor(private readonly charset: TextCharset = { kind: 'utf-8' }) {
    const utf8 = charset.kind === 'utf-8';
    this.scanner = new CardScanner({
      at: utf8 ? (i) => this.decodeAt(i) : (i) => this.bytes[i] ?? 0,
      width: 1,
      mask: (codePoint) => MASK_BYTES[utf8Width(codePoint)] as number[],
    });
    if (charset.kind === 'cjk')
      this.watch = { decoder: new TextDecoder(charset.charset), text: new TextScan(), charset: charset.charset };
  }

  get redacted(): number {
    return this.scanner.redacted;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const whole = this.cut.length > 0 ? Buffer.concat([this.cut, chunk]) : chunk;
    const complete = this.charset.kind === 'utf-8' ? whole.length - incompleteTail(whole) : whole.length;
    this.cut = whole.slice(complete);
    const bytes = whole.subarray(0, complete);
    this.bytes = bytes;
    if (this.watch) this.watched(this.watch.decoder.decode(chunk, { stream: true }), false);
    return this.scanner
      .feed(bytes.length, (i) => bytes[i] ?? 0)
      .map((piece) => (Array.isArray(piece) ? Uint8Array.from(piece) : bytes.subarray(piece.from, piece.to)));
  }

  end(): Uint8Array {
    if (this.watch) this.watched(this.watch.decoder.decode(), true);
    const rest = this.scanner.finish();
    return Buffer.concat([Uint8Array.from(rest), this.cut]);
  }

  private watched(text: string, last: boolean): void {
    const watch = this.watch as NonNullable<typeof this.watch>;
    if (watch.text.scan(text, last) > 0)
      throw errors.invalidField(
        'Content-Type',
        `a card number written in full-width digits cannot be masked in ${watch.charset} text; send the text as UTF-8`,
      );
  }

  /**
   * The code point at `i` and its width (in the scanner's `width`). Only two- and three-byte
   * sequences can be digits or separators; anything else, malformed bytes included, is read a byte at a time.
   */
  private decodeAt(i: number): number {
    const bytes = this.bytes;
    const lead = bytes[i] as number;
    const units = this.scanner.units;
    units.width = 1;
    if (lead < 0x80) return lead;
    if (lead >= 0xc2 && lead <= 0xdf) {
      const b1 = bytes[i + 1] ?? 0;
      if ((b1 & 0xc0) !== 0x80) return lead;
      units.width = 2;
      return ((lead & 0x1f) << 6) | (b1 & 0x3f);
    }
    if (lead >= 0xe0 && lead <= 0xef) {
      const b1 = bytes[i + 1] ?? 0;
      const b2 = bytes[i + 2] ?? 0;
      const codePoint = ((lead & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
      if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80 || codePoint < 0x800) return lead;
      units.width = 3;
      return codePoint;
    }
    return lead;
  }
}

/** A text read piece by piece, counting the card numbers with a digit outside ASCII (nothing is masked). */
class TextScan {
  private text = '';
  private readonly scanner = new CardScanner({ at: (i) => this.text.charCodeAt(i), width: 1, mask: () => [STAR] });

  scan(text: string, last: boolean): number {
    this.text = text;
    this.scanner.feed(text.length, (i) => text.charCodeAt(i));
    if (last) this.scanner.finish();
    return this.scanner.redactedWide;
  }
}

/** How many bytes at the end begin a UTF-8 character they do not finish (0 to 3). */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back] as number;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    const needs = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1;
    return needs > back ? back : 0;
  }
  return 0;
}

/** Masks card numbers in every free text of a record (see texts.ts); `count` is the number masked. */
export function redactRecordTexts<T extends TextBearing>(record: T): { record: T; count: number } {
  let count = 0;
  const redacted = mapInteractionTexts(record, (text) => {
    const result = redactCardNumbers(text);
    count += result.count;
    return result.text;
  });
  return { record: redacted, count };
}
