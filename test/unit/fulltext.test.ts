/** The tokenizer, the query parser and the locator (pure: no database). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVaultError } from '../../src/domain/errors.js';
import {
  AGENT_MARK,
  agentToken,
  documentOf,
  locateMatches,
  MAX_DOCUMENT_TOKENS,
  MAX_QUERY_TERMS,
  PART_BREAK,
  parseTextQuery,
  type TextQuery,
  tokenize,
  tokensOf,
} from '../../src/domain/fulltext.js';
import { interactionTexts, transcriptParts } from '../../src/domain/texts.js';
import { toFts5, toLooseTsquery, toTsquery } from '../../src/store/fulltext-engines.js';

const words = (text: string) => tokenize(text).map((t) => t.token);

describe('tokenizer', () => {
  it('folds case and accents, spells out letters without a decomposition', () => {
    expect(words('Müller ÉCOLE Straße Ærø Łódź İstanbul')).toEqual(['muller', 'ecole', 'strasse', 'aero', 'lodz', 'istanbul']);
  });
  it('splits on punctuation, keeps numbers, cuts CJK into characters', () => {
    expect(words('ORD-48213, +1 (415) 555-0100; 3.14')).toEqual(['ord', '48213', '1', '415', '555', '0100', '3', '14']);
    expect(words('取消合同 ok')).toEqual(['取', '消', '合', '同', 'ok']);
    expect(words('привет мир')).toEqual(['привет', 'мир']);
  });
  it('keeps offsets into the original text', () => {
    const text = 'Hé, Müller!';
    expect(tokenize(text).map((t) => text.slice(t.start, t.end))).toEqual(['Hé', 'Müller']);
  });
  it('never produces the part break, so no query can name it', () => {
    expect(words(`${PART_BREAK} ꙮ`)).toEqual(['oo', 'o']);
    expect(documentOf([{ text: 'a b' }, { text: '' }, { text: 'c' }])).toBe(`a b ${PART_BREAK} c`);
  });
  it('builds a document as the token-by-token definition does, up to the token limit', () => {
    // The definition: tokens one by one, a part break between parts, stopped once MAX_DOCUMENT_TOKENS are out.
    const reference = (parts: { text: string }[], max = MAX_DOCUMENT_TOKENS) => {
      const out: string[] = [];
      for (const part of parts) {
        const tokens = words(part.text);
        if (tokens.length === 0) continue;
        if (out.length > 0) out.push(PART_BREAK);
        for (const t of tokens) {
          if (out.length >= max) return out.join(' ');
          out.push(t);
        }
      }
      return out.join(' ');
    };
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ maxLength: 30 }).map((text) => ({ text })),
          { maxLength: 8 },
        ),
        (parts) => {
          expect(documentOf(parts)).toBe(reference(parts));
        },
      ),
      { numRuns: 500 },
    );
    // At the limit: a part that fills it exactly, one over, and a part after a full document.
    const many = (n: number) => ({ text: 'w '.repeat(n) });
    for (const parts of [
      [many(MAX_DOCUMENT_TOKENS)],
      [many(MAX_DOCUMENT_TOKENS + 1)],
      [many(MAX_DOCUMENT_TOKENS), { text: 'x y' }],
      [many(MAX_DOCUMENT_TOKENS - 1), { text: 'x y' }],
      [many(MAX_DOCUMENT_TOKENS - 2), { text: 'x y' }, { text: 'z' }],
    ])
      expect(documentOf(parts)).toBe(reference(parts));
  });
});

describe('agent tokens', () => {
  it('are one token of letters after a mark the folding never leaves, one per tenant and agent', () => {
    const token = agentToken('acme', 'agent-1');
    expect(token).toMatch(/^ꙮ[a-p]{16}$/);
    expect(agentToken('acme', 'agent-1')).toBe(token);
    expect(agentToken('acme', 'agent-2')).not.toBe(token);
    expect(agentToken('globex', 'agent-1')).not.toBe(token);
    expect(words(`${token} ${AGENT_MARK}`)).toEqual([`o${token.slice(1)}`, 'o']);
  });
  it('follow a document’s text, after a part break, and only when it has text', () => {
    const [a, b] = [agentToken('t', 'a'), agentToken('t', 'b')];
    expect(documentOf([{ text: 'Hello there' }, { text: 'bye' }], [a, b])).toBe(
      `hello there ${PART_BREAK} bye ${PART_BREAK} ${a} ${b}`,
    );
    expect(documentOf([{ text: ' ' }], [a])).toBe('');
    expect(documentOf([{ text: 'w '.repeat(MAX_DOCUMENT_TOKENS + 5) }], [a]).endsWith(`w ${PART_BREAK} ${a}`)).toBe(true);
  });
  it('are never among the tokens of any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc
            .array(fc.constantFrom('ꙮ', 'Ꙭ', 'ꙭ', 'ꚙ', 'a', 'é', '1', ' ', '-', '\u0301', 'ß'), { maxLength: 30 })
            .map((a) => a.join('')),
        ),
        (text) => {
          for (const token of tokensOf(text)) expect(token).not.toContain(AGENT_MARK);
          for (const { token } of tokenize(text)) expect(token).not.toContain(AGENT_MARK);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('query parser', () => {
  const parse = (q: string) => parseTextQuery(q);
  it('builds words, phrases, prefixes, OR, exclusion and groups', () => {
    expect(parse('cancel contract')).toEqual({
      type: 'and',
      include: [
        { type: 'term', tokens: ['cancel'], prefix: false },
        { type: 'term', tokens: ['contract'], prefix: false },
      ],
      exclude: [],
    });
    expect(parse('"cancel my" contr*')).toMatchObject({
      include: [
        { tokens: ['cancel', 'my'], prefix: false },
        { tokens: ['contr'], prefix: true },
      ],
    });
    expect(parse('a1 OR b2 -c3')).toMatchObject({
      type: 'or',
      anyOf: [{ tokens: ['a1'] }, { type: 'and', include: [{ tokens: ['b2'] }], exclude: [{ tokens: ['c3'] }] }],
    });
    expect(parse('415-555-0100')).toEqual({ type: 'term', tokens: ['415', '555', '0100'], prefix: false });
  });
  it('refuses what it cannot answer, naming q', () => {
    for (const q of ['"open', 'OR', 'x OR', 'OR x', '-', '-x', 'x -', '*', 'a*', '()', '(x', 'x)', '""', '!!!', 'x OR OR y']) {
      let error: unknown;
      try {
        parse(q);
      } catch (err) {
        error = err;
      }
      expect(isVaultError(error) && error.field === 'q', q).toBe(true);
    }
    expect(() => parse(Array.from({ length: MAX_QUERY_TERMS + 1 }, (_, i) => `w${i}`).join(' '))).toThrow(/at most/);
    expect(() => parse('((((((x))))))')).toThrow(/deep/);
  });
  it('never throws anything but a 400 naming q, and translates only letters and digits into engine syntax', () => {
    const alphabet = fc.constantFrom(
      '"',
      '*',
      '-',
      '(',
      ')',
      ' ',
      'OR',
      'AND',
      'a',
      'é',
      '1',
      ':',
      "'",
      '!',
      '&',
      '|',
      '<',
      '\\',
      '\u0000',
      'ꙮ',
      '取',
      'NEAR',
      '^',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')),
        ),
        (q) => {
          let query: TextQuery;
          try {
            query = parseTextQuery(q);
          } catch (err) {
            if (!isVaultError(err) || err.field !== 'q' || err.status !== 400) throw err;
            return;
          }
          // Quotes and operators in engine syntax come only from the translator.
          expect(toFts5(query)).toMatch(/^[\p{L}\p{N} "*()]+$/u);
          expect(toFts5(query)).not.toMatch(/NOT\s*$/);
          expect(toTsquery(query)).toMatch(/^[\p{L}\p{N} '()&|!<>:*-]+$/u);
          // PostgreSQL's candidates for a phrase: no phrase, no exclusion (a superset of the matches).
          expect(toLooseTsquery(query)).toMatch(/^[\p{L}\p{N} '()&|:*]+$/u);
          // No term can name an agent's token, whole or as a prefix: none holds the mark its tokens start with.
          expect(JSON.stringify(query)).not.toContain(AGENT_MARK);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('locating matches', () => {
  it('reports each part that matched with highlights, never an excluded word', () => {
    const parts = interactionTexts({
      subject: 'Cancel request',
      messages: [
        { index: 1, text: 'hi' },
        { index: 2, text: 'I want to cancel my contract, not the refund' },
      ],
    });
    const { matches, total } = locateMatches(parseTextQuery('cancel* -refunds'), parts);
    expect(total).toBe(2);
    expect(matches.map((m) => [m.place, m.seq])).toEqual([
      ['subject', undefined],
      ['message', 2],
    ]);
    const inMessage = matches[1];
    expect(inMessage?.highlights.map(([s, e]) => inMessage.snippet.slice(s, e))).toEqual(['cancel']);
  });
  it('cuts long texts around the first match', () => {
    const text = `${'lorem ipsum '.repeat(40)}the needle is here ${'dolor sit '.repeat(40)}`;
    const [match] = locateMatches(parseTextQuery('needle'), [{ place: 'comment', contentKey: '', seq: 0, text }]).matches;
    expect(match?.snippet.startsWith('…')).toBe(true);
    expect(match?.snippet.endsWith('…')).toBe(true);
    expect(match?.snippet.length).toBeLessThan(260);
    const [s, e] = match?.highlights[0] ?? [0, 0];
    expect(match?.snippet.slice(s, e)).toBe('needle');
  });
});

describe('transcript formats', () => {
  const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  it('reads the demo format and segment lists, ignores anything else', () => {
    expect(transcriptParts('t', bytes({ version: 1, lines: [{ speaker: 'agent', text: 'hi', offsetMs: 2500 }] }))).toEqual([
      { place: 'transcript', contentKey: 't', seq: 0, atMs: 2500, speaker: 'agent', text: 'hi' },
    ]);
    expect(transcriptParts('t', bytes({ segments: [{ speaker: 'c', start: 1.25, end: 2, text: 'yo' }] }))).toEqual([
      { place: 'transcript', contentKey: 't', seq: 0, atMs: 1250, speaker: 'c', text: 'yo' },
    ]);
    expect(transcriptParts('t', bytes([{ start: -1, text: 'x' }, { text: 5 }, null]))).toEqual([
      { place: 'transcript', contentKey: 't', seq: 0, text: 'x' },
    ]);
    expect(transcriptParts('t', bytes({ words: 'x' }))).toEqual([]);
    expect(transcriptParts('t', new TextEncoder().encode('{not json'))).toEqual([]);
  });
});

describe('the fast token path', () => {
  it('gives exactly the tokens of tokenize, for any text', () => {
    const piece = fc.constantFrom(
      'a',
      'Z',
      '9',
      ' ',
      '-',
      'é',
      'Ü',
      'ß',
      'ꙮ',
      '取',
      'か',
      'ア',
      '\u0301',
      'ﬁ',
      '½',
      '℃',
      'İ',
      'ı',
      '😀',
      '\u00a0',
      '.',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.array(piece, { maxLength: 40 }).map((a) => a.join('')),
        ),
        (text) => {
          expect(tokensOf(text)).toEqual(tokenize(text).map((t) => t.token));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
