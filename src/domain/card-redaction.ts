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

import { mapInteractionTexts, type TextBearing } from './texts.js';

export const CARD_MIN_DIGITS = 13;
export const CARD_MAX_DIGITS = 19;

const ZERO = 0x30;
const NINE = 0x39;
const SPACE = 0x20;
const DASH = 0x2d;
const STAR = 0x2a;

const isDigit = (c: number) => c >= ZERO && c <= NINE;
const isSeparator = (c: number) => c === SPACE || c === DASH;

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
 * The state machine. `feed` returns the output for what it was given so far
 * (possibly less than it was given: the held run); `finish` returns the rest.
 */
class CardScanner {
  /** Code units of the run being held (digits and single separators; may end with one separator). */
  private held: number[] = [];
  private heldDigits = 0;
  /** Inside a run already known to be longer than a card number: passed through as it comes. */
  private overlong = false;
  /** The previous code unit was a digit / a separator that followed a digit (a run may go on). */
  private afterDigit = false;
  private afterSeparator = false;
  redacted = 0;

  feed(length: number, at: (i: number) => number): Piece[] {
    const out: Piece[] = [];
    let passStart = 0;
    const passUntil = (i: number) => {
      if (i > passStart) out.push({ from: passStart, to: i });
    };
    for (let i = 0; i < length; i++) {
      const c = at(i);
      if (isDigit(c)) {
        const continues = this.afterDigit || this.afterSeparator;
        this.afterDigit = true;
        this.afterSeparator = false;
        if (continues && this.overlong) continue;
        if (!continues) {
          // A new run starts here.
          passUntil(i);
          this.overlong = false;
        }
        this.held.push(c);
        this.heldDigits++;
        if (this.heldDigits > CARD_MAX_DIGITS) {
          // Too long to be a card: what was held goes out as it was, the rest of the run passes through.
          out.push(this.held);
          this.held = [];
          this.heldDigits = 0;
          this.overlong = true;
        }
        passStart = i + 1;
      } else if (isSeparator(c) && this.afterDigit) {
        this.afterDigit = false;
        this.afterSeparator = true;
        if (this.overlong) continue;
        this.held.push(c);
        passStart = i + 1;
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

  /** The held run, masked when it is a card number (a trailing separator is not part of it). */
  private closeRun(): number[] {
    const run = this.held;
    this.held = [];
    const digits = this.heldDigits;
    this.heldDigits = 0;
    if (digits < CARD_MIN_DIGITS || digits > CARD_MAX_DIGITS) return run;
    const values = run.filter(isDigit).map((c) => c - ZERO);
    if (!passesLuhn(values)) return run;
    this.redacted++;
    let toMask = digits - 4;
    return run.map((c) => (isDigit(c) && toMask-- > 0 ? STAR : c));
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
  const scanner = new CardScanner();
  const pieces = scanner.feed(text.length, (i) => text.charCodeAt(i));
  let out = '';
  for (const piece of pieces) out += Array.isArray(piece) ? String.fromCharCode(...piece) : text.slice(piece.from, piece.to);
  out += String.fromCharCode(...scanner.finish());
  return { text: out, count: scanner.redacted };
}

function hasDigits(text: string, atLeast: number): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++digits >= atLeast) return true;
  }
  return false;
}

/**
 * The same redaction over a byte stream (UTF-8 or any ASCII-compatible
 * encoding), piece by piece: `push` a chunk, get back what may be emitted;
 * `end` gives the held tail. The output has the input's length.
 */
export class CardRedactingBytes {
  private readonly scanner = new CardScanner();

  get redacted(): number {
    return this.scanner.redacted;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    return this.scanner
      .feed(chunk.length, (i) => chunk[i] ?? 0)
      .map((piece) => (Array.isArray(piece) ? Uint8Array.from(piece) : chunk.subarray(piece.from, piece.to)));
  }

  end(): Uint8Array {
    return Uint8Array.from(this.scanner.finish());
  }
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
