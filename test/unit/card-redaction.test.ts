/** Card-number redaction (src/domain/card-redaction.ts): properties over generated numbers and texts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CardRedactingBytes,
  passesLuhn,
  redactCardNumbers,
  redactRecordTexts,
  redactUrl,
} from '../../src/domain/card-redaction.js';
import { textFields } from '../../src/domain/texts.js';

const digitsOf = (s: string) => [...s].filter((c) => c >= '0' && c <= '9').map(Number);

/** The zeros of some scripts' decimal digits: ASCII, full-width, Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali, Thai. */
const ZEROS = [0x30, 0xff10, 0x660, 0x6f0, 0x966, 0x9e6, 0xe50];
/** Any script's digits as their values (what a reader sees). */
const valuesOf = (s: string) =>
  [...s].flatMap((c) => {
    const zero = ZEROS.find((z) => c.charCodeAt(0) - z >= 0 && c.charCodeAt(0) - z < 10);
    return zero === undefined ? [] : [c.charCodeAt(0) - zero];
  });

/** The check digit that makes `body` Luhn-valid. */
function luhnComplete(body: number[]): number[] {
  for (let check = 0; check <= 9; check++) if (passesLuhn([...body, check])) return [...body, check];
  throw new Error('unreachable');
}

const digitArray = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max });

/** Digits written with a random single separator (none, space or dash) between any two of them. */
const formatted = (digits: number[]) =>
  fc
    .array(fc.constantFrom('', ' ', '-'), { minLength: digits.length, maxLength: digits.length })
    .map((seps) => digits.map((d, i) => (i === 0 ? String(d) : `${seps[i]}${d}`)).join(''));

const cardNumber = digitArray(12, 18).map(luhnComplete).chain(formatted);

/** A card number in any script's digits, each digit of its own script, with ASCII or wide separators. */
const wideCardNumber = digitArray(12, 18)
  .map(luhnComplete)
  .chain((digits) =>
    fc
      .tuple(
        fc.array(fc.constantFrom(...ZEROS), { minLength: digits.length, maxLength: digits.length }),
        fc.array(fc.constantFrom('', ' ', '-', '\u3000', '\uff0d'), { minLength: digits.length, maxLength: digits.length }),
      )
      .map(([zeros, seps]) =>
        digits.map((d, i) => `${i === 0 ? '' : seps[i]}${String.fromCharCode((zeros[i] as number) + d)}`).join(''),
      ),
  );

/** Text around a run that cannot extend it: no digit, and no space or dash touching the run. */
const surrounding = fc.string({ maxLength: 12 }).map((s) => s.replace(/[0-9 -]/g, 'x'));

describe('card-number redaction', () => {
  it('masks every Luhn-valid run of 13 to 19 digits with separators, keeping the last four and the layout', () => {
    fc.assert(
      fc.property(surrounding, cardNumber, surrounding, (before, card, after) => {
        const { text, count } = redactCardNumbers(`${before}${card}${after}`);
        expect(count).toBe(1);
        expect(text.length).toBe(before.length + card.length + after.length);
        const masked = text.slice(before.length, before.length + card.length);
        expect(digitsOf(masked)).toEqual(digitsOf(card).slice(-4));
        expect(masked.replace(/[0-9*]/g, '')).toBe(card.replace(/[0-9]/g, ''));
        expect(text.startsWith(before) && text.endsWith(after)).toBe(true);
      }),
    );
  });

  it('reads digits of every script (full-width, Arabic-Indic, Devanagari…): masked alike, the length kept in code units and bytes', () => {
    fc.assert(
      fc.property(surrounding, wideCardNumber, surrounding, (before, card, after) => {
        const input = `${before}${card}${after}`;
        const { text, count } = redactCardNumbers(input);
        expect(count).toBe(1);
        expect(text.length).toBe(input.length);
        expect(Buffer.byteLength(text)).toBe(Buffer.byteLength(input));
        const masked = text.slice(before.length, before.length + card.length);
        expect(valuesOf(masked)).toEqual(valuesOf(card).slice(-4));
        expect(masked.replace(/[*\u066d\uff0a]/g, '').length).toBe(card.length - (valuesOf(card).length - 4));
      }),
    );
    expect(redactCardNumbers('カード４１１１　１１１１　１１１１　１１１１です').text).toBe(
      'カード＊＊＊＊　＊＊＊＊　＊＊＊＊　１１１１です',
    );
    expect(redactCardNumbers('رقم ٤١١١-١١١١-١١١١-١١١١').text).toBe('رقم ٭٭٭٭-٭٭٭٭-٭٭٭٭-١١١١');
    expect(redactCardNumbers('order ４１１１１１１１１１１１１１１２ (fails Luhn)').count).toBe(0);
  });

  it('leaves runs that fail Luhn, or are too short or too long, untouched', () => {
    const notCard = fc.oneof(
      digitArray(13, 19).filter((d) => !passesLuhn(d)),
      digitArray(1, 12),
      digitArray(20, 30),
    );
    fc.assert(
      fc.property(surrounding, notCard.chain(formatted), surrounding, (before, run, after) => {
        const input = `${before}${run}${after}`;
        expect(redactCardNumbers(input)).toEqual({ text: input, count: 0 });
      }),
    );
  });

  it('leaves order numbers and phone numbers alone', () => {
    for (const text of [
      'Order ORD-2024-000123-4567 shipped',
      'call me on +1 (555) 123-4567 or +44 20 7946 0958',
      'ref 4111111111111112 (one digit off a test card)',
      'invoice 2024-11-21 for 1234.56 EUR',
      'account 12345678901234567890123 (23 digits)',
      'two separators break a run: 4111  1111 1111 1111',
    ])
      expect(redactCardNumbers(text)).toEqual({ text, count: 0 });
  });

  it('masks well-known test cards in running text, several at once', () => {
    const { text, count } = redactCardNumbers('visa 4111 1111 1111 1111, amex 3782-822463-10005 and 5555555555554444.');
    expect(count).toBe(3);
    expect(text).toBe('visa **** **** **** 1111, amex ****-******-*0005 and ************4444.');
  });

  it('is idempotent: a mask is never a candidate again', () => {
    fc.assert(
      fc.property(fc.string(), cardNumber, fc.string(), (a, card, b) => {
        const once = redactCardNumbers(`${a}${card}${b}`).text;
        expect(redactCardNumbers(once)).toEqual({ text: once, count: 0 });
      }),
    );
  });

  it('gives the same bytes however a stream is cut into chunks', () => {
    // Any characters (cut anywhere, inside a multi-byte one too), cards in any script's digits, runs of every length.
    const text = fc
      .array(
        fc.oneof(fc.string({ maxLength: 6, unit: 'binary' }), cardNumber, wideCardNumber, digitArray(1, 25).chain(formatted)),
        { maxLength: 8 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 6 }), (input, cuts) => {
        const bytes = Buffer.from(input, 'utf8');
        const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((x, y) => x - y);
        const redactor = new CardRedactingBytes();
        const out: Uint8Array[] = [];
        let from = 0;
        for (const at of [...points, bytes.length]) {
          out.push(...redactor.push(bytes.subarray(from, at)));
          from = at;
        }
        out.push(redactor.end());
        const whole = redactCardNumbers(input);
        expect(Buffer.concat(out).toString('utf8')).toBe(whole.text);
        expect(redactor.redacted).toBe(whole.count);
      }),
    );
  });

  it('walks subject, comment, every message text and the email bodies of a record', () => {
    const record = {
      subject: 'card 4111-1111-1111-1111',
      comment: 'paid with 5555 5555 5555 4444, order 2024-000123',
      messages: [{ text: 'my number is 378282246310005' }, {}, { text: 'thanks' }],
      email: { to: ['a@example.org'], text: 'card: 6011000990139424', html: '<p>card <b>4000056655665556</b></p>' },
    };
    const { record: out, count } = redactRecordTexts(record);
    expect(count).toBe(5);
    expect(out.email.to).toEqual(['a@example.org']);
    expect(textFields(out)).toEqual([
      { field: 'subject', text: 'card ****-****-****-1111' },
      { field: 'comment', text: 'paid with **** **** **** 4444, order 2024-000123' },
      { field: 'messages.0.text', text: 'my number is ***********0005' },
      { field: 'messages.2.text', text: 'thanks' },
      { field: 'email.text', text: 'card: ************9424' },
      { field: 'email.html', text: '<p>card <b>************5556</b></p>' },
    ]);
    expect(record.subject).toBe('card 4111-1111-1111-1111');
  });
});

describe('redactUrl (what the server log keeps of a request URL)', () => {
  it('masks a card number in a query value however the client encoded it, and in the path', () => {
    for (const url of [
      '/api/v1/interactions?q=4111111111111111&limit=1',
      '/api/v1/interactions?q=4111%201111%201111%201111&limit=1',
      '/api/v1/interactions?q=4111+1111+1111+1111',
      '/interaction-content/interactions?connectFrom=4111-1111-1111-1111',
      '/api/v1/interactions/4111111111111111',
      '/api/v1/interactions?q=%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31',
      '/api/v1/interactions?q=4111%2D1111%2d1111%2D1111',
      `/api/v1/interactions?q=${encodeURIComponent('４１１１ １１１１ １１１１ １１１１')}`,
    ]) {
      const digits = valuesOf(redactUrl(url)).join('');
      expect(digits).not.toContain('41111111');
      expect(digits).toMatch(/1111$/);
    }
  });

  it('keeps only the last four digits of any card number sent as a query value, encoded as a client would', () => {
    fc.assert(
      fc.property(cardNumber, fc.boolean(), (card, plus) => {
        const value = plus ? encodeURIComponent(card).replaceAll('%20', '+') : encodeURIComponent(card);
        const logged = redactUrl(`/interaction-content/interactions?q=${value}&limit=5`);
        expect(digitsOf(logged)).toEqual([...digitsOf(card).slice(-4), 5]);
      }),
    );
  });

  it('returns every other URL exactly as it came: dates, phone numbers, ids, malformed escapes', () => {
    for (const url of [
      '/interaction-content/interactions?start=2026-11-01T00:00:00Z&end=2026-11-08T00:00:00Z&limit=100',
      '/interaction-content/interactions?connectFrom=%2B14155550100',
      '/api/v1/interactions?q=order%2012345678901234&x=%E0%A4%A',
      '/api/v1/interactions?q=4111111111111112',
    ])
      expect(redactUrl(url)).toBe(url);
  });
});
